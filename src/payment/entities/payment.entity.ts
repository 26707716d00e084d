import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { bigintNumber } from '../../common/database/bigint-number.transformer';

export type PaymentStatus = 'PENDING' | 'SUCCESS' | 'CLOSED';
export type PaymentChannel = 'alipay' | 'wechat' | 'unionpay' | 'wallet';

/**
 * t_payment: one payment attempt of an order on one channel. `payment_no` is the gateway's
 * out_trade_no; `status` moves only through PAYMENT_MACHINE (CAS).
 */
@Entity('t_payment')
export class Payment {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ name: 'payment_no', type: 'varchar', length: 40, unique: true })
  paymentNo: string;

  @Column({ name: 'order_no', type: 'varchar', length: 32 })
  orderNo: string;

  @Column({ name: 'user_id', type: 'varchar', length: 64 })
  userId: string;

  @Column({ type: 'varchar', length: 16 })
  channel: PaymentChannel;

  /** integer fen */
  @Column({ type: 'bigint', transformer: bigintNumber })
  amount: number;

  @Column({ type: 'varchar', length: 16 })
  status: PaymentStatus;

  @Column({ name: 'channel_trade_no', type: 'varchar', length: 64, nullable: true })
  channelTradeNo: string | null;

  /** Null until the gateway's precreate succeeded (a retry of the pre-pay asks again). */
  @Column({ name: 'qr_code', type: 'varchar', length: 512, nullable: true })
  qrCode: string | null;

  @Column({ type: 'varchar', length: 128 })
  subject: string;

  @Column({ type: 'int', default: 0 })
  version: number;

  @Column({ name: 'expires_at', type: 'datetime', precision: 3 })
  expiresAt: Date;

  @Column({ name: 'paid_at', type: 'datetime', precision: 3, nullable: true })
  paidAt: Date | null;

  @Column({ name: 'closed_at', type: 'datetime', precision: 3, nullable: true })
  closedAt: Date | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}
