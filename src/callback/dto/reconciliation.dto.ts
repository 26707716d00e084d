import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
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
  @ApiProperty({ example: '20261122093000123456789012345P01' })
  paymentNo: string;

  @ApiProperty({
    example: 'paid_not_recorded',
    description:
      'paid_not_recorded (paid at the gateway, not here) · unknown_trade (not ours) · amount_mismatch · ' +
      'trade_no_mismatch · missing_in_bill (paid here, absent from the bill) · refunds: refund_not_recorded ' +
      '(refunded at the gateway, PENDING here; repaired) · unknown_refund · refund_amount_mismatch · ' +
      'refund_missing_in_bill',
  })
  kind: string;

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
    description: 'payments compared (bill ∪ local paid that day)',
  })
  checked: number;

  @ApiProperty({ type: [ReconciliationMismatchDto] })
  mismatches: ReconciliationMismatchDto[];
}
