import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * An anomaly's state (ANOMALY_MACHINE): OPEN until the late money went back by itself (AUTO_REFUNDED,
 * with the refund number) or an operator closed it (RESOLVED, with a note). Both terminal.
 */
export type AnomalyStatus = 'OPEN' | 'AUTO_REFUNDED' | 'RESOLVED';

/**
 * t_payment_anomaly: something seen on a payment that needs a decision. Late money (paid after the
 * order could no longer take it) is refunded by itself with AUTO_REFUND on (late-money.ts); everything
 * else waits for a person (docs/operations.md).
 */
@Entity('t_payment_anomaly')
export class PaymentAnomaly {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ name: 'payment_no', type: 'varchar', length: 40 })
  paymentNo: string;

  /** e.g. AMOUNT_MISMATCH, PAID_AFTER_CANCEL, DUPLICATE_PAYMENT, UNKNOWN_TRADE */
  @Column({ type: 'varchar', length: 32 })
  kind: string;

  @Column({ type: 'text', nullable: true })
  detail: string | null;

  @Column({ type: 'varchar', length: 16, default: 'OPEN' })
  status: AnomalyStatus;

  /** the automatic refund of late money (set when it is created, kept after it succeeded) */
  @Column({ name: 'refund_no', type: 'varchar', length: 40, nullable: true })
  refundNo: string | null;

  /** why the automatic refund has not succeeded (a refusal by the gateway) */
  @Column({ name: 'failed_reason', type: 'varchar', length: 256, nullable: true })
  failedReason: string | null;

  @Column({ name: 'resolved_by', type: 'varchar', length: 64, nullable: true })
  resolvedBy: string | null;

  @Column({ name: 'resolution_note', type: 'varchar', length: 512, nullable: true })
  resolutionNote: string | null;

  @Column({ name: 'resolved_at', type: 'datetime', precision: 3, nullable: true })
  resolvedAt: Date | null;

  @Column({ type: 'int', default: 0 })
  version: number;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}
