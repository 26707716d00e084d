import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { USER_ID_PATTERN } from '../../common/auth/auth.decorators';
import { TRANSFER_STATUSES, TransferStatus } from '../transfer-state';

export class CreateTransferDto {
  @ApiProperty({
    example: 'u2002',
    pattern: USER_ID_PATTERN.source,
    description: 'the receiving user (not yourself)',
  })
  @IsString()
  @Matches(USER_ID_PATTERN, { message: 'toUserId must be 1–64 of A–Z a–z 0–9 _ . : @ -' })
  toUserId: string;

  @ApiProperty({
    type: 'integer',
    minimum: 1,
    example: 2000000,
    description: 'integer fen (2000000 = ¥20,000.00), at most TRANSFER_MAX_AMOUNT (default 5000000)',
  })
  @IsInt()
  @Min(1)
  amount: number;

  @ApiPropertyOptional({ maxLength: 200, example: 'rent, December' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  memo?: string;
}

export class TransferResponse {
  @ApiProperty({ example: 'T20261207013000123456789012345', description: 'the number every later call uses' })
  transferNo: string;

  @ApiProperty({ example: 'u1001' })
  fromUserId: string;

  @ApiProperty({ example: 'u2002' })
  toUserId: string;

  @ApiProperty({ type: 'integer', example: 2000000, description: 'integer fen' })
  amount: number;

  @ApiProperty({ enum: ['CNY'], example: 'CNY' })
  currency: string;

  @ApiProperty({ type: String, nullable: true, example: 'rent, December' })
  memo: string | null;

  @ApiProperty({ enum: TRANSFER_STATUSES, example: 'CREATED' })
  status: TransferStatus;

  @ApiProperty({ format: 'date-time', example: '2026-12-07T01:30:00.000Z' })
  createdAt: string;

  @ApiProperty({
    format: 'date-time',
    example: '2026-12-07T01:45:00.000Z',
    description: 'a CREATED transfer becomes EXPIRED then',
  })
  expiresAt: string;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    example: null,
    description: 'when the money moved (SUCCEEDED)',
  })
  executedAt: string | null;

  @ApiPropertyOptional({
    format: 'date-time',
    example: '2026-12-07T01:31:00.000Z',
    description: 'only once CANCELLED',
  })
  cancelledAt?: string;
}

export const TRANSFER_EXAMPLE: TransferResponse = {
  transferNo: 'T20261207013000123456789012345',
  fromUserId: 'u1001',
  toUserId: 'u2002',
  amount: 2000000,
  currency: 'CNY',
  memo: 'rent, December',
  status: 'CREATED',
  createdAt: '2026-12-07T01:30:00.000Z',
  expiresAt: '2026-12-07T01:45:00.000Z',
  executedAt: null,
};

export class TransferPageResponse {
  @ApiProperty({ type: [TransferResponse], description: 'sent and received, newest first' })
  items: TransferResponse[];

  @ApiProperty({
    type: String,
    nullable: true,
    example: null,
    description: 'pass as `cursor` for the next (older) page; null on the last page',
  })
  nextCursor: string | null;
}

export class ListTransfersQuery {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 20, description: 'page size' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional({
    pattern: '^[A-Za-z0-9_-]{1,64}$',
    description: 'the `nextCursor` of the previous page (leave empty for the first page)',
  })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, { message: 'cursor is not valid' })
  cursor?: string;
}
