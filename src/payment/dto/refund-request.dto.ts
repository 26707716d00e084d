import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Length, Max, Min, ValidateIf } from 'class-validator';
import { EX } from '../../common/openapi/examples';
import type { RefundRequestStatus } from '../refund/refund-request.entity';

const STATUSES = ['OPEN', 'APPROVED', 'REJECTED'];

export class CreateRefundRequestDto {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: 1_000_000_000_000,
    example: 8800,
    description:
      'integer fen, at most what is left to refund; omitted: everything left to refund. `null` is not ' +
      '"omitted": it is refused (400), so a client bug never asks for everything',
  })
  // not @IsOptional(): that lets null through as "absent", and an absent amount means everything left
  @ValidateIf((_o, v) => v !== undefined)
  @IsInt()
  @Min(1)
  @Max(1_000_000_000_000)
  amount?: number;

  @ApiProperty({ minLength: 1, maxLength: 256, example: 'one box arrived broken' })
  @IsString()
  @Length(1, 256)
  reason: string;
}

export class ApproveRefundRequestDto {
  @ApiPropertyOptional({
    example: true,
    default: false,
    description:
      "return the order's items (all of them) to stock when the refund succeeds, once per order; only " +
      'when the request asks for everything left (else 409 PARTIAL_RESTOCK, the request stays OPEN)',
  })
  @IsOptional()
  @IsBoolean()
  restock?: boolean;
}

export class RejectRefundRequestDto {
  @ApiProperty({ minLength: 1, maxLength: 256, example: 'the return window has closed' })
  @IsString()
  @Length(1, 256)
  reason: string;
}

export class ListRefundRequestsQuery {
  @ApiPropertyOptional({
    enum: STATUSES,
    description: 'only requests in this status (default: all); OPEN is the review queue',
  })
  @IsOptional()
  @IsIn(STATUSES)
  status?: RefundRequestStatus;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 50, description: 'at most' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;
}

export class RefundRequestResponse {
  @ApiProperty({ example: EX.refundRequestNo })
  requestNo: string;

  @ApiProperty({ example: EX.orderNo })
  orderNo: string;

  @ApiProperty({ example: 'u-1001', description: "the order's owner, who asked" })
  userId: string;

  @ApiProperty({ type: 'integer', minimum: 1, example: 8800, description: 'integer fen asked for' })
  amount: number;

  @ApiProperty({ example: 'one box arrived broken' })
  reason: string;

  @ApiProperty({
    enum: STATUSES,
    example: 'OPEN',
    description: 'OPEN until an admin decides; APPROVED names the refund it created',
  })
  status: RefundRequestStatus;

  @ApiProperty({
    type: String,
    nullable: true,
    example: null,
    description: 'the refund the approval created (GET /v1/refunds/{refundNo}); null until APPROVED',
  })
  refundNo: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: null,
    description: "the admin's reason, when REJECTED",
  })
  rejectReason: string | null;

  @ApiProperty({ format: 'date-time', example: EX.refundedAt })
  createdAt: string;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    example: null,
    description: 'null while OPEN',
  })
  decidedAt: string | null;
}
