import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';

export class WalletDriftDto {
  @ApiProperty({ example: 'u1001' })
  userId: string;

  @ApiProperty({ type: 'integer', example: 5000, description: 't_user_account.balance, fen' })
  balance: number;

  @ApiProperty({ type: 'integer', example: 4000, description: "the sum of the wallet's ledger entries, fen" })
  entries: number;

  @ApiProperty({ type: 'integer', example: 1000, description: 'balance − entries, fen' })
  drift: number;
}

export class UnbalancedJournalDto {
  @ApiProperty({ example: 'Jm3x1k2a9c0ffee1234ab' })
  journalId: string;

  @ApiProperty({ type: 'integer', example: 100, description: 'what its entries sum to (should be 0)' })
  sum: number;
}

export class SystemAccountDto {
  @ApiProperty({ example: 'clearing:alipay', description: 'clearing:<channel>, revenue, opening, …' })
  account: string;

  @ApiProperty({
    type: 'integer',
    example: -120000,
    description: 'the sum of its entries, fen (negative: money that went into wallets from it)',
  })
  balance: number;
}

export class LedgerReportDto {
  @ApiProperty({ example: true, description: 'every journal sums to 0 and every wallet equals its entries' })
  balanced: boolean;

  @ApiProperty({ type: 'integer', example: 4211, description: 'journals checked' })
  journals: number;

  @ApiProperty({ type: 'integer', example: 8422, description: 'entries checked' })
  entries: number;

  @ApiProperty({ type: 'integer', example: 311, description: 'ledger accounts (wallets + system)' })
  accounts: number;

  @ApiProperty({ type: [WalletDriftDto], description: 'wallets whose balance ≠ their entries (up to 1,000)' })
  drift: WalletDriftDto[];

  @ApiProperty({ type: [UnbalancedJournalDto], description: 'journals that do not sum to 0 (up to 1,000)' })
  unbalancedJournals: UnbalancedJournalDto[];

  @ApiProperty({ type: [SystemAccountDto] })
  systemAccounts: SystemAccountDto[];

  @ApiProperty({ format: 'date-time', example: '2026-12-07T01:30:00.000Z' })
  checkedAt: string;
}

export class LedgerEntryDto {
  @ApiProperty({ type: 'integer', example: -2000, description: 'signed fen: + into the wallet, − out of it' })
  amount: number;

  @ApiProperty({
    example: 'TRANSFER',
    enum: [
      'OPENING',
      'ADJUSTMENT',
      'RECHARGE',
      'WALLET_PAYMENT',
      'REFUND',
      'RECHARGE_REFUND',
      'RECHARGE_REFUND_REVERSAL',
      'TRANSFER',
    ],
  })
  kind: string;

  @ApiProperty({ example: 'TRANSFER', enum: ['MIGRATION', 'MANUAL', 'PAYMENT', 'REFUND', 'TRANSFER'] })
  refType: string;

  @ApiProperty({
    example: 'T20261207013000123456789012',
    description: 'the payment, refund or transfer number',
  })
  refId: string;

  @ApiProperty({
    type: 'integer',
    example: 8000,
    description: 'the wallet balance right after this entry, fen',
  })
  balanceAfter: number;

  @ApiProperty({ format: 'date-time', example: '2026-12-07T01:30:00.000Z' })
  createdAt: string;
}

export class LedgerEntryPageDto {
  @ApiProperty({ type: [LedgerEntryDto], description: 'newest first' })
  items: LedgerEntryDto[];

  @ApiProperty({
    type: String,
    nullable: true,
    example: null,
    description: 'pass as `cursor` for the next (older) page; null on the last page',
  })
  nextCursor: string | null;
}

export class ListEntriesQuery {
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
