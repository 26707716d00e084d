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
import { Fault, FAULTS, NOTIFY_MODES, NotifyMode } from './sandbox-trade.types';

export class NotifyOptionsDto {
  @ApiProperty({ enum: NOTIFY_MODES, example: 'normal' })
  @IsIn(NOTIFY_MODES)
  mode: NotifyMode;

  @ApiPropertyOptional({
    example: 2,
    description:
      'duplicate: concurrent copies (default 2); bad_sign / amount_mismatch: deliveries corrupted (default 1)',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(20)
  times?: number;

  @ApiPropertyOptional({ example: 3000, description: 'delay: wait before the first delivery (not scaled)' })
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
    example: false,
    description: 'Pay a trade that was already closed (simulates a payment that lands after the close)',
  })
  @IsOptional()
  @IsBoolean()
  allowAfterClose?: boolean;
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

  @ApiPropertyOptional({ example: 1, description: 'How many calls fail (default 1)' })
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

  @ApiProperty({ example: 990, description: 'integer fen' })
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
