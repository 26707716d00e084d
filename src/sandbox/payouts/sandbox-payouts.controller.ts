import {
  Body,
  Controller,
  Get,
  HttpCode,
  Param,
  Post,
  Put,
  UseGuards,
  VERSION_NEUTRAL,
} from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
} from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, MaxLength, Min, ValidateNested } from 'class-validator';
import { Public } from '../../common/auth/auth.decorators';
import { DomainError, ErrorCode } from '../../common/errors';
import { ApiErrors } from '../../common/openapi/api-errors.decorator';
import { SandboxEnabledGuard } from '../sandbox-enabled.guard';
import {
  PAYOUT_FAULTS,
  PAYOUT_NOTIFY_MODES,
  PAYOUT_PROTOCOLS,
  PayoutFault,
  PayoutNotifyMode,
  PayoutProtocol,
} from './sandbox-payout.types';
import { SandboxFundBillService } from './sandbox-fund-bill.service';
import { SandboxTransferService } from './sandbox-transfer.service';

export class PayoutFaultDto {
  @ApiProperty({ enum: PAYOUT_FAULTS })
  @IsIn(PAYOUT_FAULTS as unknown as string[])
  mode: PayoutFault;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    default: 1,
    description: 'how many transfer calls it hits',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  times?: number;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    description: 'order_not_exist: queries answered ORDER_NOT_EXIST; unconfirmed: ms until the bill closes',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  param?: number;
}

export class PayoutNotifyDto {
  @ApiProperty({
    enum: PAYOUT_NOTIFY_MODES,
    description:
      'how the transfer notify goes (WeChat MCHTRANSFER.BILL.FINISHED, Alipay alipay.fund.trans.order.changed)',
  })
  @IsIn(PAYOUT_NOTIFY_MODES as unknown as string[])
  mode: PayoutNotifyMode;

  @ApiPropertyOptional({ type: 'integer', minimum: 0, description: 'late: ms before it is sent' })
  @IsOptional()
  @IsInt()
  @Min(0)
  delayMs?: number;
}

export class PutPayeeDto {
  @ApiPropertyOptional({ example: '张三', description: "the account holder's real name (checked when sent)" })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  name?: string;

  @ApiPropertyOptional({ type: PayoutFaultDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => PayoutFaultDto)
  fault?: PayoutFaultDto;

  @ApiPropertyOptional({ type: PayoutNotifyDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => PayoutNotifyDto)
  notify?: PayoutNotifyDto;
}

export class SandboxOkResponse {
  @ApiProperty({ example: true })
  ok: boolean;
}

export class SandboxTransferResponse {
  @ApiProperty({ enum: PAYOUT_PROTOCOLS })
  protocol: string;

  @ApiProperty({ example: 'P20261207013000123456789012345', description: 'out_biz_no / out_bill_no' })
  out_no: string;

  @ApiProperty({ description: 'Alipay order_id / WeChat transfer_bill_no' })
  order_id: string;

  @ApiProperty()
  payee_identity: string;

  @ApiProperty({ type: 'integer', description: 'fen' })
  amount: number;

  @ApiProperty({ description: 'SUCCESS, FAIL, REFUND (bounced), WAIT_USER_CONFIRM, CANCELLED' })
  status: string;

  @ApiProperty({ type: String, nullable: true })
  fail_reason: string | null;

  @ApiProperty({ type: 'integer', description: 'transfer calls under this number with the same parameters' })
  calls: number;

  @ApiProperty({ type: 'integer', description: 'calls under this number with other parameters (refused)' })
  inconsistent_calls: number;

  @ApiProperty({ type: 'integer' })
  queries: number;
}

export class SandboxFundBillLineResponse {
  @ApiProperty({ example: '2026120700000001' })
  account_log_id: string;

  @ApiProperty({ description: 'order_id of the transfer' })
  alipay_order_no: string;

  @ApiProperty({ description: 'out_biz_no: the payout number' })
  merchant_order_no: string;

  @ApiProperty({ example: '2026-12-07 10:00:00', description: 'China time' })
  trans_dt: string;

  @ApiProperty({ description: 'the payee account' })
  other_account: string;

  @ApiProperty({ enum: ['支出', '收入'], description: 'out (a transfer) or in (a bank bounce)' })
  direction: string;

  @ApiProperty({ example: '12.34', description: 'yuan' })
  trans_amount: string;

  @ApiProperty({ enum: ['转账', '退票'] })
  type: string;
}

export class SandboxFundBillResponse {
  @ApiProperty({ example: '2026-12-07' })
  bill_date: string;

  @ApiProperty({ type: [SandboxFundBillLineResponse] })
  lines: SandboxFundBillLineResponse[];
}

const MOVES: Record<string, { protocol: PayoutProtocol; from: string; to: string }> = {
  bounce: { protocol: 'alipay', from: 'SUCCESS', to: 'REFUND' },
  confirm: { protocol: 'wechat', from: 'WAIT_USER_CONFIRM', to: 'SUCCESS' },
  close: { protocol: 'wechat', from: 'WAIT_USER_CONFIRM', to: 'CANCELLED' },
};

/**
 * The payout simulator's own controls (not a gateway protocol): payees and the faults armed on them,
 * a transfer as the simulator holds it, and what happens after (an Alipay bank bounce, a WeChat bill
 * confirmed by the user or closed unconfirmed).
 */
@ApiTags('sandbox')
@Public()
@UseGuards(SandboxEnabledGuard)
@Controller({ path: 'sandbox/payouts', version: VERSION_NEUTRAL })
export class SandboxPayoutsController {
  constructor(
    private readonly core: SandboxTransferService,
    private readonly bills: SandboxFundBillService,
  ) {}

  @Get('alipay/bills/:date')
  @ApiOperation({
    summary:
      "Alipay's fund account bill of a day (China time), as JSON — where the signcustomer bill URL points",
  })
  @ApiParam({
    name: 'date',
    description: 'the bill date, China time',
    schema: { type: 'string', format: 'date' },
  })
  @ApiOkResponse({ type: SandboxFundBillResponse, description: "the day's transfer lines, amounts in yuan" })
  @ApiErrors([ErrorCode.VALIDATION_FAILED, 'date: yyyy-MM-dd'])
  async alipayBill(@Param('date') date: string): Promise<SandboxFundBillResponse> {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) {
      throw new DomainError(ErrorCode.VALIDATION_FAILED, 'date: yyyy-MM-dd');
    }
    return this.bills.alipayBill(date);
  }

  @Put('payees/:protocol/:identity')
  @HttpCode(200)
  @ApiOperation({ summary: 'Make (or change) a payee account, with a fault for its next transfer calls' })
  @ApiOkResponse({ type: SandboxOkResponse, description: 'stored' })
  async putPayee(
    @Param('protocol') protocol: string,
    @Param('identity') identity: string,
    @Body() dto: PutPayeeDto,
  ): Promise<{ ok: true }> {
    await this.core.putPayee(protocolOf(protocol), identity, {
      name: dto.name ?? null,
      fault: dto.fault ?? null,
      notify: dto.notify ?? null,
    });
    return { ok: true };
  }

  @Get(':protocol/:outNo')
  @ApiOperation({
    summary: 'A transfer as the simulator holds it (calls, inconsistent calls, queries, state)',
  })
  @ApiOkResponse({ type: SandboxTransferResponse, description: 'the sandbox_transfer row' })
  async get(@Param('protocol') protocol: string, @Param('outNo') outNo: string) {
    const row = await this.core.find(protocolOf(protocol), outNo);
    if (!row) throw new DomainError(ErrorCode.NOT_FOUND, `no transfer ${outNo}`);
    return row;
  }

  @Post(':protocol/:outNo/:move')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'bounce (Alipay SUCCESS → REFUND), confirm / close (WeChat WAIT_USER_CONFIRM → SUCCESS / CANCELLED)',
  })
  @ApiOkResponse({ type: SandboxTransferResponse, description: 'the transfer after the move' })
  async move(
    @Param('protocol') protocol: string,
    @Param('outNo') outNo: string,
    @Param('move') move: string,
  ) {
    const m = MOVES[move];
    if (!m || m.protocol !== protocolOf(protocol))
      throw new DomainError(ErrorCode.NOT_FOUND, `no move ${move}`);
    if (!(await this.core.move(m.protocol, outNo, m.from, m.to))) {
      throw new DomainError(ErrorCode.CONFLICT, `transfer ${outNo} is not ${m.from}`);
    }
    return this.core.find(m.protocol, outNo);
  }
}

function protocolOf(p: string): PayoutProtocol {
  if (!(PAYOUT_PROTOCOLS as readonly string[]).includes(p)) {
    throw new DomainError(ErrorCode.NOT_FOUND, `no protocol ${p}`);
  }
  return p as PayoutProtocol;
}
