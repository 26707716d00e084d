import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { AuthUser, CurrentUser } from '../common/auth/auth.decorators';
import { ErrorCode } from '../common/errors';
import { IdemContext, IdempotencyContext, IdempotentSubmit } from '../idempotency';
import { ApiErrors } from './api-errors.decorator';
import { CreateOrderDto } from './dto/create-order.dto';
import { ListOrdersQuery } from './dto/list-orders.query';
import { ORDER_EXAMPLE, OrderPageResponse, OrderResponse } from './dto/order-response.dto';
import { EX } from '../common/openapi/examples';
import { OrderSubmitService } from './order-submit.service';
import { OrderService } from './order.service';

const ORDER_NO = EX.orderNo;
const ORDER_NO_PARAM = {
  name: 'orderNo',
  description: 'the `orderNo` that POST /v1/orders answered',
};

@ApiTags('orders')
@ApiBearerAuth()
@ApiErrors([ErrorCode.UNAUTHORIZED, 'Missing bearer token'])
@Controller('orders')
export class OrderController {
  constructor(
    private readonly orders: OrderService,
    private readonly submitter: OrderSubmitService,
  ) {}

  @Post()
  @HttpCode(201)
  @IdempotentSubmit({ scope: 'orders.create', resultIdField: 'orderNo' })
  @ApiOperation({
    summary: 'Submit an order (prices from the catalog; stock taken at once; expires after ORDER_TTL_MS)',
  })
  @ApiCreatedResponse({
    type: OrderResponse,
    example: ORDER_EXAMPLE,
    description: 'the new order (or, with a used Idempotency-Key, the first answer replayed)',
  })
  @ApiErrors(
    [
      ErrorCode.VALIDATION_FAILED,
      'Request validation failed',
      { errors: ['property totalAmount should not exist'] },
    ],
    [ErrorCode.NOT_FOUND, 'Product 42 not found', { productId: 42 }],
    [ErrorCode.OUT_OF_STOCK, 'Not enough stock for product 1', { productId: 1, requested: 2 }],
    [ErrorCode.DUPLICATE_SUBMIT, 'The same request was just submitted', { orderNo: ORDER_NO }],
    [ErrorCode.REQUEST_IN_PROGRESS, 'A request with this Idempotency-Key is still running'],
    [ErrorCode.TOKEN_USED, 'Idempotency-Token was already used'],
    [ErrorCode.TOKEN_INVALID, 'Idempotency-Token is unknown or expired'],
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
    @Body() dto: CreateOrderDto,
    @IdemContext() ctx: IdempotencyContext,
  ): Promise<OrderResponse> {
    return this.submitter.submitGoods(user.userId, dto, ctx ?? null);
  }

  @Get()
  @ApiOperation({ summary: "The caller's orders, newest first (keyset pagination)" })
  @ApiOkResponse({ type: OrderPageResponse, description: 'one page of orders and the cursor of the next' })
  @ApiErrors([ErrorCode.VALIDATION_FAILED, 'cursor is not valid', { cursor: 'x' }])
  list(@CurrentUser() user: AuthUser, @Query() q: ListOrdersQuery): Promise<OrderPageResponse> {
    return this.orders.list(user.userId, q);
  }

  @Get(':orderNo')
  @ApiOperation({ summary: 'One of the caller’s orders (anyone else’s is 404)' })
  @ApiParam(ORDER_NO_PARAM)
  @ApiOkResponse({ type: OrderResponse, description: 'the order, with its current status' })
  @ApiErrors([ErrorCode.NOT_FOUND, `Order ${ORDER_NO} not found`])
  async get(@CurrentUser() user: AuthUser, @Param('orderNo') orderNo: string): Promise<OrderResponse> {
    return this.orders.toOrderJson(await this.orders.getOwnedOrder(user.userId, orderNo));
  }
}
