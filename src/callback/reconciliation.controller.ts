import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBadGatewayResponse,
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { Roles } from '../common/auth/auth.decorators';
import { ReconcileDto, ReconciliationReportDto } from './dto/reconciliation.dto';
import { ReconciliationService } from './reconciliation.service';

@ApiTags('admin')
@ApiBearerAuth()
@Controller({ path: 'admin/reconciliations', version: '1' })
export class ReconciliationController {
  constructor(private readonly reconciliation: ReconciliationService) {}

  @Post()
  @HttpCode(200)
  @Roles('admin')
  @ApiOperation({
    summary: "Reconcile one day: compare the gateway's bill with local payments, repair what was missed",
  })
  @ApiOkResponse({ type: ReconciliationReportDto, description: 'what was compared, and each mismatch found' })
  @ApiBadRequestResponse({ description: 'VALIDATION_FAILED (date is not YYYY-MM-DD)' })
  @ApiUnauthorizedResponse({ description: 'UNAUTHORIZED (no or a bad bearer token)' })
  @ApiForbiddenResponse({ description: 'FORBIDDEN (admins only)' })
  @ApiBadGatewayResponse({ description: 'GATEWAY_UNAVAILABLE (the bill could not be downloaded)' })
  reconcile(@Body() dto: ReconcileDto): Promise<ReconciliationReportDto> {
    return this.reconciliation.reconcile(dto.date);
  }
}
