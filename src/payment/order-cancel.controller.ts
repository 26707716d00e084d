import { Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { AuthUser, CurrentUser } from '../common/auth/auth.decorators';
import { ErrorCode } from '../common/errors';
import { OrderResponse } from '../order';
import { ApiErrors } from '../order/api-errors.decorator';
import { PaymentCloseService } from './payment-close.service';
import { EX } from '../common/openapi/examples';

const ORDER_NO = EX.orderNo;

/**
 * The order cancel route. It lives in the payment module because cancelling an order whose payment
 * is in flight means closing the trade at the gateway first; the order module stays free of any call
 * into payment (the dependency is one way: payment → order).
 */
@ApiTags('orders')
@ApiBearerAuth()
@ApiErrors([ErrorCode.UNAUTHORIZED, 'Missing bearer token'])
@Controller('orders')
export class OrderCancelController {
  constructor(private readonly closer: PaymentCloseService) {}

  @Post(':orderNo/cancel')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Cancel an order, releasing its stock (a payment in flight is closed at the gateway first); cancelling a cancelled order returns it',
  })
  @ApiParam({ name: 'orderNo', description: 'the `orderNo` that POST /v1/orders answered' })
  @ApiOkResponse({ type: OrderResponse, description: 'the order, now CANCELLED (its stock released)' })
  @ApiErrors(
    [ErrorCode.NOT_FOUND, `Order ${ORDER_NO} not found`],
    [
      ErrorCode.ORDER_NOT_CANCELLABLE,
      'The payment could not be closed at the gateway yet; retry the cancel shortly',
      { orderNo: ORDER_NO, status: 'PAYING' },
    ],
  )
  cancel(@CurrentUser() user: AuthUser, @Param('orderNo') orderNo: string): Promise<OrderResponse> {
    return this.closer.cancelOrder(user.userId, orderNo);
  }
}
