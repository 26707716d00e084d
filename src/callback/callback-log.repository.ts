import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { TransactionService } from '../common/database/transaction.service';
import { LeasedQueue, LeasedRow } from '../common/leased-queue';
import type { NotifyLogKeys } from '../payment';
import { CallbackOutcome } from './callback-log.entity';

/** A claimed buffered notify; `attempts` as before this claim. */
export interface BufferedRow extends LeasedRow {
  channel: string;
  raw_body: string;
}

/** Truncates untrusted text for a VARCHAR column. */
export function clip(s: string | undefined | null, max: number): string | null {
  if (s === undefined || s === null) return null;
  return s.length > max ? s.slice(0, max) : s;
}

/** SQL of t_callback_log, which the callback module alone writes. */
@Injectable()
export class CallbackLogRepository {
  /** Buffered rows (dedup = 1) not yet applied are buffered mode's work queue. */
  private readonly buffered: LeasedQueue<BufferedRow>;

  constructor(
    private readonly dataSource: DataSource,
    tx: TransactionService,
  ) {
    this.buffered = new LeasedQueue<BufferedRow>(
      {
        table: 't_callback_log',
        columns: ['channel', 'raw_body'],
        pending: 'dedup = 1 AND applied_at IS NULL',
        // one trade's rows in arrival order, across instances too: a row waits while an earlier row of its
        // trade is still to be applied (claimed by another instance, or retrying). The subquery is a plain
        // consistent read (a locking clause outside does not reach it), so a row another worker is claiming
        // right now still counts as earlier. idx_callback_trade (out_trade_no, and the primary key) serves it.
        claimable:
          'NOT EXISTS (SELECT 1 FROM t_callback_log e WHERE e.out_trade_no = q.out_trade_no AND e.id < q.id' +
          ' AND e.dedup = 1 AND e.applied_at IS NULL)',
      },
      tx,
      dataSource,
    );
  }

  /**
   * Sync mode: one row per receipt with its outcome. Inside `manager`'s transaction when given (the
   * apply's: one commit for both), else on its own (a refused notify, or an apply that failed).
   * `done` (default true) stamps applied_at: answered `success`, nothing more to do.
   */
  async insertReceipt(
    manager: EntityManager | null,
    channel: string,
    rawBody: string,
    params: NotifyLogKeys,
    outcome: CallbackOutcome,
    opts: { verified?: boolean; detail?: string; done?: boolean } = {},
  ): Promise<string> {
    const res = await (manager ?? this.dataSource.manager).query(
      `INSERT INTO t_callback_log (channel, notify_id, trade_status, out_trade_no, raw_body, verified, outcome,
         detail, applied_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, IF(?, NOW(3), NULL))`,
      [
        channel,
        clip(params.notify_id, 128),
        clip(params.trade_status, 32),
        clip(params.out_trade_no, 64),
        rawBody,
        opts.verified ? 1 : 0,
        outcome,
        clip(opts.detail, 255),
        opts.done === false ? 0 : 1,
      ],
    );
    return String(res.insertId);
  }

  /**
   * Buffered mode: appends a verified notify once per (channel, notify_id, trade_status) with
   * INSERT IGNORE on the unique slot. Returns true when this call appended it.
   */
  async appendBuffered(
    manager: EntityManager | null,
    channel: string,
    rawBody: string,
    params: NotifyLogKeys,
  ): Promise<boolean> {
    const res = await (manager ?? this.dataSource.manager).query(
      `INSERT IGNORE INTO t_callback_log
         (channel, notify_id, trade_status, out_trade_no, raw_body, verified, outcome, dedup)
       VALUES (?, ?, ?, ?, ?, 1, 'BUFFERED', 1)`,
      [
        channel,
        clip(params.notify_id, 128),
        clip(params.trade_status, 32),
        clip(params.out_trade_no, 64),
        rawBody,
      ],
    );
    return res.affectedRows === 1;
  }

  /**
   * Records what became of a buffered notify (inside `manager`'s transaction when given). Unless
   * `done: false`, also stamps applied_at: the notify was answered `success` and needs nothing more
   * (applied, a duplicate, or a recorded anomaly).
   */
  async finish(
    manager: EntityManager | null,
    id: string,
    outcome: CallbackOutcome,
    opts: { verified?: boolean; detail?: string; done?: boolean } = {},
  ): Promise<void> {
    await (manager ?? this.dataSource.manager).query(
      `UPDATE t_callback_log SET outcome = ?, detail = ?, verified = GREATEST(verified, ?),
         applied_at = IF(?, NOW(3), applied_at)
       WHERE id = ?`,
      [outcome, clip(opts.detail, 255), opts.verified ? 1 : 0, opts.done === false ? 0 : 1, id],
    );
  }

  /**
   * Claims due, unapplied buffered rows (`FOR UPDATE SKIP LOCKED` in its own short transaction, so
   * workers on several instances share the work), hides them for `leaseMs` and counts the try.
   */
  claimBuffered(batch: number, leaseMs: number): Promise<BufferedRow[]> {
    return this.buffered.claim(batch, leaseMs);
  }

  /** A buffered row that could not be applied yet (unknown trade, database error): try again later. */
  async retryLater(id: string, outcome: CallbackOutcome, detail: string, delayMs: number): Promise<void> {
    await this.buffered.retryLater(id, delayMs, { outcome, detail: clip(detail, 255) });
  }

  /** A trade's notifies, oldest first (never the raw body: the timeline shows what became of them). */
  async findByTrade(outTradeNo: string, limit = 200): Promise<NotifySummary[]> {
    const rows: any[] = await this.dataSource.query(
      `SELECT id, channel, notify_id, trade_status, verified, outcome, detail, attempts, received_at, applied_at
       FROM t_callback_log WHERE out_trade_no = ? ORDER BY id LIMIT ?`,
      [outTradeNo, limit],
    );
    return rows.map((r) => ({
      id: String(r.id),
      channel: r.channel,
      notifyId: r.notify_id ?? null,
      tradeStatus: r.trade_status ?? null,
      verified: !!Number(r.verified),
      outcome: r.outcome,
      detail: r.detail ?? null,
      attempts: Number(r.attempts),
      receivedAt: new Date(r.received_at),
      appliedAt: r.applied_at ? new Date(r.applied_at) : null,
    }));
  }

  /** For the console's overview: notifies received per minute since `since`, by outcome. */
  async outcomesPerMinuteSince(
    since: Date,
  ): Promise<Array<{ minute: string; outcome: CallbackOutcome; notifies: number }>> {
    const rows: any[] = await this.dataSource.query(
      `SELECT DATE_FORMAT(received_at, '%Y-%m-%dT%H:%i') AS minute, outcome, COUNT(*) AS n
       FROM t_callback_log WHERE received_at >= ? GROUP BY minute, outcome ORDER BY minute`,
      [since],
    );
    return rows.map((r) => ({ minute: r.minute, outcome: r.outcome, notifies: Number(r.n) }));
  }
}

/** One notify as a payment's timeline shows it. */
export interface NotifySummary {
  id: string;
  channel: string;
  notifyId: string | null;
  tradeStatus: string | null;
  verified: boolean;
  outcome: CallbackOutcome;
  detail: string | null;
  attempts: number;
  receivedAt: Date;
  appliedAt: Date | null;
}
