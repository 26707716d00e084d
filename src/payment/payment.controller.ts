import { Body, Controller, Get, Param, Post, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AuthUser, CurrentUser } from '../common/auth/auth.decorators';
import { ErrorCode } from '../common/errors';
import { ApiErrors } from '../order/api-errors.decorator';
import { CreatePaymentDto, PaymentResponse } from './dto/payment.dto';
import { PrepayService } from './prepay.service';
import { EX } from '../common/openapi/examples';

@ApiTags('payments')
@ApiBearerAuth()
@ApiErrors([ErrorCode.UNAUTHORIZED, 'Missing bearer token'])
@Controller()
export class PaymentController {
  constructor(private readonly prepay: PrepayService) {}

  @Post('orders/:orderNo/payments')
  @ApiOperation({
    summary:
      'Pay an order: alipay / wechat / unionpay → a QR code (201 new, 200 the same pending payment again; another ' +
      'channel closes the pending one first); wallet → paid at once',
  })
  @ApiParam({
    name: 'orderNo',
    description: 'the `orderNo` that POST /v1/orders (or /v1/recharges) answered',
  })
  @ApiCreatedResponse({ type: PaymentResponse, description: 'a new payment' })
  @ApiOkResponse({
    type: PaymentResponse,
    description: 'the pending payment of this order and channel, again',
  })
  @ApiErrors(
    [
      ErrorCode.VALIDATION_FAILED,
      'channel must be alipay, wechat, unionpay or wallet, and enabled (PAYMENT_CHANNELS)',
    ],
    [ErrorCode.NOT_FOUND, `Order ${EX.orderNo} not found`],
    [ErrorCode.ORDER_ALREADY_PAID, 'The order is already paid'],
    [ErrorCode.ORDER_NOT_PAYABLE, 'The order is cancelled (or a recharge paid from the wallet)'],
    [ErrorCode.PAYMENT_IN_PROGRESS, 'Another payment of this order is in progress'],
    [
      ErrorCode.PAYMENT_ATTEMPTS_EXHAUSTED,
      'This order has had 99 payment attempts, the most one order may have; place a new order',
    ],
    [ErrorCode.INSUFFICIENT_BALANCE, 'The wallet balance is too low'],
    [ErrorCode.REQUEST_IN_PROGRESS, 'Another request holds this order; retry'],
    [ErrorCode.GATEWAY_REFUSED, 'The payment gateway refused this payment (details.gatewayCode)'],
    [ErrorCode.GATEWAY_UNAVAILABLE, 'The payment gateway did not answer; retry'],
  )
  async create(
    @CurrentUser() user: AuthUser,
    @Param('orderNo') orderNo: string,
    @Body() dto: CreatePaymentDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<PaymentResponse> {
    const r = await this.prepay.prepay(user.userId, orderNo, dto.channel);
    reply.status(r.created ? 201 : 200);
    return r.payment;
  }

  @Get('payments/:paymentNo')
  @ApiOperation({ summary: 'One of your payments' })
  @ApiParam({
    name: 'paymentNo',
    description: 'the `paymentNo` that POST /v1/orders/{orderNo}/payments answered',
  })
  @ApiOkResponse({ type: PaymentResponse, description: 'the payment, with its current status' })
  @ApiErrors([ErrorCode.NOT_FOUND, `Payment ${EX.paymentNo} not found`])
  get(@CurrentUser() user: AuthUser, @Param('paymentNo') paymentNo: string): Promise<PaymentResponse> {
    return this.prepay.get(user.userId, paymentNo);
  }
}
