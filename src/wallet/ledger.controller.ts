import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../common/auth/auth.decorators';
import { ErrorCode } from '../common/errors';
import { ApiErrors } from '../common/openapi/api-errors.decorator';
import { LedgerReportDto } from './dto/ledger.dto';
import { LedgerCheckService } from './ledger-check.service';

@ApiTags('admin')
@ApiBearerAuth()
@Controller('admin/ledger')
export class LedgerController {
  constructor(private readonly check: LedgerCheckService) {}

  @Get()
  @Roles('admin')
  @ApiOperation({
    summary:
      'Check the ledger now: every journal sums to 0, every wallet balance equals the sum of its entries (docs/ledger.md)',
  })
  @ApiOkResponse({ type: LedgerReportDto, description: 'the check, read in one consistent snapshot' })
  @ApiErrors([ErrorCode.UNAUTHORIZED, 'Missing bearer token'], [ErrorCode.FORBIDDEN, 'Admins only'])
  get(): Promise<LedgerReportDto> {
    return this.check.check();
  }
}
