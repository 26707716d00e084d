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
import { ApiErrors } from '../../common/openapi/api-errors.decorator';
import { IdemContext, IdempotencyContext, IdempotentSubmit } from '../../idempotency';
import {
  AdminListPayoutsQuery,
  AdminPayoutPageResponse,
  AdminPayoutResponse,
  CreatePayoutDto,
  ListPayoutsQuery,
  PayoutPageResponse,
  PayoutResponse,
  RejectPayoutDto,
} from './dto/payout.dto';
import { PayoutService } from './payout.service';
import { PayoutReviewService } from './payout-review.service';

const NO = { name: 'payoutNo', example: 'P20261207013000123456789012345' };

@ApiTags('payouts')
@ApiBearerAuth()
@Controller({ path: 'payouts', version: '1' })
export class PayoutController {
  constructor(private readonly payouts: PayoutService) {}

  @Post()
  @HttpCode(201)
  @IdempotentSubmit({ scope: 'payouts.create', resultIdField: 'payoutNo' })
  @ApiOperation({
    summary:
      'Pay out of the wallet to an Alipay or WeChat account: the number stored and the wallet debited in one transaction, the transfer after',
  })
  @ApiCreatedResponse({
    type: PayoutResponse,
    description: 'PENDING (being sent) or REVIEW (waits for an admin)',
  })
  @ApiErrors(
    [
      ErrorCode.VALIDATION_FAILED,
      'Bad channel, account or amount',
      { errors: ['amount must not be greater than 5000000'] },
    ],
    [ErrorCode.UNAUTHORIZED, 'Missing bearer token'],
    [ErrorCode.INSUFFICIENT_BALANCE, 'The balance is too low; nothing stored', { amount: 10000 }],
    [
      ErrorCode.PAYOUT_LIMIT_EXCEEDED,
      "Today's payout total would pass PAYOUT_DAILY_LIMIT",
      { limit: 10000000, used: 9990000, available: 10000 },
    ],
    [ErrorCode.DUPLICATE_SUBMIT, 'The same request was just submitted'],
    [ErrorCode.REQUEST_IN_PROGRESS, 'A request with this Idempotency-Key is still running'],
    [ErrorCode.IDEMPOTENCY_KEY_REUSED, 'This Idempotency-Key was used with a different request'],
  )
  create(
    @CurrentUser() user: AuthUser,
    @Body() dto: CreatePayoutDto,
    @IdemContext() ctx: IdempotencyContext,
  ): Promise<PayoutResponse> {
    return this.payouts.create(user.userId, dto, ctx ?? null);
  }

  @Get(':payoutNo')
  @ApiParam(NO)
  @ApiOperation({ summary: 'One payout (its owner or an admin)' })
  @ApiOkResponse({ type: PayoutResponse, description: 'the payout as it is now' })
  @ApiErrors(
    [ErrorCode.UNAUTHORIZED, 'Missing bearer token'],
    [ErrorCode.NOT_FOUND, 'No such payout of yours'],
  )
  get(@CurrentUser() user: AuthUser, @Param('payoutNo') payoutNo: string): Promise<PayoutResponse> {
    return this.payouts.get(user, payoutNo);
  }

  @Get()
  @ApiOperation({ summary: 'My payouts, newest first' })
  @ApiOkResponse({ type: PayoutPageResponse, description: 'one page; `nextCursor` for the next (older) one' })
  @ApiErrors(
    [ErrorCode.VALIDATION_FAILED, 'limit outside 1–100, or a cursor that is not a nextCursor'],
    [ErrorCode.UNAUTHORIZED, 'Missing bearer token'],
  )
  list(@CurrentUser() user: AuthUser, @Query() q: ListPayoutsQuery): Promise<PayoutPageResponse> {
    return this.payouts.list(user.userId, q);
  }
}

@ApiTags('admin')
@ApiBearerAuth()
@Roles('admin')
@ApiErrors([ErrorCode.UNAUTHORIZED, 'Missing bearer token'], [ErrorCode.FORBIDDEN, 'Admins only'])
@Controller({ path: 'admin/payouts', version: '1' })
export class AdminPayoutController {
  constructor(private readonly review: PayoutReviewService) {}

  @Get()
  @ApiOperation({ summary: 'Payouts, newest first; status=REVIEW is the review queue' })
  @ApiOkResponse({ type: AdminPayoutPageResponse, description: 'one page, newest first' })
  @ApiErrors([ErrorCode.VALIDATION_FAILED, 'Bad status, limit or cursor'])
  list(@Query() q: AdminListPayoutsQuery): Promise<AdminPayoutPageResponse> {
    return this.review.list(q);
  }

  @Get(':payoutNo')
  @ApiParam(NO)
  @ApiOperation({ summary: 'One payout, with its owner and reviewer' })
  @ApiOkResponse({ type: AdminPayoutResponse, description: 'the payout as it is now' })
  @ApiErrors([ErrorCode.NOT_FOUND, 'No such payout'])
  get(@Param('payoutNo') payoutNo: string): Promise<AdminPayoutResponse> {
    return this.review.get(payoutNo);
  }

  @Post(':payoutNo/approve')
  @HttpCode(200)
  @ApiParam(NO)
  @ApiOperation({
    summary: 'Approve a payout in REVIEW: it becomes PENDING and is sent (again: the same answer)',
  })
  @ApiOkResponse({ type: AdminPayoutResponse, description: 'the payout as it is now' })
  @ApiErrors(
    [ErrorCode.NOT_FOUND, 'No such payout'],
    [ErrorCode.PAYOUT_NOT_REVIEWABLE, 'Rejected (or never in review)', { status: 'FAILED' }],
  )
  approve(@CurrentUser() admin: AuthUser, @Param('payoutNo') payoutNo: string): Promise<AdminPayoutResponse> {
    return this.review.approve(admin, payoutNo);
  }

  @Post(':payoutNo/reject')
  @HttpCode(200)
  @ApiParam(NO)
  @ApiOperation({ summary: 'Reject a payout in REVIEW: FAILED, its money back to the wallet once' })
  @ApiOkResponse({ type: AdminPayoutResponse, description: 'the payout as it is now' })
  @ApiErrors(
    [ErrorCode.VALIDATION_FAILED, 'reason missing'],
    [ErrorCode.NOT_FOUND, 'No such payout'],
    [ErrorCode.PAYOUT_NOT_REVIEWABLE, 'Approved already (or never in review)', { status: 'PENDING' }],
  )
  reject(
    @CurrentUser() admin: AuthUser,
    @Param('payoutNo') payoutNo: string,
    @Body() dto: RejectPayoutDto,
  ): Promise<AdminPayoutResponse> {
    return this.review.reject(admin, payoutNo, dto.reason);
  }

  @Post(':payoutNo/recheck')
  @HttpCode(200)
  @ApiParam(NO)
  @ApiOperation({
    summary: 'Ask the gateway now: settles a PENDING payout, finds a bank bounce of a SUCCEEDED one',
  })
  @ApiOkResponse({ type: AdminPayoutResponse, description: 'the payout as it is now' })
  @ApiErrors([ErrorCode.NOT_FOUND, 'No such payout'])
  recheck(@Param('payoutNo') payoutNo: string): Promise<AdminPayoutResponse> {
    return this.review.recheck(payoutNo);
  }
}
