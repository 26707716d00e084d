import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { TOPICS } from '../../common/events/payment-events';
import { OutboxService } from '../../common/outbox/outbox.service';
import { casTransition } from '../../idempotency';
import { AnomalyStatus } from '../entities/payment-anomaly.entity';
import { ANOMALY_MACHINE } from './anomaly-state';

/** An anomaly as the admin API shows it: the row, its payment's order and amount, its refund's state. */
export interface AnomalyView {
  id: string;
  paymentNo: string;
  orderNo: string | null;
  channel: string | null;
  amount: number | null;
  kind: string;
  status: AnomalyStatus;
  detail: string | null;
  refundNo: string | null;
  refundStatus: string | null;
  failedReason: string | null;
  resolvedBy: string | null;
  resolutionNote: string | null;
  createdAt: Date;
  resolvedAt: Date | null;
}

export interface AnomalyFilter {
  status?: AnomalyStatus;
  kind?: string;
  paymentNo?: string;
  /** ids below this one (the list runs newest first) */
  before?: string;
  limit: number;
}

const VIEW = `SELECT a.id, a.payment_no, p.order_no, p.channel, p.amount, a.kind, a.status, a.detail,
    a.refund_no, r.status AS refund_status, COALESCE(a.failed_reason, r.failed_reason) AS failed_reason,
    a.resolved_by, a.resolution_note, a.created_at, a.resolved_at
  FROM t_payment_anomaly a
  LEFT JOIN t_payment p ON p.payment_no = a.payment_no
  LEFT JOIN t_refund r ON r.refund_no = a.refund_no`;

/**
 * t_payment_anomaly: the one way to it. `record` writes the row and its `anomaly.opened` outbox event in
 * one transaction; the state moves only through ANOMALY_MACHINE (CAS).
 */
@Injectable()
export class AnomalyRepository {
  constructor(
    private readonly ds: DataSource,
    private readonly outbox: OutboxService,
  ) {}

  /**
   * Appends an anomaly (inside `manager`'s transaction when given) with its `anomaly.opened` event.
   * With `once`, only the first report of a kind for a payment is kept: the marker
   * `t_uq_dipose(kind, paymentNo)` is inserted in the same transaction (INSERT IGNORE), so re-sent
   * notifies, repeated queries and concurrent copies leave one row — what a person needs.
   * @returns the new row's id, or null when `once` found it recorded already.
   */
  async record(
    manager: EntityManager | null,
    paymentNo: string,
    kind: string,
    detail: unknown,
    opts: { once?: boolean; refundNo?: string } = {},
  ): Promise<string | null> {
    const no = paymentNo.slice(0, 40);
    const k = kind.slice(0, 32);
    const text = typeof detail === 'string' ? detail : JSON.stringify(detail);
    const write = async (m: EntityManager): Promise<string | null> => {
      if (opts.once) {
        const res = await m.query(`INSERT IGNORE INTO t_uq_dipose (ref_type, ref_id) VALUES (?, ?)`, [k, no]);
        if (Number(res.affectedRows) !== 1) return null;
      }
      const res = await m.query(
        `INSERT INTO t_payment_anomaly (payment_no, kind, detail, refund_no) VALUES (?, ?, ?, ?)`,
        [no, k, text, opts.refundNo ?? null],
      );
      const id = String(res.insertId);
      await this.outbox.add(m, TOPICS.ANOMALY_OPENED, `anomaly:${id}`, {
        id,
        paymentNo: no,
        kind: k,
        refundNo: opts.refundNo ?? null,
        detail: text,
      });
      return id;
    };
    return manager ? write(manager) : this.ds.transaction('READ COMMITTED', write);
  }

  async list(manager: EntityManager | null, f: AnomalyFilter): Promise<AnomalyView[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (f.status) {
      where.push('a.status = ?');
      params.push(f.status);
    }
    if (f.kind) {
      where.push('a.kind = ?');
      params.push(f.kind);
    }
    if (f.paymentNo) {
      where.push('a.payment_no = ?');
      params.push(f.paymentNo);
    }
    if (f.before) {
      where.push('a.id < ?');
      params.push(f.before);
    }
    const rows = await (manager ?? this.ds.manager).query(
      `${VIEW} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY a.id DESC LIMIT ?`,
      [...params, f.limit],
    );
    return rows.map(toView);
  }

  async find(manager: EntityManager | null, id: string): Promise<AnomalyView | null> {
    const rows = await (manager ?? this.ds.manager).query(`${VIEW} WHERE a.id = ?`, [id]);
    return rows.length ? toView(rows[0]) : null;
  }

  /** OPEN anomalies, for the console's overview. */
  async countOpen(): Promise<number> {
    const rows = await this.ds.query(`SELECT COUNT(*) AS n FROM t_payment_anomaly WHERE status = 'OPEN'`);
    return Number(rows[0].n);
  }

  /** OPEN → RESOLVED by an operator. @returns true iff this call resolved it. */
  resolve(manager: EntityManager | null, id: string, by: string, note: string): Promise<boolean> {
    return casTransition(manager ?? this.ds.manager, {
      table: 't_payment_anomaly',
      idColumn: 'id',
      id,
      machine: ANOMALY_MACHINE,
      from: 'OPEN',
      to: 'RESOLVED',
      set: { resolved_by: by, resolution_note: note, resolved_at: () => 'CURRENT_TIMESTAMP(3)' },
    });
  }

  /** The automatic refund `refundNo` succeeded: its OPEN anomaly → AUTO_REFUNDED (in the refund's transaction). */
  async markAutoRefunded(manager: EntityManager, refundNo: string): Promise<boolean> {
    const res = await manager.query(
      `UPDATE t_payment_anomaly SET status = 'AUTO_REFUNDED', failed_reason = NULL, version = version + 1,
         resolved_at = CURRENT_TIMESTAMP(3), resolved_by = 'auto-refund'
       WHERE refund_no = ? AND status = 'OPEN'`,
      [refundNo],
    );
    return Number(res.affectedRows) > 0;
  }

  /**
   * The payment's anomaly of one of `kinds` (its first), read with a locking read (the newest committed
   * row, whatever the isolation level); null when there is none.
   */
  async findFirstOfKinds(
    manager: EntityManager,
    paymentNo: string,
    kinds: readonly string[],
  ): Promise<{ id: string; kind: string; status: AnomalyStatus; refundNo: string | null } | null> {
    const rows = await manager.query(
      `SELECT id, kind, status, refund_no FROM t_payment_anomaly
       WHERE payment_no = ? AND kind IN (${kinds.map(() => '?').join(', ')}) ORDER BY id LIMIT 1 FOR UPDATE`,
      [paymentNo.slice(0, 40), ...kinds],
    );
    if (!rows.length) return null;
    const r = rows[0];
    return { id: String(r.id), kind: r.kind, status: r.status, refundNo: r.refund_no ?? null };
  }

  /**
   * `markAutoRefunded` for a refund that may have SUCCEEDED already (before the anomaly naming it was
   * written or linked): its OPEN anomaly → AUTO_REFUNDED iff the refund row is SUCCEEDED now.
   * Call it holding the payment's row lock, which the refund's success transaction takes first.
   */
  async markAutoRefundedIfSucceeded(manager: EntityManager, refundNo: string): Promise<boolean> {
    const res = await manager.query(
      `UPDATE t_payment_anomaly a JOIN t_refund r ON r.refund_no = a.refund_no
         SET a.status = 'AUTO_REFUNDED', a.failed_reason = NULL, a.version = a.version + 1,
             a.resolved_at = CURRENT_TIMESTAMP(3), a.resolved_by = 'auto-refund'
       WHERE a.refund_no = ? AND a.status = 'OPEN' AND r.status = 'SUCCEEDED'`,
      [refundNo],
    );
    return Number(res.affectedRows) > 0;
  }

  /** Names the automatic refund on the OPEN anomaly of that payment and kind that was recorded without it. */
  async linkRefund(manager: EntityManager, paymentNo: string, kind: string, refundNo: string): Promise<void> {
    await manager.query(
      `UPDATE t_payment_anomaly SET refund_no = ?, version = version + 1
       WHERE payment_no = ? AND kind = ? AND status = 'OPEN' AND refund_no IS NULL`,
      [refundNo, paymentNo, kind],
    );
  }

  /**
   * The automatic refund `refundNo` had no answer from its last gateway call and is retried under the same
   * number: its OPEN anomaly says so — only while the refund is still PENDING, so an attempt that was in
   * flight when the refund was concluded FAILED never overwrites the refusal's reason with "retried".
   */
  async noteRefundRetrying(refundNo: string, reason: string): Promise<void> {
    await this.ds.query(
      `UPDATE t_payment_anomaly a JOIN t_refund r ON r.refund_no = a.refund_no
          SET a.failed_reason = ?, a.version = a.version + 1
        WHERE a.refund_no = ? AND a.status = 'OPEN' AND r.status = 'PENDING'`,
      [reason.slice(0, 256), refundNo],
    );
  }

  /** The automatic refund `refundNo` was refused (FAILED): its anomaly stays OPEN and says why. */
  async noteRefundFailed(manager: EntityManager | null, refundNo: string, reason: string): Promise<void> {
    await (manager ?? this.ds.manager).query(
      `UPDATE t_payment_anomaly SET failed_reason = ?, version = version + 1
       WHERE refund_no = ? AND status = 'OPEN'`,
      [reason.slice(0, 256), refundNo],
    );
  }
}

function toView(r: any): AnomalyView {
  return {
    id: String(r.id),
    paymentNo: r.payment_no,
    orderNo: r.order_no ?? null,
    channel: r.channel ?? null,
    amount: r.amount === null || r.amount === undefined ? null : Number(r.amount),
    kind: r.kind,
    status: r.status,
    detail: r.detail ?? null,
    refundNo: r.refund_no ?? null,
    refundStatus: r.refund_status ?? null,
    failedReason: r.failed_reason ?? null,
    resolvedBy: r.resolved_by ?? null,
    resolutionNote: r.resolution_note ?? null,
    createdAt: new Date(r.created_at),
    resolvedAt: r.resolved_at ? new Date(r.resolved_at) : null,
  };
}
