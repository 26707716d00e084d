import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, Max, Min, ValidateNested } from 'class-validator';
import {
  WX_FAULTS,
  WX_NOTIFY_MODES,
  WX_REFUND_OUTCOMES,
  WxFault,
  WxNotifyMode,
  WxRefundOutcome,
} from './wechat-sandbox.types';

export class WxNotifyOptionsDto {
  @ApiProperty({ enum: WX_NOTIFY_MODES, example: 'normal' })
  @IsIn(WX_NOTIFY_MODES)
  mode: WxNotifyMode;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: 20,
    description:
      'duplicate: concurrent copies (default 2); bad_sign / amount_mismatch / decrypt_fail / replay_old: deliveries corrupted (default 1)',
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

export class WxPayDto {
  @ApiPropertyOptional({ type: WxNotifyOptionsDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => WxNotifyOptionsDto)
  notify?: WxNotifyOptionsDto;

  @ApiPropertyOptional({
    example: false,
    description: 'Pay a closed transaction (a payment that lands after the close)',
  })
  @IsOptional()
  @IsBoolean()
  allowAfterClose?: boolean;
}

export class WxFaultsDto {
  @ApiPropertyOptional({ enum: WX_FAULTS, example: 'system_error' })
  @IsOptional()
  @IsIn(WX_FAULTS)
  query?: WxFault;

  @ApiPropertyOptional({ enum: WX_FAULTS, example: 'none' })
  @IsOptional()
  @IsIn(WX_FAULTS)
  close?: WxFault;

  @ApiPropertyOptional({ enum: WX_FAULTS, example: 'none' })
  @IsOptional()
  @IsIn(WX_FAULTS)
  refund?: WxFault;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: 1000,
    description: 'How many calls fail (default 1)',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1000)
  times?: number;

  @ApiPropertyOptional({
    enum: WX_REFUND_OUTCOMES,
    example: 'SUCCESS',
    description: 'How this trade’s refunds settle',
  })
  @IsOptional()
  @IsIn(WX_REFUND_OUTCOMES)
  refundOutcome?: WxRefundOutcome;
}
