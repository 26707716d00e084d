import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { AuthUser, CurrentUser, Roles } from '../../common/auth/auth.decorators';
import { ErrorCode } from '../../common/errors';
import { IdemContext, IdempotencyContext, IdempotentSubmit } from '../../idempotency';
import { ApiErrors } from '../../order/api-errors.decorator';
import { CreateRefundDto, RefundResponse } from '../dto/refund.dto';
import { RefundService } from './refund.service';
import { EX } from '../../common/openapi/examples';

const ORDER_NO_PARAM = { name: 'orderNo', description: 'the `orderNo` of a paid order' };

@ApiTags('refunds')
@ApiBearerAuth()
@ApiErrors([ErrorCode.UNAUTHORIZED, 'Missing bearer token'])
@Controller()
export class RefundController {
  constructor(private readonly refunds: RefundService) {}

  @Post('orders/:orderNo/refunds')
  @HttpCode(201)
  @Roles('admin')
  @IdempotentSubmit({ scope: 'refunds.create', resultIdField: 'refundNo', params: ['orderNo'] })
  @ApiOperation({
    summary:
      'Refund a paid order, in full or in part (admin). The refund number is stored before the gateway is ' +
      'called; status is SUCCEEDED when the gateway confirmed at once, PENDING until a refund query does.',
  })
  @ApiParam(ORDER_NO_PARAM)
  @ApiBody({
    type: CreateRefundDto,
    examples: {
      part: {
        summary: 'part of a paid order, its items back to stock',
        value: { amount: 5000, reason: 'one box returned', restock: true },
      },
      duplicate: {
        summary: 'a second payment of a paid order (DUPLICATE_PAYMENT): that payment, the order untouched',
        value: { amount: 17600, reason: 'paid twice', paymentNo: EX.paymentNo },
      },
    },
  })
  @ApiCreatedResponse({
    type: RefundResponse,
    description: 'the refund: SUCCEEDED, or PENDING until a refund query settles it',
  })
  @ApiErrors(
    [
      ErrorCode.VALIDATION_FAILED,
      'Request validation failed',
      { errors: ['amount must not be less than 1'] },
    ],
    [ErrorCode.FORBIDDEN, 'Admins only'],
    [ErrorCode.NOT_FOUND, `Order ${EX.orderNo} not found`],
    [ErrorCode.ORDER_NOT_REFUNDABLE, 'Only a paid order can be refunded', { status: 'CREATED' }],
    [
      ErrorCode.REFUND_EXCEEDS_PAID,
      'The refunds of this order would exceed what was paid',
      { paid: 17600, refunded: 17600, available: 0 },
    ],
    [ErrorCode.INSUFFICIENT_BALANCE, "The wallet no longer holds this recharge's credit"],
    [
      ErrorCode.PARTIAL_RESTOCK,
      'restock returns the whole order: only a refund of everything left may ask for it',
      { amount: 1, available: 17600 },
    ],
    [ErrorCode.IDEMPOTENCY_KEY_REUSED, 'This Idempotency-Key was used with a different request'],
    [
      ErrorCode.OUTCOME_UNKNOWN,
      `Refund ${EX.refundNo} was created but could not be read back`,
      { reason: 'OUTCOME_UNKNOWN', refundNo: EX.refundNo, orderNo: EX.orderNo },
    ],
  )
  create(
    @CurrentUser() user: AuthUser,
    @Param('orderNo') orderNo: string,
    @Body() dto: CreateRefundDto,
    @IdemContext() ctx: IdempotencyContext,
  ): Promise<RefundResponse> {
    return this.refunds.create(user, orderNo, dto, ctx ?? null);
  }

  @Get('orders/:orderNo/refunds')
  @ApiOperation({ summary: "An order's refunds, oldest first (its owner or an admin)" })
  @ApiParam(ORDER_NO_PARAM)
  @ApiOkResponse({ type: RefundResponse, isArray: true, description: "the order's refunds, oldest first" })
  @ApiErrors([ErrorCode.NOT_FOUND, `Order ${EX.orderNo} not found`])
  list(@CurrentUser() user: AuthUser, @Param('orderNo') orderNo: string): Promise<RefundResponse[]> {
    return this.refunds.listForOrder(user, orderNo);
  }

  @Get('refunds/:refundNo')
  @ApiOperation({ summary: 'One refund (its order owner or an admin)' })
  @ApiParam({
    name: 'refundNo',
    description: 'the `refundNo` that POST /v1/orders/{orderNo}/refunds answered',
  })
  @ApiOkResponse({ type: RefundResponse, description: 'the refund, with its current status' })
  @ApiErrors([ErrorCode.NOT_FOUND, `Refund ${EX.refundNo} not found`])
  get(@CurrentUser() user: AuthUser, @Param('refundNo') refundNo: string): Promise<RefundResponse> {
    return this.refunds.get(user, refundNo);
  }
}
