import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsInt,
  IsOptional,
  Max,
  Min,
  IsString,
  Matches,
  Validate,
  ValidatorConstraint,
  ValidatorConstraintInterface,
} from 'class-validator';

@ValidatorConstraint({ name: 'calendarDate' })
class CalendarDate implements ValidatorConstraintInterface {
  validate(v: unknown): boolean {
    if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(v)) return false;
    const d = new Date(`${v}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v;
  }
  defaultMessage(): string {
    return 'date must be a calendar date YYYY-MM-DD';
  }
}

export class ReconcileDto {
  @ApiProperty({ example: '2026-11-22', description: 'the bill date (gateway time zone), YYYY-MM-DD' })
  @IsString()
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'date must be YYYY-MM-DD' })
  @Validate(CalendarDate)
  date: string;
}

export class ReconciliationMismatchDto {
  @ApiPropertyOptional({
    example: '20261122093000123456789012345P01',
    description: 'payment and refund lines (absent on payout lines)',
  })
  paymentNo?: string;

  @ApiPropertyOptional({ example: 'P20261122013000123123456789012', description: 'payout lines only' })
  payoutNo?: string;

  @ApiProperty({
    example: 'paid_not_recorded',
    description:
      'paid_not_recorded (paid at the gateway, not here) · unknown_trade (not ours) · amount_mismatch · ' +
      'trade_no_mismatch · missing_in_bill (paid here, absent from the bill) · refunds: refund_not_recorded ' +
      '(refunded at the gateway, PENDING here; repaired) · unknown_refund · refund_amount_mismatch · ' +
      'refund_missing_in_bill · payouts (fund bills): payout_status (paid / bounced at the gateway, not so here; ' +
      'repaired when the transfer query settles it) · payout_missing_local · payout_missing_remote · payout_amount',
  })
  kind: string;

  @ApiPropertyOptional({ example: 'alipay', description: "the bill's channel (payment and payout lines)" })
  channel?: string;

  @ApiPropertyOptional({ example: 'R20261122093000123123456789012', description: 'refund lines only' })
  refundNo?: string;

  @ApiProperty({ example: true, description: 'true when the run repaired it (through the success path)' })
  repaired: boolean;
}

export class ReconciliationReportDto {
  @ApiProperty({ example: '2026-11-22' })
  date: string;

  @ApiProperty({
    type: 'integer',
    minimum: 0,
    example: 42,
    description: 'payments, refunds and payouts compared (bill ∪ local that day)',
  })
  checked: number;

  @ApiProperty({ type: [ReconciliationMismatchDto] })
  mismatches: ReconciliationMismatchDto[];

  @ApiPropertyOptional({ example: '7', description: 'the stored run (GET /v1/admin/reconciliations/{id})' })
  runId?: string;
}

export class ListReconciliationsQuery {
  @ApiPropertyOptional({ example: '2026-11-22', description: 'only runs of this bill date' })
  @IsOptional()
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'date must be YYYY-MM-DD' })
  @Validate(CalendarDate)
  date?: string;

  @ApiPropertyOptional({ example: '12', description: 'the `nextCursor` of the previous page' })
  @IsOptional()
  @Matches(/^[1-9][0-9]{0,18}$/, { message: 'cursor must be a nextCursor this API returned' })
  cursor?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;
}

export class ReconciliationRunDto {
  @ApiProperty({ example: '7' })
  id: string;

  @ApiProperty({ example: '2026-11-22', description: 'the bill date (China time)' })
  date: string;

  @ApiProperty({ example: ['alipay', 'wechat'], description: 'the channels whose bills were read' })
  channels: string[];

  @ApiProperty({ enum: ['scheduled', 'requested'], example: 'scheduled' })
  trigger: string;

  @ApiProperty({ example: null, nullable: true, type: String, description: 'the admin who asked for it' })
  requestedBy: string | null;

  @ApiProperty({
    enum: ['RUNNING', 'OK', 'MISMATCHES', 'FAILED'],
    example: 'MISMATCHES',
    description: 'OK: nothing left unrepaired · MISMATCHES: some need a person · FAILED: see error',
  })
  status: string;

  @ApiProperty({ type: 'integer', example: 42 })
  checked: number;

  @ApiProperty({ type: 'integer', example: 2 })
  mismatchCount: number;

  @ApiProperty({ type: 'integer', example: 1 })
  repairedCount: number;

  @ApiProperty({ type: [ReconciliationMismatchDto] })
  mismatches: ReconciliationMismatchDto[];

  @ApiProperty({ example: null, nullable: true, type: String, description: 'why a FAILED run failed' })
  error: string | null;

  @ApiProperty({ format: 'date-time', example: '2026-11-23T03:30:00.012Z' })
  startedAt: string;

  @ApiProperty({ format: 'date-time', example: '2026-11-23T03:30:01.345Z', nullable: true, type: String })
  finishedAt: string | null;
}

export class ReconciliationRunPage {
  @ApiProperty({ type: [ReconciliationRunDto] })
  items: ReconciliationRunDto[];

  @ApiProperty({ example: null, nullable: true, type: String })
  nextCursor: string | null;
}
