import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { clip, NotifyParams } from './alipay-notify';
import { CallbackOutcome } from './callback-log.entity';

export interface BufferedRow {
  id: string;
  raw_body: string;
  attempts: number;
}

/** SQL of t_callback_log, which the callback module alone writes. */
@Injectable()
export class CallbackLogRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Sync mode: one row per receipt with its outcome. Inside `manager`'s transaction when given (the
   * apply's: one commit for both), else on its own (a refused notify, or an apply that failed).
   * `done` (default true) stamps applied_at: answered `success`, nothing more to do.
   */
  async insertReceipt(
    manager: EntityManager | null,
    channel: string,
    rawBody: string,
    params: NotifyParams,
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
  async appendBuffered(channel: string, rawBody: string, params: NotifyParams): Promise<boolean> {
    const res = await this.dataSource.query(
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
   * Claims due, unapplied buffered rows (`FOR UPDATE SKIP LOCKED`, so workers on several instances
   * share the work) and hides them for `leaseMs` while they are processed.
   */
  async claimBuffered(m: EntityManager, batch: number, leaseMs: number): Promise<BufferedRow[]> {
    const rows: BufferedRow[] = await m.query(
      `SELECT id, raw_body, attempts FROM t_callback_log
        WHERE dedup = 1 AND applied_at IS NULL AND available_at <= NOW(3)
        ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED`,
      [batch],
    );
    if (rows.length) {
      await m.query(
        `UPDATE t_callback_log SET attempts = attempts + 1, available_at = NOW(3) + INTERVAL ? MICROSECOND
          WHERE id IN (?)`,
        [leaseMs * 1000, rows.map((r) => r.id)],
      );
    }
    return rows;
  }

  /** A buffered row that could not be applied yet (unknown trade, database error): try again later. */
  async retryLater(id: string, outcome: CallbackOutcome, detail: string, delayMs: number): Promise<void> {
    await this.dataSource.query(
      `UPDATE t_callback_log SET outcome = ?, detail = ?, available_at = NOW(3) + INTERVAL ? MICROSECOND
        WHERE id = ? AND applied_at IS NULL`,
      [outcome, clip(detail, 255), delayMs * 1000, id],
    );
  }
}
