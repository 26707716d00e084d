import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { OrderStatus, OrderType } from '../order-state';
import { bigintNumber } from '../../common/database/bigint-number.transformer';
import type { OrderItem } from './order-item.entity';

/** t_order: one row per order; `status` moves only through the order state machine (CAS). */
@Entity('t_order')
export class Order {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: number;

  @Column({ name: 'order_no', type: 'varchar', length: 32, unique: true })
  orderNo: string;

  @Column({ name: 'user_id', type: 'varchar', length: 64 })
  userId: string;

  @Column({ type: 'varchar', length: 16 })
  type: OrderType;

  @Column({ type: 'varchar', length: 24 })
  status: OrderStatus;

  /** Integer fen, computed from catalog prices (never sent by the client). */
  @Column({ name: 'total_amount', type: 'bigint', transformer: bigintNumber })
  totalAmount: number;

  @Column({ type: 'char', length: 3, default: 'CNY' })
  currency: string;

  @Column({ type: 'varchar', length: 200, nullable: true })
  remark: string | null;

  @Column({ type: 'int', default: 0 })
  version: number;

  /** The client's Idempotency-Key, UNIQUE per user: the database backstop when Redis forgot the key. */
  @Column({ name: 'idempotency_key', type: 'varchar', length: 255, nullable: true })
  idempotencyKey: string | null;

  /** sha256 of the canonical request, to tell a retry from a reuse of the key with another body. */
  @Column({ name: 'request_fingerprint', type: 'char', length: 64, nullable: true })
  requestFingerprint: string | null;

  @Column({ name: 'expires_at', type: 'datetime', precision: 3 })
  expiresAt: Date;

  @Column({ name: 'paid_at', type: 'datetime', precision: 3, nullable: true })
  paidAt: Date | null;

  /** the payment that paid the order (null until PAID, and for orders paid before it was recorded) */
  @Column({ name: 'paid_by', type: 'varchar', length: 40, nullable: true })
  paidBy: string | null;

  @Column({ name: 'cancelled_at', type: 'datetime', precision: 3, nullable: true })
  cancelledAt: Date | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;

  /** Filled by the repository when loaded (not a TypeORM relation: the module reads with plain SQL). */
  items?: OrderItem[];
}
