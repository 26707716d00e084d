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
import { ApiErrors } from '../common/openapi/api-errors.decorator';
import { IdemContext, IdempotencyContext, IdempotentSubmit } from '../idempotency';
import {
  CreateTransferDto,
  ListTransfersQuery,
  TRANSFER_EXAMPLE,
  TransferPageResponse,
  TransferResponse,
} from './dto/transfer.dto';
import { TransferService } from './transfer.service';

const NO = { name: 'transferNo', example: TRANSFER_EXAMPLE.transferNo };

@ApiTags('transfers')
@ApiBearerAuth()
@Controller('transfers')
export class TransferController {
  constructor(private readonly transfers: TransferService) {}

  @Post()
  @HttpCode(201)
  @IdempotentSubmit({ scope: 'transfers.create', resultIdField: 'transferNo' })
  @ApiOperation({ summary: 'Create a transfer to another wallet: its number first, nothing moves yet' })
  @ApiCreatedResponse({
    type: TransferResponse,
    example: TRANSFER_EXAMPLE,
    description: 'the CREATED transfer',
  })
  @ApiErrors(
    [
      ErrorCode.VALIDATION_FAILED,
      'To oneself, amount ≤ 0 or above TRANSFER_MAX_AMOUNT',
      { errors: ['toUserId must not be the sender'] },
    ],
    [ErrorCode.UNAUTHORIZED, 'Missing bearer token'],
    [ErrorCode.RECIPIENT_NOT_FOUND, 'The recipient has no wallet', { toUserId: 'u404' }],
    [
      ErrorCode.DUPLICATE_SUBMIT,
      'The same request was just submitted',
      { transferNo: TRANSFER_EXAMPLE.transferNo },
    ],
    [ErrorCode.REQUEST_IN_PROGRESS, 'A request with this Idempotency-Key is still running'],
    [ErrorCode.IDEMPOTENCY_KEY_REUSED, 'This Idempotency-Key was used with a different request'],
  )
  create(
    @CurrentUser() user: AuthUser,
    @Body() dto: CreateTransferDto,
    @IdemContext() ctx: IdempotencyContext,
  ): Promise<TransferResponse> {
    return this.transfers.create(user.userId, dto, ctx ?? null);
  }

  @Post(':transferNo/execute')
  @HttpCode(200)
  @ApiParam(NO)
  @ApiOperation({
    summary:
      'Move the money (sender only). Every retry answers the same SUCCEEDED transfer and moves nothing',
  })
  @ApiOkResponse({
    type: TransferResponse,
    example: { ...TRANSFER_EXAMPLE, status: 'SUCCEEDED', executedAt: '2026-12-07T01:31:00.000Z' },
    description: 'the SUCCEEDED transfer (the same answer on every retry)',
  })
  @ApiErrors(
    [ErrorCode.UNAUTHORIZED, 'Missing bearer token'],
    [ErrorCode.FORBIDDEN, 'The receiver (or an admin) cannot execute it'],
    [ErrorCode.NOT_FOUND, 'No such transfer of yours'],
    [
      ErrorCode.INSUFFICIENT_BALANCE,
      'The balance is too low; the transfer stays CREATED',
      { amount: 2000000 },
    ],
    [ErrorCode.TRANSFER_NOT_EXECUTABLE, 'The transfer is CANCELLED or EXPIRED', { status: 'EXPIRED' }],
  )
  execute(@CurrentUser() user: AuthUser, @Param('transferNo') transferNo: string): Promise<TransferResponse> {
    return this.transfers.execute(user, transferNo);
  }

  @Post(':transferNo/cancel')
  @HttpCode(200)
  @ApiParam(NO)
  @ApiOperation({ summary: 'Cancel a CREATED transfer (sender only); cancelling a cancelled one answers it' })
  @ApiOkResponse({ type: TransferResponse, description: 'the CANCELLED transfer' })
  @ApiErrors(
    [ErrorCode.UNAUTHORIZED, 'Missing bearer token'],
    [ErrorCode.FORBIDDEN, 'The receiver (or an admin) cannot cancel it'],
    [ErrorCode.NOT_FOUND, 'No such transfer of yours'],
    [ErrorCode.TRANSFER_NOT_CANCELLABLE, 'The transfer SUCCEEDED or EXPIRED', { status: 'SUCCEEDED' }],
  )
  cancel(@CurrentUser() user: AuthUser, @Param('transferNo') transferNo: string): Promise<TransferResponse> {
    return this.transfers.cancel(user, transferNo);
  }

  @Get(':transferNo')
  @ApiParam(NO)
  @ApiOperation({ summary: 'One transfer (its sender, its receiver or an admin)' })
  @ApiOkResponse({ type: TransferResponse, description: 'the transfer as it is now' })
  @ApiErrors(
    [ErrorCode.UNAUTHORIZED, 'Missing bearer token'],
    [ErrorCode.NOT_FOUND, 'No such transfer of yours'],
  )
  get(@CurrentUser() user: AuthUser, @Param('transferNo') transferNo: string): Promise<TransferResponse> {
    return this.transfers.get(user, transferNo);
  }

  @Get()
  @ApiOperation({ summary: 'My transfers, sent and received, newest first' })
  @ApiOkResponse({
    type: TransferPageResponse,
    description: 'one page; `nextCursor` for the next (older) one',
  })
  @ApiErrors(
    [ErrorCode.VALIDATION_FAILED, 'limit outside 1–100, or a cursor that is not a nextCursor'],
    [ErrorCode.UNAUTHORIZED, 'Missing bearer token'],
  )
  list(@CurrentUser() user: AuthUser, @Query() q: ListTransfersQuery): Promise<TransferPageResponse> {
    return this.transfers.list(user.userId, q);
  }
}
