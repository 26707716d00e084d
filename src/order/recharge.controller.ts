import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuthUser, CurrentUser } from '../common/auth/auth.decorators';
import { ErrorCode } from '../common/errors';
import { IdemContext, IdempotencyContext, IdempotentSubmit } from '../idempotency';
import { ApiErrors } from './api-errors.decorator';
import { CreateRechargeDto } from './dto/create-recharge.dto';
import { OrderResponse, RECHARGE_EXAMPLE } from './dto/order-response.dto';
import { EX } from '../common/openapi/examples';
import { OrderSubmitService } from './order-submit.service';

@ApiTags('wallet')
@ApiBearerAuth()
@Controller('recharges')
export class RechargeController {
  constructor(private readonly submitter: OrderSubmitService) {}

  @Post()
  @HttpCode(201)
  @IdempotentSubmit({ scope: 'recharges.create', resultIdField: 'orderNo' })
  @ApiOperation({ summary: 'Create a RECHARGE order; paying it credits the wallet' })
  @ApiCreatedResponse({
    type: OrderResponse,
    example: RECHARGE_EXAMPLE,
    description: 'the RECHARGE order to pay (or, with a used Idempotency-Key, the first answer replayed)',
  })
  @ApiErrors(
    [
      ErrorCode.VALIDATION_FAILED,
      'Request validation failed',
      { errors: ['amount must not be greater than 5000000'] },
    ],
    [ErrorCode.UNAUTHORIZED, 'Missing bearer token'],
    [ErrorCode.DUPLICATE_SUBMIT, 'The same request was just submitted', { orderNo: EX.orderNo }],
    [ErrorCode.REQUEST_IN_PROGRESS, 'A request with this Idempotency-Key is still running'],
    [ErrorCode.IDEMPOTENCY_KEY_REUSED, 'This Idempotency-Key was used with a different request'],
    [ErrorCode.SERVICE_UNAVAILABLE, 'Submit guard unavailable'],
    [
      ErrorCode.OUTCOME_UNKNOWN,
      'The database did not confirm the commit and could not be asked whether it happened',
      { reason: 'OUTCOME_UNKNOWN', orderNo: EX.orderNo },
    ],
  )
  submit(
    @CurrentUser() user: AuthUser,
    @Body() dto: CreateRechargeDto,
    @IdemContext() ctx: IdempotencyContext,
  ): Promise<OrderResponse> {
    return this.submitter.submitRecharge(user.userId, dto.amount, ctx ?? null);
  }
}
