import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Roles } from '../common/auth/auth.decorators';
import { ErrorCode } from '../common/errors';
import { ApiErrors } from '../common/openapi/api-errors.decorator';
import { EX } from '../common/openapi/examples';
import { AdminStatsService } from './admin-stats.service';
import {
  AdminPaymentDto,
  FindPaymentsQuery,
  PaymentTimelineDto,
  StatsDto,
  StatsQuery,
} from './dto/admin-payments.dto';
import { PaymentLookupService } from './payment-lookup.service';

@ApiTags('admin')
@ApiBearerAuth()
@Roles('admin')
@ApiErrors([ErrorCode.UNAUTHORIZED, 'Missing bearer token'], [ErrorCode.FORBIDDEN, 'Admins only'])
@Controller({ path: 'admin', version: '1' })
export class AdminPaymentsController {
  constructor(
    private readonly lookup: PaymentLookupService,
    private readonly statsService: AdminStatsService,
  ) {}

  @Get('payments')
  @ApiOperation({
    summary: "Find payments by orderNo, paymentNo or the gateway's channelTradeNo (exactly one)",
  })
  @ApiOkResponse({ type: AdminPaymentDto, isArray: true, description: 'oldest first' })
  @ApiErrors(
    [
      ErrorCode.VALIDATION_FAILED,
      'Give exactly one of orderNo, paymentNo, channelTradeNo',
      { errors: ['exactly one of orderNo, paymentNo, channelTradeNo is required'] },
    ],
    [ErrorCode.NOT_FOUND, `No payment matches ${EX.orderNo}`],
  )
  find(@Query() q: FindPaymentsQuery): Promise<AdminPaymentDto[]> {
    return this.lookup.find(q);
  }

  @Get('payments/:paymentNo/timeline')
  @ApiOperation({
    summary:
      "A payment's timeline: every notify received with its outcome, the payment's and order's state changes, " +
      'refunds and anomalies, oldest first',
  })
  @ApiParam({ name: 'paymentNo', example: EX.paymentNo })
  @ApiOkResponse({ type: PaymentTimelineDto, description: 'the payment and its timeline' })
  @ApiErrors([ErrorCode.NOT_FOUND, `Payment ${EX.paymentNo} not found`])
  timeline(@Param('paymentNo') paymentNo: string): Promise<PaymentTimelineDto> {
    return this.lookup.timeline(paymentNo);
  }

  @Get('stats')
  @ApiOperation({
    summary:
      "The console's overview: payments and refunds per minute by channel, success rate, notifies answered, " +
      'anomalies open',
  })
  @ApiOkResponse({ type: StatsDto, description: 'the figures of the window' })
  @ApiErrors([
    ErrorCode.VALIDATION_FAILED,
    'Request validation failed',
    { errors: ['minutes must not be less than 5'] },
  ])
  stats(@Query() q: StatsQuery): Promise<StatsDto> {
    return this.statsService.stats(q.minutes ?? 60);
  }
}
