import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { bigintNumber } from '../../common/database/bigint-number.transformer';

export type RefundRequestStatus = 'OPEN' | 'APPROVED' | 'REJECTED';

/**
 * t_refund_request: a buyer's request for (part of) a paid order's money back. It moves no money and
 * reserves nothing: an admin's approval creates an ordinary refund (t_refund) in the same transaction
 * as the OPEN → APPROVED CAS, and `refund_no` names it. `open_flag` (1 while OPEN, NULL after) carries
 * UNIQUE(order_no, open_flag): one open request per order.
 */
@Entity('t_refund_request')
export class RefundRequest {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ name: 'request_no', type: 'varchar', length: 40, unique: true })
  requestNo: string;

  @Column({ name: 'order_no', type: 'varchar', length: 32 })
  orderNo: string;

  /** the order's owner, who asked */
  @Column({ name: 'user_id', type: 'varchar', length: 64 })
  userId: string;

  /** integer fen */
  @Column({ type: 'bigint', transformer: bigintNumber })
  amount: number;

  @Column({ type: 'varchar', length: 256 })
  reason: string;

  @Column({ type: 'varchar', length: 16 })
  status: RefundRequestStatus;

  @Column({ name: 'open_flag', type: 'tinyint', nullable: true })
  openFlag: number | null;

  @Column({ name: 'refund_no', type: 'varchar', length: 40, nullable: true })
  refundNo: string | null;

  @Column({ name: 'decided_by', type: 'varchar', length: 64, nullable: true })
  decidedBy: string | null;

  @Column({ name: 'reject_reason', type: 'varchar', length: 256, nullable: true })
  rejectReason: string | null;

  @Column({ name: 'idempotency_key', type: 'varchar', length: 255, nullable: true })
  idempotencyKey: string | null;

  @Column({ name: 'request_fingerprint', type: 'char', length: 64, nullable: true })
  requestFingerprint: string | null;

  @Column({ type: 'int', default: 0 })
  version: number;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;

  @Column({ name: 'decided_at', type: 'datetime', precision: 3, nullable: true })
  decidedAt: Date | null;
}
