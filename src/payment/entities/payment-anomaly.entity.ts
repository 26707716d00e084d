import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** t_payment_anomaly: something seen on a payment that a human must look at (never auto-applied). */
@Entity('t_payment_anomaly')
export class PaymentAnomaly {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ name: 'payment_no', type: 'varchar', length: 40 })
  paymentNo: string;

  /** e.g. AMOUNT_MISMATCH, PAID_AFTER_CLOSE, UNKNOWN_TRADE */
  @Column({ type: 'varchar', length: 32 })
  kind: string;

  @Column({ type: 'text', nullable: true })
  detail: string | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;
}
