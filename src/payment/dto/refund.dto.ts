import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsInt, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';
import { EX } from '../../common/openapi/examples';
import type { RefundStatus } from '../refund/refund.entity';

export class CreateRefundDto {
  @ApiProperty({
    type: 'integer',
    minimum: 1,
    maximum: 1_000_000_000_000,
    example: 5000,
    description: 'integer fen; with the refunds before it, at most what was paid',
  })
  @IsInt()
  @Min(1)
  @Max(1_000_000_000_000)
  amount: number;

  @ApiProperty({ minLength: 1, maxLength: 256, example: 'one box returned' })
  @IsString()
  @Length(1, 256)
  reason: string;

  @ApiPropertyOptional({
    example: true,
    default: false,
    description:
      "return the order's items (all of them) to stock when the refund succeeds, once per order. Only a " +
      "refund of everything left on the order's payment may ask for it: a partial refund names an amount, " +
      'not items, so restock with one is 409 PARTIAL_RESTOCK (nothing is written). Ignored for money the ' +
      'order never held (paid after a cancel, a second payment) and for recharges.',
  })
  @IsOptional()
  @IsBoolean()
  restock?: boolean;

  @ApiPropertyOptional({
    pattern: '^[A-Za-z0-9_]{1,40}$',
    description:
      'which SUCCESS payment of the order to refund; omitted: the payment that paid the order (or, for a ' +
      'cancelled order, its money taken after the cancel). Name a second payment of a paid order ' +
      '(anomaly DUPLICATE_PAYMENT) to give that money back without touching the order.',
  })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_]{1,40}$/, { message: 'paymentNo is not valid' })
  paymentNo?: string;
}

export class RefundResponse {
  @ApiProperty({ example: EX.refundNo, description: 'the out_request_no at the gateway' })
  refundNo: string;

  @ApiProperty({ example: EX.orderNo })
  orderNo: string;

  @ApiProperty({ example: EX.paymentNo })
  paymentNo: string;

  @ApiProperty({ type: 'integer', minimum: 1, example: 5000, description: 'integer fen' })
  amount: number;

  @ApiProperty({
    enum: ['PENDING', 'SUCCEEDED', 'FAILED'],
    example: 'SUCCEEDED',
    description: 'PENDING: the gateway has not confirmed yet (settled by refund query, never guessed)',
  })
  status: RefundStatus;

  @ApiProperty({ example: 'one box returned' })
  reason: string;

  @ApiProperty({ example: true })
  restock: boolean;

  @ApiProperty({ format: 'date-time', example: EX.refundedAt })
  createdAt: string;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    example: EX.refundedAt,
    description: 'null until SUCCEEDED',
  })
  succeededAt: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: null,
    description: "the gateway's refusal, when FAILED",
  })
  failedReason: string | null;
}
