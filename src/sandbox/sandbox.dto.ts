import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
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

export class NotifyOptionsDto {
  @ApiProperty({ enum: NOTIFY_MODES, example: 'normal' })
  @IsIn(NOTIFY_MODES)
  mode: NotifyMode;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: 20,
    description:
      'duplicate: concurrent copies (default 2); bad_sign / amount_mismatch: deliveries corrupted (default 1)',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(20)
  times?: number;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    maximum: 3_600_000,
    description: 'delay: milliseconds before the first delivery (not scaled)',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(3_600_000)
  delayMs?: number;
}

export class PayTradeDto {
  @ApiPropertyOptional({ type: NotifyOptionsDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => NotifyOptionsDto)
  notify?: NotifyOptionsDto;

  @ApiPropertyOptional({
    default: false,
    description: 'Pay a trade that was already closed (simulates a payment that lands after the close)',
  })
  @IsOptional()
  @IsBoolean()
  allowAfterClose?: boolean;
}

export class RefundNotifyOptionsDto {
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

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: 20,
    description: 'duplicate: concurrent copies (default 2)',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(20)
  times?: number;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    maximum: 3_600_000,
    description: 'delay: milliseconds before the first delivery (not scaled)',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(3_600_000)
  delayMs?: number;
}

export class FaultsDto {
  @ApiPropertyOptional({ enum: FAULTS, example: 'system_error' })
  @IsOptional()
  @IsIn(FAULTS)
  query?: Fault;

  @ApiPropertyOptional({ enum: FAULTS, example: 'none' })
  @IsOptional()
  @IsIn(FAULTS)
  close?: Fault;

  @ApiPropertyOptional({
    enum: REFUND_FAULTS,
    example: 'timeout',
    description:
      'alipay.trade.refund: timeout (refunded, answer lost), system_error / service_unavailable (nothing ' +
      'done), fund_change_n (refunded, answers fund_change N), fail_later (answers fund_change N, then the ' +
      'query says not refunded; a retry with the same number and amount refunds)',
  })
  @IsOptional()
  @IsIn(REFUND_FAULTS)
  refund?: RefundFault;

  @ApiPropertyOptional({
    enum: FAULTS,
    example: 'system_error',
    description: 'alipay.trade.fastpay.refund.query',
  })
  @IsOptional()
  @IsIn(FAULTS)
  refundQuery?: Fault;

  @ApiPropertyOptional({
    type: RefundNotifyOptionsDto,
    description: 'taken by the next refund that moves money',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => RefundNotifyOptionsDto)
  refundNotify?: RefundNotifyOptionsDto;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: 1000,
    description: 'How many calls fail (default 1), for every fault set here',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1000)
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
