import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { PAYOUT_CHANNELS, PAYOUT_STATUSES, PayoutChannel, PayoutStatus } from '../payout-state';

export class PayeeAccountDto {
  @ApiProperty({
    example: 'payee@example.com',
    description:
      'alipay: a logon id (phone, e-mail; `name` required) or an Alipay user id (2088 + 12 digits); wechat: the openid under our appid',
  })
  @IsString()
  @Matches(/^[A-Za-z0-9_.@+-]{1,100}$/, {
    message: 'account.identity must be 1–100 of A–Z a–z 0–9 _ . @ + -',
  })
  identity: string;

  @ApiPropertyOptional({ example: '张三', description: "the payee's real name, checked by the gateway" })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name?: string;
}

export class CreatePayoutDto {
  @ApiProperty({ enum: PAYOUT_CHANNELS, example: 'alipay' })
  @IsIn(PAYOUT_CHANNELS as unknown as string[], { message: 'channel must be one of: alipay, wechat' })
  channel: PayoutChannel;

  @ApiProperty({ type: PayeeAccountDto })
  @IsObject()
  @ValidateNested()
  @Type(() => PayeeAccountDto)
  account: PayeeAccountDto;

  @ApiProperty({
    type: 'integer',
    minimum: 1,
    example: 10000,
    description: 'integer fen (10000 = ¥100.00), at most PAYOUT_MAX_AMOUNT (default 5000000)',
  })
  @IsInt()
  @Min(1)
  amount: number;
}

export class PayeeAccountResponse {
  @ApiProperty({ example: 'payee@example.com' })
  identity: string;

  @ApiProperty({ type: String, nullable: true, example: '张三' })
  name: string | null;
}

export class PayoutResponse {
  @ApiProperty({
    example: 'P20261207013000123456789012345',
    description: 'Alipay out_biz_no / WeChat out_bill_no',
  })
  payoutNo: string;

  @ApiProperty({ enum: PAYOUT_CHANNELS, example: 'alipay' })
  channel: PayoutChannel;

  @ApiProperty({ type: PayeeAccountResponse })
  account: PayeeAccountResponse;

  @ApiProperty({ type: 'integer', example: 10000, description: 'integer fen' })
  amount: number;

  @ApiProperty({
    enum: PAYOUT_STATUSES,
    example: 'PENDING',
    description: 'REVIEW (waits for an admin), PENDING (sent or being sent), SUCCEEDED, FAILED (money back)',
  })
  status: PayoutStatus;

  @ApiProperty({ type: String, nullable: true, example: null })
  failedReason: string | null;

  @ApiProperty({ format: 'date-time', example: '2026-12-07T01:30:00.000Z' })
  createdAt: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: null })
  succeededAt: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: null })
  failedAt: string | null;
}

export class PayoutPageResponse {
  @ApiProperty({ type: [PayoutResponse] })
  items: PayoutResponse[];

  @ApiProperty({ type: String, nullable: true, description: 'pass as `cursor` for the next (older) page' })
  nextCursor: string | null;
}

/** What the admin list adds: whose payout it is and who reviewed it. */
export class AdminPayoutResponse extends PayoutResponse {
  @ApiProperty({ example: 'u1001' })
  userId: string;

  @ApiProperty({ type: String, nullable: true, example: null })
  reviewedBy: string | null;

  @ApiProperty({ type: 'integer', example: 1, description: 'gateway transfer calls made under the number' })
  attempts: number;
}

export class AdminPayoutPageResponse {
  @ApiProperty({ type: [AdminPayoutResponse] })
  items: AdminPayoutResponse[];

  @ApiProperty({ type: String, nullable: true })
  nextCursor: string | null;
}

export class ListPayoutsQuery {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional({ description: 'the `nextCursor` of the previous page' })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, { message: 'cursor is not valid' })
  cursor?: string;
}

export class AdminListPayoutsQuery extends ListPayoutsQuery {
  @ApiPropertyOptional({ enum: PAYOUT_STATUSES, description: 'REVIEW is the work queue' })
  @IsOptional()
  @IsIn(PAYOUT_STATUSES as unknown as string[])
  status?: PayoutStatus;
}

export class RejectPayoutDto {
  @ApiProperty({ example: 'payee name does not match the account holder', maxLength: 200 })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  reason: string;
}
