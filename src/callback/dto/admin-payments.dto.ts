import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { EX } from '../../common/openapi/examples';

export class FindPaymentsQuery {
  @ApiPropertyOptional({ example: EX.orderNo, description: "the order's payments (every attempt)" })
  @IsOptional()
  @Matches(/^[A-Za-z0-9_]{1,32}$/, { message: 'orderNo must be an order number' })
  orderNo?: string;

  @ApiPropertyOptional({ example: EX.paymentNo, description: 'the out_trade_no at the gateway' })
  @IsOptional()
  @Matches(/^[A-Za-z0-9_]{1,40}$/, { message: 'paymentNo must be a payment number' })
  paymentNo?: string;

  @ApiPropertyOptional({
    example: '2026112322001400000000000001',
    description:
      "the gateway's own trade number (Alipay trade_no, WeChat transaction_id), as the buyer's receipt shows it",
  })
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, { message: 'channelTradeNo must be a trade number' })
  channelTradeNo?: string;
}

export class AdminPaymentDto {
  @ApiProperty({ example: EX.paymentNo })
  paymentNo: string;

  @ApiProperty({ example: EX.orderNo })
  orderNo: string;

  @ApiProperty({ example: 'u-1001' })
  userId: string;

  @ApiProperty({ example: 'alipay' })
  channel: string;

  @ApiProperty({ type: 'integer', example: 17600 })
  amount: number;

  @ApiProperty({ example: 'SUCCESS', description: 'PENDING · SUCCESS · CLOSED' })
  status: string;

  @ApiProperty({ example: '2026112322001400000000000001', nullable: true, type: String })
  channelTradeNo: string | null;

  @ApiProperty({ example: 'PAID', nullable: true, type: String, description: "the order's status now" })
  orderStatus: string | null;

  @ApiProperty({ format: 'date-time', example: EX.createdAt })
  createdAt: string;

  @ApiProperty({ format: 'date-time', example: EX.paidAt, nullable: true, type: String })
  paidAt: string | null;

  @ApiProperty({ format: 'date-time', example: null, nullable: true, type: String })
  closedAt: string | null;

  @ApiProperty({ format: 'date-time', example: EX.expiresAt })
  expiresAt: string;
}

export class TimelineEntryDto {
  @ApiProperty({ format: 'date-time', example: EX.paidAt })
  at: string;

  @ApiProperty({
    example: 'notify',
    description:
      'payment.created · notify (every notify received, with its outcome) · query (every question asked of the ' +
      'gateway: the query job, the sweeper, a close; its answer, when, and what it led to) · payment.succeeded · payment.closed · ' +
      'order.paid · order.cancelled · refund.created · refund.succeeded · refund.failed · anomaly.opened · ' +
      'anomaly.auto_refunded · anomaly.resolved',
  })
  type: string;

  @ApiProperty({ example: 'alipay notify TRADE_SUCCESS → APPLIED' })
  title: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    example: { notifyId: '2026112300222120310000000001', verified: true, outcome: 'APPLIED', attempts: 1 },
    description: 'the facts of the entry (never a raw body, a key or a signature)',
  })
  detail: Record<string, unknown>;
}

export class PaymentTimelineDto {
  @ApiProperty({ type: AdminPaymentDto })
  payment: AdminPaymentDto;

  @ApiProperty({ type: [TimelineEntryDto], description: 'oldest first' })
  timeline: TimelineEntryDto[];

  @ApiProperty({
    example: ['a reconciliation is not listed per payment: what it changed is (payment.succeeded)'],
    description: 'what this timeline cannot show',
  })
  notes: string[];
}

export class StatsQuery {
  @ApiPropertyOptional({ type: 'integer', minimum: 5, maximum: 1440, default: 60, description: 'the window' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(5)
  @Max(1440)
  minutes?: number;
}

export class StatsMinuteDto {
  @ApiProperty({ example: '2026-11-23T12:03', description: 'the minute (UTC)' })
  minute: string;

  @ApiProperty({ example: 'alipay' })
  channel: string;

  @ApiProperty({ type: 'integer', example: 12, description: 'payments started' })
  created: number;

  @ApiProperty({ type: 'integer', example: 11, description: 'payments that succeeded' })
  succeeded: number;

  @ApiProperty({ type: 'integer', example: 1, description: 'refunds that succeeded' })
  refunds: number;
}

export class SuccessRateDto {
  @ApiProperty({ type: 'integer', example: 120 })
  created: number;

  @ApiProperty({ type: 'integer', example: 111 })
  succeeded: number;

  @ApiProperty({
    type: 'integer',
    minimum: 0,
    maximum: 10000,
    example: 9250,
    nullable: true,
    description: 'succeeded / created in basis points (9250 = 92.5 %); null: none started',
  })
  rateBp: number | null;
}

export class NotifyStatsDto {
  @ApiProperty({ type: 'integer', example: 130 })
  received: number;

  @ApiProperty({ type: 'integer', example: 128 })
  answered: number;

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer' },
    example: { APPLIED: 111, DUPLICATE: 17, BAD_SIGNATURE: 2 },
  })
  byOutcome: Record<string, number>;
}

export class NotifyMinuteDto {
  @ApiProperty({ example: '2026-11-23T12:03' })
  minute: string;

  @ApiProperty({ type: 'integer', example: 12 })
  received: number;

  @ApiProperty({ type: 'integer', example: 12 })
  answered: number;
}

export class StatsDto {
  @ApiProperty({ format: 'date-time', example: '2026-11-23T11:03:00.000Z' })
  since: string;

  @ApiProperty({ type: [StatsMinuteDto] })
  perMinute: StatsMinuteDto[];

  @ApiProperty({ type: SuccessRateDto, description: 'payments started in the window and how many succeeded' })
  successRate: SuccessRateDto;

  @ApiProperty({
    type: NotifyStatsDto,
    description:
      'notifies received in the window; answered = acknowledged to the gateway (applied, duplicate, …)',
  })
  notifies: NotifyStatsDto;

  @ApiProperty({ type: [NotifyMinuteDto], description: 'notifies per minute' })
  notifiesPerMinute: NotifyMinuteDto[];

  @ApiProperty({ type: 'integer', example: 1 })
  anomaliesOpen: number;
}
