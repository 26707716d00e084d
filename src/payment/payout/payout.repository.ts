import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { casTransition } from '../../idempotency';
import { NewPayout, Payout } from './payout.entity';
import { PAYOUT_MACHINE, PayoutChannel, PayoutStatus } from './payout-state';

const COLUMNS = `id, payout_no, user_id, channel, payee_identity, payee_name, amount, status, failed_reason,
  channel_order_id, idempotency_key, request_fingerprint, attempts, china_day, reviewed_by, created_at,
  updated_at, sent_at, succeeded_at, failed_at`;

const date = (v: unknown): Date | null => (v === null || v === undefined ? null : new Date(v as string));
const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

function toPayout(r: Record<string, unknown>): Payout {
  return {
    id: Number(r.id),
    payoutNo: String(r.payout_no),
    userId: String(r.user_id),
    channel: r.channel as PayoutChannel,
    payeeIdentity: String(r.payee_identity),
    payeeName: str(r.payee_name),
    amount: Number(r.amount),
    status: r.status as PayoutStatus,
    failedReason: str(r.failed_reason),
    channelOrderId: str(r.channel_order_id),
    idempotencyKey: str(r.idempotency_key),
    requestFingerprint: str(r.request_fingerprint),
    attempts: Number(r.attempts),
    chinaDay: String(r.china_day),
    reviewedBy: str(r.reviewed_by),
    createdAt: date(r.created_at)!,
    updatedAt: date(r.updated_at)!,
    sentAt: date(r.sent_at),
    succeededAt: date(r.succeeded_at),
    failedAt: date(r.failed_at),
  };
}

/**
 * t_payout and t_payout_daily in plain SQL (one style for the module). Every status change is a CAS
 * through PAYOUT_MACHINE; the daily total moves by a conditional UPDATE, never by a read-then-write.
 */
@Injectable()
export class PayoutRepository {
  constructor(private readonly dataSource: DataSource) {}

  private m(manager: EntityManager | null): EntityManager {
    return manager ?? this.dataSource.manager;
  }

  async insert(m: EntityManager, p: NewPayout): Promise<void> {
    await m.query(
      `INSERT INTO t_payout (payout_no, user_id, channel, payee_identity, payee_name, amount, status,
         idempotency_key, request_fingerprint, china_day, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        p.payoutNo,
        p.userId,
        p.channel,
        p.payeeIdentity,
        p.payeeName,
        p.amount,
        p.status,
        p.idempotencyKey,
        p.requestFingerprint,
        p.chinaDay,
        p.createdAt,
        p.createdAt,
      ],
    );
  }

  async findByNo(m: EntityManager | null, payoutNo: string): Promise<Payout | null> {
    const rows = await this.m(m).query(`SELECT ${COLUMNS} FROM t_payout WHERE payout_no = ?`, [payoutNo]);
    return rows.length ? toPayout(rows[0]) : null;
  }

  async findByUserKey(m: EntityManager | null, userId: string, key: string): Promise<Payout | null> {
    const rows = await this.m(m).query(
      `SELECT ${COLUMNS} FROM t_payout WHERE user_id = ? AND idempotency_key = ?`,
      [userId, key],
    );
    return rows.length ? toPayout(rows[0]) : null;
  }

  /** One user's payouts (or everyone's with `userId` null, optionally of one status), newest first. */
  async list(
    m: EntityManager | null,
    q: { userId: string | null; status?: PayoutStatus; beforeId: number | null; limit: number },
  ): Promise<Payout[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.userId !== null) {
      where.push('user_id = ?');
      params.push(q.userId);
    }
    if (q.status) {
      where.push('status = ?');
      params.push(q.status);
    }
    if (q.beforeId !== null) {
      where.push('id < ?');
      params.push(q.beforeId);
    }
    const rows = await this.m(m).query(
      `SELECT ${COLUMNS} FROM t_payout ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY id DESC LIMIT ?`,
      [...params, q.limit],
    );
    return rows.map(toPayout);
  }

  /** PENDING payouts untouched since `before` (the sweeper), after `afterId`, oldest first. */
  async findPendingBefore(m: EntityManager | null, before: Date, limit: number, afterId = 0) {
    const rows = await this.m(m).query(
      `SELECT ${COLUMNS} FROM t_payout WHERE status = 'PENDING' AND updated_at < ? AND id > ?
       ORDER BY id LIMIT ?`,
      [before, afterId, limit],
    );
    return (rows as Record<string, unknown>[]).map(toPayout);
  }

  /** A channel's payouts whose money left on [from, to) by our record (reconciliation's other side). */
  async findSucceededBetween(channel: PayoutChannel, from: Date, to: Date): Promise<Payout[]> {
    const rows = await this.dataSource.query(
      `SELECT ${COLUMNS} FROM t_payout WHERE channel = ? AND succeeded_at >= ? AND succeeded_at < ? ORDER BY id`,
      [channel, from, to],
    );
    return (rows as Record<string, unknown>[]).map(toPayout);
  }

  /**
   * The CAS of one transition (PAYOUT_MACHINE refuses one it does not declare). True iff this call made
   * it; false: another actor got there first — read the row to learn the outcome.
   */
  cas(
    m: EntityManager,
    payoutNo: string,
    from: PayoutStatus,
    to: PayoutStatus,
    set: Record<string, unknown> = {},
  ): Promise<boolean> {
    return casTransition(m, {
      table: 't_payout',
      idColumn: 'payout_no',
      id: payoutNo,
      machine: PAYOUT_MACHINE,
      from,
      to,
      set: { ...set, updated_at: () => 'CURRENT_TIMESTAMP(3)' },
    });
  }

  /** Before each transfer call: counts it and marks the row touched (the sweeper waits after it). */
  async noteAttempt(payoutNo: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE t_payout SET attempts = attempts + 1, sent_at = COALESCE(sent_at, CURRENT_TIMESTAMP(3)),
         updated_at = CURRENT_TIMESTAMP(3) WHERE payout_no = ? AND status = 'PENDING'`,
      [payoutNo],
    );
  }

  /** After a query or answer that settled nothing: the sweeper leaves it alone for a while. */
  async touch(payoutNo: string, channelOrderId: string | null): Promise<void> {
    await this.dataSource.query(
      `UPDATE t_payout SET updated_at = CURRENT_TIMESTAMP(3),
         channel_order_id = COALESCE(channel_order_id, ?) WHERE payout_no = ? AND status = 'PENDING'`,
      [channelOrderId, payoutNo],
    );
  }

  /**
   * Makes the user's row of `day` if missing, in an autocommit statement of its own: call it BEFORE the
   * create's transaction (an upsert inside many concurrent transactions on one row deadlocks in InnoDB).
   */
  async ensureDaily(userId: string, day: string): Promise<void> {
    await this.dataSource.query(
      'INSERT IGNORE INTO t_payout_daily (user_id, china_day, total) VALUES (?, ?, 0)',
      [userId, day],
    );
  }

  /**
   * Adds `amount` to the user's total of `day` if it stays within `limit` (the row made by `ensureDaily`).
   * False: the limit would be passed (or the row is missing: the caller made it first).
   */
  async takeDaily(m: EntityManager, userId: string, day: string, amount: number, limit: number) {
    const res = await m.query(
      `UPDATE t_payout_daily SET total = total + ? WHERE user_id = ? AND china_day = ? AND total + ? <= ?`,
      [amount, userId, day, amount, limit],
    );
    return Number(res?.affectedRows ?? 0) === 1;
  }

  /** The day's total as it is now (for the refusal's details). */
  async dailyTotal(m: EntityManager | null, userId: string, day: string): Promise<number> {
    const rows = await this.m(m).query(
      'SELECT total FROM t_payout_daily WHERE user_id = ? AND china_day = ?',
      [userId, day],
    );
    return rows.length ? Number(rows[0].total) : 0;
  }

  /** A failed payout's amount no longer counts against its day (in the failing transaction). */
  async giveBackDaily(m: EntityManager, userId: string, day: string, amount: number): Promise<void> {
    await m.query(
      'UPDATE t_payout_daily SET total = GREATEST(total - ?, 0) WHERE user_id = ? AND china_day = ?',
      [amount, userId, day],
    );
  }
}
