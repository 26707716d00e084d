import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { FaultTimes, OptionalBool, OptionalIn, OptionalNested, SimNotifyTimingDto } from './core/sim.dto';
import {
  Fault,
  FAULTS,
  NOTIFY_MODES,
  NotifyMode,
  REFUND_FAULTS,
  REFUND_NOTIFY_MODES,
  RefundFault,
  RefundNotifyMode,
} from './sandbox-trade.types';

export class NotifyOptionsDto extends SimNotifyTimingDto {
  @ApiProperty({ enum: NOTIFY_MODES, example: 'normal' })
  @IsIn(NOTIFY_MODES)
  mode: NotifyMode;
}

export class PayTradeDto {
  @OptionalNested(NotifyOptionsDto)
  notify?: NotifyOptionsDto;

  @OptionalBool('Pay a trade that was already closed (simulates a payment that lands after the close)')
  allowAfterClose?: boolean;
}

export class RefundNotifyOptionsDto extends SimNotifyTimingDto {
  @ApiProperty({
    enum: REFUND_NOTIFY_MODES,
    example: 'duplicate',
    description:
      'How the next refund notify of this trade is delivered: normal, drop (never sent), duplicate (`times` ' +
      'concurrent copies), delay (`delayMs`), out_of_order (followed by a stale notify of the state before ' +
      'this refund), early (delivered before the refund call answers)',
  })
  @IsIn(REFUND_NOTIFY_MODES)
  mode: RefundNotifyMode;
}

export class FaultsDto {
  @OptionalIn(FAULTS, { example: 'system_error' })
  query?: Fault;

  @OptionalIn(FAULTS, { example: 'none' })
  close?: Fault;

  @OptionalIn(REFUND_FAULTS, {
    example: 'timeout',
    description:
      'alipay.trade.refund: timeout (refunded, answer lost), system_error / service_unavailable (nothing ' +
      'done), fund_change_n (refunded, answers fund_change N), fail_later (answers fund_change N, then the ' +
      'query says not refunded; a retry with the same number and amount refunds)',
  })
  refund?: RefundFault;

  @OptionalIn(FAULTS, { example: 'system_error', description: 'alipay.trade.fastpay.refund.query' })
  refundQuery?: Fault;

  @OptionalNested(RefundNotifyOptionsDto, 'taken by the next refund that moves money')
  refundNotify?: RefundNotifyOptionsDto;

  @FaultTimes()
  times?: number;
}

export class InjectTradeDto {
  @ApiProperty({ example: 'STRAY-0001', description: 'an out_trade_no oncepay never issued' })
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,64}$/)
  outTradeNo: string;

  @ApiProperty({
    type: 'integer',
    minimum: 1,
    maximum: 10_000_000_000,
    example: 990,
    description: 'integer fen',
  })
  @IsInt()
  @Min(1)
  @Max(10_000_000_000)
  amount: number;

  @ApiPropertyOptional({ example: 'paid outside oncepay' })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  subject?: string;
}
