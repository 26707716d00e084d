import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';
import { EX } from '../../common/openapi/examples';
import type { AnomalyStatus } from '../entities/payment-anomaly.entity';
import { ANOMALY_STATUSES } from '../anomaly/anomaly-state';

export class ListAnomaliesQuery {
  @ApiPropertyOptional({ enum: ANOMALY_STATUSES, description: 'only this state (OPEN is the work queue)' })
  @IsOptional()
  @IsIn(ANOMALY_STATUSES)
  status?: AnomalyStatus;

  @ApiPropertyOptional({ example: 'PAID_AFTER_CANCEL', description: 'only this kind' })
  @IsOptional()
  @Matches(/^[A-Z_]{1,32}$/, { message: 'kind must be an anomaly kind (A-Z and _)' })
  kind?: string;

  @ApiPropertyOptional({ example: EX.paymentNo, description: "only this payment's" })
  @IsOptional()
  @Matches(/^[A-Za-z0-9_]{1,40}$/, { message: 'paymentNo must be a payment number' })
  paymentNo?: string;

  @ApiPropertyOptional({ example: '42', description: 'the `nextCursor` of the previous page' })
  @IsOptional()
  @Matches(/^[1-9][0-9]{0,18}$/, { message: 'cursor must be a nextCursor this API returned' })
  cursor?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;
}

export class ResolveAnomalyDto {
  @ApiProperty({
    minLength: 1,
    maxLength: 512,
    example: 'refunded by hand (refund R20261123121500123456123456); buyer told by phone',
    description: 'what was done about it, for the next person who reads it',
  })
  @IsString()
  @Length(1, 512)
  note: string;
}

export class AnomalyResponse {
  @ApiProperty({ example: '42' })
  id: string;

  @ApiProperty({ example: EX.paymentNo })
  paymentNo: string;

  @ApiProperty({ example: EX.orderNo, nullable: true, type: String })
  orderNo: string | null;

  @ApiProperty({ example: 'alipay', nullable: true, type: String })
  channel: string | null;

  @ApiProperty({ example: 17600, nullable: true, type: 'integer', description: "the payment's amount, fen" })
  amount: number | null;

  @ApiProperty({
    example: 'PAID_AFTER_CANCEL',
    description:
      'PAID_AFTER_CANCEL · PAID_AFTER_CLOSE_UNFULFILLABLE · DUPLICATE_PAYMENT (late money: refunded by itself ' +
      'with AUTO_REFUND) · PAID_AFTER_CLOSE (the order took it; for the record) · AMOUNT_MISMATCH · ' +
      'CHANNEL_MISMATCH · TRADE_NO_REUSED · REFUND_AMOUNT_MISMATCH · REFUND_SUCCEEDED_AFTER_FAIL (a person ' +
      'decides); see docs/operations.md',
  })
  kind: string;

  @ApiProperty({ enum: ANOMALY_STATUSES, example: 'AUTO_REFUNDED' })
  status: AnomalyStatus;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    example: { source: 'callback', orderNo: EX.orderNo, orderOutcome: 'PAID_AFTER_CANCEL', amount: 17600 },
    description: 'what was seen, as recorded (JSON)',
  })
  detail: unknown;

  @ApiProperty({ example: `RA${EX.paymentNo}`, nullable: true, type: String })
  refundNo: string | null;

  @ApiProperty({
    example: 'SUCCEEDED',
    nullable: true,
    type: String,
    description: 'PENDING · SUCCEEDED · FAILED',
  })
  refundStatus: string | null;

  @ApiProperty({
    example: null,
    nullable: true,
    type: String,
    description: 'why the automatic refund failed',
  })
  failedReason: string | null;

  @ApiProperty({ example: 'auto-refund', nullable: true, type: String })
  resolvedBy: string | null;

  @ApiProperty({ example: null, nullable: true, type: String })
  resolutionNote: string | null;

  @ApiProperty({ format: 'date-time', example: EX.createdAt })
  createdAt: string;

  @ApiProperty({ format: 'date-time', example: EX.refundedAt, nullable: true, type: String })
  resolvedAt: string | null;
}

export class AnomalyPage {
  @ApiProperty({ type: [AnomalyResponse] })
  items: AnomalyResponse[];

  @ApiProperty({
    example: '17',
    nullable: true,
    type: String,
    description: 'pass as `cursor` for the next page',
  })
  nextCursor: string | null;
}
