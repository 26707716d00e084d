import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
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
import {
  ApproveRefundRequestDto,
  CreateRefundRequestDto,
  ListRefundRequestsQuery,
  RefundRequestResponse,
  RejectRefundRequestDto,
} from '../dto/refund-request.dto';
import { RefundRequestService } from './refund-request.service';
import { EX } from '../../common/openapi/examples';

const REQUEST_NO_PARAM = {
  name: 'requestNo',
  description: 'the `requestNo` that POST /v1/orders/{orderNo}/refund-requests answered',
};
const DECIDED: [ErrorCode, string, Record<string, unknown>] = [
  ErrorCode.REFUND_REQUEST_DECIDED,
  'This refund request is already REJECTED',
  { requestNo: EX.refundRequestNo, status: 'REJECTED', refundNo: null },
];

@ApiTags('refunds')
@ApiBearerAuth()
@ApiErrors([ErrorCode.UNAUTHORIZED, 'Missing bearer token'])
@Controller()
export class RefundRequestController {
  constructor(private readonly requests: RefundRequestService) {}

  @Post('orders/:orderNo/refund-requests')
  @HttpCode(201)
  @IdempotentSubmit({ scope: 'refund-requests.create', resultIdField: 'requestNo', params: ['orderNo'] })
  @ApiOperation({
    summary:
      "Ask for a refund of one's own paid order (all that is left, or `amount`); an admin approves or " +
      'rejects it. One open request per order.',
  })
  @ApiParam({ name: 'orderNo', description: 'the `orderNo` of your paid order' })
  @ApiCreatedResponse({ type: RefundRequestResponse, description: 'the request, OPEN' })
  @ApiErrors(
    [
      ErrorCode.VALIDATION_FAILED,
      'Request validation failed',
      { errors: ['reason must be longer than or equal to 1 characters'] },
    ],
    [ErrorCode.NOT_FOUND, `Order ${EX.orderNo} not found`],
    [ErrorCode.ORDER_NOT_REFUNDABLE, 'Only a paid order can be refunded', { status: 'CREATED' }],
    [
      ErrorCode.REFUND_EXCEEDS_PAID,
      'The amount asked for is more than is left to refund',
      { paid: 17600, refunded: 17600, available: 0 },
    ],
    [
      ErrorCode.REFUND_REQUEST_OPEN,
      'This order already has an open refund request; wait for its decision',
      { orderNo: EX.orderNo, requestNo: EX.refundRequestNo },
    ],
    [ErrorCode.IDEMPOTENCY_KEY_REUSED, 'This Idempotency-Key was used with a different request'],
  )
  create(
    @CurrentUser() user: AuthUser,
    @Param('orderNo') orderNo: string,
    @Body() dto: CreateRefundRequestDto,
    @IdemContext() ctx: IdempotencyContext,
  ): Promise<RefundRequestResponse> {
    return this.requests.create(user, orderNo, dto, ctx ?? null);
  }

  @Get('refund-requests')
  @ApiOperation({
    summary:
      "Refund requests, newest first: an admin sees everyone's (status=OPEN is the review queue), a user their own",
  })
  @ApiOkResponse({ type: RefundRequestResponse, isArray: true, description: 'newest first' })
  @ApiErrors([ErrorCode.VALIDATION_FAILED, 'Request validation failed'])
  list(@CurrentUser() user: AuthUser, @Query() q: ListRefundRequestsQuery): Promise<RefundRequestResponse[]> {
    return this.requests.list(user, q);
  }

  @Get('refund-requests/:requestNo')
  @ApiOperation({ summary: 'One refund request (its owner or an admin)' })
  @ApiParam(REQUEST_NO_PARAM)
  @ApiOkResponse({ type: RefundRequestResponse, description: 'the request' })
  @ApiErrors([ErrorCode.NOT_FOUND, `Refund request ${EX.refundRequestNo} not found`])
  get(@CurrentUser() user: AuthUser, @Param('requestNo') requestNo: string): Promise<RefundRequestResponse> {
    return this.requests.get(user, requestNo);
  }

  @Post('refund-requests/:requestNo/approve')
  @HttpCode(200)
  @Roles('admin')
  @ApiOperation({
    summary:
      'Approve (admin): creates the refund of the asked amount on the exactly-once refund path, in the same ' +
      'transaction as the decision; approving an approved request returns it',
  })
  @ApiParam(REQUEST_NO_PARAM)
  @ApiOkResponse({ type: RefundRequestResponse, description: 'the request as decided' })
  @ApiErrors(
    [ErrorCode.FORBIDDEN, 'Admins only'],
    [ErrorCode.NOT_FOUND, `Refund request ${EX.refundRequestNo} not found`],
    DECIDED,
    [ErrorCode.ORDER_NOT_REFUNDABLE, 'The order is already fully refunded', { status: 'REFUNDED' }],
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
  )
  approve(
    @CurrentUser() user: AuthUser,
    @Param('requestNo') requestNo: string,
    @Body() dto: ApproveRefundRequestDto,
  ): Promise<RefundRequestResponse> {
    return this.requests.approve(user, requestNo, dto ?? {});
  }

  @Post('refund-requests/:requestNo/reject')
  @HttpCode(200)
  @Roles('admin')
  @ApiOperation({
    summary: 'Reject (admin) with a reason the buyer sees; rejecting a rejected request returns it',
  })
  @ApiParam(REQUEST_NO_PARAM)
  @ApiOkResponse({ type: RefundRequestResponse, description: 'the request as decided' })
  @ApiErrors(
    [ErrorCode.VALIDATION_FAILED, 'Request validation failed'],
    [ErrorCode.FORBIDDEN, 'Admins only'],
    [ErrorCode.NOT_FOUND, `Refund request ${EX.refundRequestNo} not found`],
    [
      ErrorCode.REFUND_REQUEST_DECIDED,
      'This refund request is already APPROVED',
      { requestNo: EX.refundRequestNo, status: 'APPROVED', refundNo: EX.refundNo },
    ],
  )
  reject(
    @CurrentUser() user: AuthUser,
    @Param('requestNo') requestNo: string,
    @Body() dto: RejectRefundRequestDto,
  ): Promise<RefundRequestResponse> {
    return this.requests.reject(user, requestNo, dto);
  }
}
