import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { AuthUser, CurrentUser, Roles } from '../common/auth/auth.decorators';
import { DomainError, ErrorCode } from '../common/errors';
import { ApiErrors } from '../common/openapi/api-errors.decorator';
import {
  ListReconciliationsQuery,
  ReconcileDto,
  ReconciliationReportDto,
  ReconciliationRunDto,
  ReconciliationRunPage,
} from './dto/reconciliation.dto';
import { ReconciliationRun, ReconciliationRunRepository } from './reconciliation-run.repository';
import { ReconciliationService } from './reconciliation.service';

const ID = /^[1-9][0-9]{0,18}$/;

@ApiTags('admin')
@ApiBearerAuth()
@Roles('admin')
@ApiErrors([ErrorCode.UNAUTHORIZED, 'Missing bearer token'], [ErrorCode.FORBIDDEN, 'Admins only'])
@Controller({ path: 'admin/reconciliations', version: '1' })
export class ReconciliationController {
  constructor(
    private readonly reconciliation: ReconciliationService,
    private readonly runs: ReconciliationRunRepository,
  ) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary:
      "Reconcile one day: compare the gateway's bill with local payments, repair what was missed (the run is " +
      'stored: GET /v1/admin/reconciliations)',
  })
  @ApiOkResponse({ type: ReconciliationReportDto, description: 'what was compared, and each mismatch found' })
  @ApiErrors(
    [ErrorCode.VALIDATION_FAILED, 'Request validation failed', { errors: ['date must be YYYY-MM-DD'] }],
    [ErrorCode.GATEWAY_UNAVAILABLE, 'bill of 2026-11-22 could not be downloaded'],
  )
  reconcile(@CurrentUser() admin: AuthUser, @Body() dto: ReconcileDto): Promise<ReconciliationReportDto> {
    return this.reconciliation.reconcile(dto.date, { trigger: 'requested', requestedBy: admin.userId });
  }

  @Get()
  @ApiOperation({ summary: 'Every reconciliation run, scheduled or asked for, newest first' })
  @ApiOkResponse({ type: ReconciliationRunPage, description: 'a page of runs, newest first' })
  @ApiErrors([
    ErrorCode.VALIDATION_FAILED,
    'Request validation failed',
    { errors: ['date must be YYYY-MM-DD'] },
  ])
  async list(@Query() q: ListReconciliationsQuery): Promise<ReconciliationRunPage> {
    const limit = q.limit ?? 20;
    const rows = await this.runs.list({ before: q.cursor, date: q.date, limit: limit + 1 });
    const items = rows.slice(0, limit).map(toJson);
    return { items, nextCursor: rows.length > limit ? items[items.length - 1].id : null };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One reconciliation run with each mismatch and its repair' })
  @ApiParam({ name: 'id', example: '7' })
  @ApiOkResponse({ type: ReconciliationRunDto, description: 'the run' })
  @ApiErrors([ErrorCode.NOT_FOUND, 'Reconciliation run 7 not found'])
  async get(@Param('id') id: string): Promise<ReconciliationRunDto> {
    const run = ID.test(id) ? await this.runs.find(id) : null;
    if (!run) throw new DomainError(ErrorCode.NOT_FOUND, `Reconciliation run ${id} not found`);
    return toJson(run);
  }
}

function toJson(r: ReconciliationRun): ReconciliationRunDto {
  return {
    ...r,
    startedAt: r.startedAt.toISOString(),
    finishedAt: r.finishedAt ? r.finishedAt.toISOString() : null,
  };
}
