import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { bigintNumber } from '../../common/database/bigint-number.transformer';
import type { PaymentChannel } from '../entities/payment.entity';

export type RefundStatus = 'PENDING' | 'SUCCEEDED' | 'FAILED';

/**
 * t_refund: one refund request of a payment. `refund_no` (Alipay `out_request_no`) is stored before the
 * gateway is first called and reused, with the same amount, by every retry. `status` moves only
 * through REFUND_MACHINE (CAS). The amount is reserved on `t_payment.refunded_amount` when the row is
 * inserted and released once if the refund fails.
 */
@Entity('t_refund')
export class Refund {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ name: 'refund_no', type: 'varchar', length: 40, unique: true })
  refundNo: string;

  @Column({ name: 'payment_no', type: 'varchar', length: 40 })
  paymentNo: string;

  @Column({ name: 'order_no', type: 'varchar', length: 32 })
  orderNo: string;

  /** the order's owner */
  @Column({ name: 'user_id', type: 'varchar', length: 64 })
  userId: string;

  @Column({ type: 'varchar', length: 16 })
  channel: PaymentChannel;

  /** integer fen */
  @Column({ type: 'bigint', transformer: bigintNumber })
  amount: number;

  @Column({ type: 'varchar', length: 16 })
  status: RefundStatus;

  @Column({ type: 'varchar', length: 256 })
  reason: string;

  @Column({ type: 'tinyint', transformer: { to: (v: boolean) => (v ? 1 : 0), from: (v: number) => !!v } })
  restock: boolean;

  /** fen taken from the wallet when a RECHARGE order's refund was created (given back if it fails) */
  @Column({ name: 'wallet_debit', type: 'bigint', transformer: bigintNumber })
  walletDebit: number;

  /** gateway refund calls made under this number */
  @Column({ type: 'int' })
  attempts: number;

  @Column({ type: 'int', default: 0 })
  version: number;

  @Column({ name: 'requested_by', type: 'varchar', length: 64 })
  requestedBy: string;

  @Column({ name: 'idempotency_key', type: 'varchar', length: 255, nullable: true })
  idempotencyKey: string | null;

  @Column({ name: 'request_fingerprint', type: 'char', length: 64, nullable: true })
  requestFingerprint: string | null;

  @Column({ name: 'failed_reason', type: 'varchar', length: 256, nullable: true })
  failedReason: string | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;

  @Column({ name: 'succeeded_at', type: 'datetime', precision: 3, nullable: true })
  succeededAt: Date | null;

  @Column({ name: 'failed_at', type: 'datetime', precision: 3, nullable: true })
  failedAt: Date | null;
}
