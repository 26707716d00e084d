import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * What became of a notify (t_callback_log.outcome). RECEIVED/BUFFERED are the states before a
 * decision; the rest are final.
 */
export type CallbackOutcome =
  | 'RECEIVED'
  | 'BUFFERED'
  | 'MALFORMED'
  | 'BAD_SIGNATURE'
  | 'UNDECRYPTABLE'
  | 'APP_MISMATCH'
  | 'SELLER_MISMATCH'
  | 'AMOUNT_MISMATCH'
  | 'CHANNEL_MISMATCH'
  | 'UNKNOWN_TRADE'
  | 'APPLIED'
  | 'DUPLICATE'
  | 'ALREADY_PAID'
  | 'ANOMALY'
  | 'CLOSED'
  | 'ALREADY_CLOSED'
  | 'REFUND_OR_LATE_CLOSE'
  | 'REFUND_APPLIED'
  | 'REFUND_DUPLICATE'
  | 'REFUND_ANOMALY'
  | 'REFUND_FAILED'
  | 'IGNORED'
  | 'ERROR';

/** t_callback_log: every notify, raw, written before anything else is done with it. */
@Entity('t_callback_log')
export class CallbackLog {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ type: 'varchar', length: 16 })
  channel: string;

  @Column({ name: 'notify_id', type: 'varchar', length: 128, nullable: true })
  notifyId: string | null;

  @Column({ name: 'trade_status', type: 'varchar', length: 32, nullable: true })
  tradeStatus: string | null;

  @Column({ name: 'out_trade_no', type: 'varchar', length: 64, nullable: true })
  outTradeNo: string | null;

  /** The exact body as received (what the signature was checked on). */
  @Column({ name: 'raw_body', type: 'mediumtext' })
  rawBody: string;

  @Column({ type: 'tinyint', default: 0 })
  verified: number;

  @Column({ type: 'varchar', length: 32, default: 'RECEIVED' })
  outcome: CallbackOutcome;

  @Column({ type: 'varchar', length: 255, nullable: true })
  detail: string | null;

  /** 1 for a verified notify appended in buffered mode (the unique slot); NULL otherwise. */
  @Column({ type: 'tinyint', nullable: true })
  dedup: number | null;

  @Column({ type: 'int', default: 0 })
  attempts: number;

  @Column({ name: 'available_at', type: 'datetime', precision: 3 })
  availableAt: Date;

  /** When processing finished (applied, or decided that nothing is to be applied). */
  @Column({ name: 'applied_at', type: 'datetime', precision: 3, nullable: true })
  appliedAt: Date | null;

  @Column({ name: 'received_at', type: 'datetime', precision: 3 })
  receivedAt: Date;
}
