import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuthUser, CurrentUser } from '../common/auth/auth.decorators';
import { ErrorCode } from '../common/errors';
import { IdemContext, IdempotencyContext, IdempotentSubmit } from '../idempotency';
import { ApiErrors } from './api-errors.decorator';
import { CreateRechargeDto } from './dto/create-recharge.dto';
import { OrderResponse } from './dto/order-response.dto';
import { OrderSubmitService } from './order-submit.service';

@ApiTags('orders')
@ApiBearerAuth()
@Controller('recharges')
export class RechargeController {
  constructor(private readonly submitter: OrderSubmitService) {}

  @Post()
  @HttpCode(201)
  @IdempotentSubmit({ scope: 'recharges.create', resultIdField: 'orderNo' })
  @ApiOperation({ summary: 'Create a RECHARGE order; paying it credits the wallet' })
  @ApiCreatedResponse({ type: OrderResponse })
  @ApiErrors(
    [
      ErrorCode.VALIDATION_FAILED,
      'Request validation failed',
      { errors: ['amount must not be greater than 5000000'] },
    ],
    [ErrorCode.UNAUTHORIZED, 'Missing bearer token'],
    [
      ErrorCode.DUPLICATE_SUBMIT,
      'The same request was just submitted',
      { orderNo: '20261123120000123456789012345' },
    ],
    [ErrorCode.REQUEST_IN_PROGRESS, 'A request with this Idempotency-Key is still running'],
    [ErrorCode.IDEMPOTENCY_KEY_REUSED, 'This Idempotency-Key was used with a different request'],
    [ErrorCode.SERVICE_UNAVAILABLE, 'Submit guard unavailable'],
  )
  submit(
    @CurrentUser() user: AuthUser,
    @Body() dto: CreateRechargeDto,
    @IdemContext() ctx: IdempotencyContext,
  ): Promise<OrderResponse> {
    return this.submitter.submitRecharge(user.userId, dto.amount, ctx ?? null);
  }
}
