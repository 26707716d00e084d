import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import type { RefundStatus } from '../refund/refund.entity';

export class CreateRefundDto {
  @ApiProperty({
    example: 5000,
    description: 'integer fen, at least 1; with the refunds before it, at most what was paid',
  })
  @IsInt()
  @Min(1)
  @Max(1_000_000_000_000)
  amount: number;

  @ApiProperty({ example: 'customer returned the item', description: '1 – 256 characters' })
  @IsString()
  @Length(1, 256)
  reason: string;

  @ApiPropertyOptional({
    example: false,
    default: false,
    description: "return the order's items to stock when the refund succeeds (once per order)",
  })
  @IsOptional()
  @IsBoolean()
  restock?: boolean;
}

export class RefundResponse {
  @ApiProperty({ example: 'R20261130195501123123456789012', description: 'Alipay out_request_no' })
  refundNo: string;

  @ApiProperty({ example: '20261123114005123123456789012' })
  orderNo: string;

  @ApiProperty({ example: '20261123114005123123456789012P01' })
  paymentNo: string;

  @ApiProperty({ example: 5000, description: 'integer fen' })
  amount: number;

  @ApiProperty({
    enum: ['PENDING', 'SUCCEEDED', 'FAILED'],
    example: 'SUCCEEDED',
    description: 'PENDING: the gateway has not confirmed yet (settled by refund query, never guessed)',
  })
  status: RefundStatus;

  @ApiProperty({ example: 'customer returned the item' })
  reason: string;

  @ApiProperty({ example: false })
  restock: boolean;

  @ApiProperty({ example: '2026-11-30T19:55:01.123Z' })
  createdAt: string;

  @ApiPropertyOptional({ example: '2026-11-30T19:55:01.456Z', nullable: true })
  succeededAt: string | null;

  @ApiPropertyOptional({ example: null, nullable: true, description: "the gateway's refusal, when FAILED" })
  failedReason: string | null;
}
