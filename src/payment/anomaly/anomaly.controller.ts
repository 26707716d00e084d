import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { AuthUser, CurrentUser, Roles } from '../../common/auth/auth.decorators';
import { ErrorCode } from '../../common/errors';
import { ApiErrors } from '../../common/openapi/api-errors.decorator';
import { EX } from '../../common/openapi/examples';
import { AnomalyPage, AnomalyResponse, ListAnomaliesQuery, ResolveAnomalyDto } from '../dto/anomaly.dto';
import { AnomalyService } from './anomaly.service';

const ID_PARAM = {
  name: 'id',
  description: 'the `id` of an anomaly in GET /v1/admin/anomalies',
  example: '42',
};

@ApiTags('admin')
@ApiBearerAuth()
@Roles('admin')
@ApiErrors([ErrorCode.UNAUTHORIZED, 'Missing bearer token'], [ErrorCode.FORBIDDEN, 'Admins only'])
@Controller({ path: 'admin/anomalies', version: '1' })
export class AnomalyController {
  constructor(private readonly anomalies: AnomalyService) {}

  @Get()
  @ApiOperation({
    summary:
      'Anomalies, newest first: late money (refunded by itself with AUTO_REFUND), mismatches that wait for a ' +
      'person; status=OPEN is the work queue',
  })
  @ApiOkResponse({ type: AnomalyPage, description: 'a page, newest first; nextCursor for the next' })
  @ApiErrors([
    ErrorCode.VALIDATION_FAILED,
    'Request validation failed',
    { errors: ['status must be one of the following values: OPEN, AUTO_REFUNDED, RESOLVED'] },
  ])
  list(@Query() q: ListAnomaliesQuery): Promise<AnomalyPage> {
    return this.anomalies.list(q);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One anomaly' })
  @ApiParam(ID_PARAM)
  @ApiOkResponse({ type: AnomalyResponse, description: 'the anomaly' })
  @ApiErrors([ErrorCode.NOT_FOUND, 'Anomaly 42 not found'])
  get(@Param('id') id: string): Promise<AnomalyResponse> {
    return this.anomalies.get(id);
  }

  @Post(':id/resolve')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Resolve an OPEN anomaly with a note (what was done about it); resolving a resolved one returns it',
  })
  @ApiParam(ID_PARAM)
  @ApiOkResponse({ type: AnomalyResponse, description: 'the anomaly, RESOLVED' })
  @ApiErrors(
    [ErrorCode.VALIDATION_FAILED, 'Request validation failed', { errors: ['note must be a string'] }],
    [ErrorCode.NOT_FOUND, 'Anomaly 42 not found'],
    [
      ErrorCode.ANOMALY_NOT_OPEN,
      'This anomaly is already AUTO_REFUNDED',
      { id: '42', status: 'AUTO_REFUNDED', refundNo: `RA${EX.paymentNo}` },
    ],
  )
  resolve(
    @CurrentUser() admin: AuthUser,
    @Param('id') id: string,
    @Body() dto: ResolveAnomalyDto,
  ): Promise<AnomalyResponse> {
    return this.anomalies.resolve(admin, id, dto.note);
  }
}
