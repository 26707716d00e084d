import { Logger } from '@nestjs/common';
import type { Queue } from 'bull';
import { DataSource } from 'typeorm';

/**
 * The notify modes every face has (a face adds its own corrupting ones): `drop`, `duplicate`, `delay`,
 * `out_of_order` are delivery (the core's); `bad_sign`, `amount_mismatch`, `wrong_merchant` corrupt the
 * first `times` deliveries in the face's wire format.
 */
export const SIM_NOTIFY_MODES = [
  'normal',
  'drop',
  'duplicate',
  'delay',
  'out_of_order',
  'bad_sign',
  'amount_mismatch',
  'wrong_merchant',
] as const;

/** The protocols the simulator speaks; the attempt log names each row's channel. */
export type SimChannel = 'alipay' | 'wechat' | 'unionpay';

/**
 * One delivery of one notify (a Bull job). `trade` is what the attempts are listed under (the merchant's
 * trade number), `event` what the notify says happened (Alipay trade_status, WeChat event_type, UnionPay
 * `txnType/respCode`), `ref` the refund it is about (null for the payment), `key` the face's own handle on
 * the notified row when that is not the trade (UnionPay's queryId).
 */
export interface SimNotifyJob {
  kind: 'notify';
  trade: string;
  event: string;
  ref?: string;
  key?: string;
  notifyId: string;
  mode: string;
  /** 1 for the first delivery, 2.. for re-sends. */
  seq: number;
  /** Concurrent copies of this delivery (duplicate mode, first delivery only). */
  copies: number;
  /** How many more deliveries get corrupted (the face's corrupting modes). */
  corruptLeft: number;
  /** A stale notify sent after a newer one (out_of_order). */
  stale?: boolean;
}

/** What one delivery puts on the wire, and what the attempt log keeps of it. */
export interface SimWire {
  url: string;
  body: string;
  headers: Record<string, string>;
  payload: unknown;
}

/** What a protocol face tells the core: its wire format and its gateway's delivery rules. */
export interface SimProtocol {
  channel: SimChannel;
  /** Bull job id prefix (`<prefix>:<notifyId>:<seq>`). */
  jobPrefix: string;
  /** The gateway's re-send gaps (ms, before sends 2..n, unscaled): after the last, it gives up. */
  retryGapsMs(): readonly number[];
  sendTimeoutMs: number;
  /** Modes that corrupt the first `times` deliveries (re-sends are good). */
  corrupting: readonly string[];
  /** Whether the gateway reads this answer as acknowledged. */
  acked(status: number, body: string): boolean;
  /** The signed notify; null when its trade or refund is gone (nothing is sent). */
  build(job: SimNotifyJob, corrupt: string | null): Promise<SimWire | null>;
  /** out_of_order: what the stale notify sent after the first delivery is about (null: none). */
  stale(job: SimNotifyJob): Promise<Pick<SimNotifyJob, 'event' | 'ref' | 'key'> | null>;
  newNotifyId(): string;
}

/** One row of the attempt log, the same shape for every protocol. */
export interface SimAttempt {
  notifyId: string;
  event: string;
  ref: string | null;
  mode: string;
  seq: number;
  copy: number;
  /** SENDING, ACKED, NACKED (answered, not acknowledged), ERROR (no answer), DROPPED (never sent) */
  outcome: string;
  httpStatus: number | null;
  responseBody: string | null;
  error: string | null;
  payload: unknown;
  createdAt: Date;
  finishedAt: Date | null;
}

/**
 * The simulator core's notify delivery, written once for the three protocols: modes (drop, duplicate,
 * delay, early, out_of_order and the face's corrupting ones), the gateway's own re-send schedule (scaled
 * by SANDBOX_TIME_SCALE), and the attempt log `sandbox_notify_attempt`. Each delivery is one job with a
 * deterministic id, so a re-added job is a no-op; an attempt row is written before the send
 * (UNIQUE(channel, notify_id, seq, copy)), so a job re-run after a crash never sends the same attempt twice.
 */
export class SimNotifier {
  private readonly logger: Logger;

  constructor(
    private readonly ds: DataSource,
    private readonly queue: Queue,
    private readonly p: SimProtocol,
    private readonly timeScale: number,
  ) {
    this.logger = new Logger(`SimNotifier:${p.channel}`);
  }

  /** A ms duration of the gateway's clock on ours (≥ 1). */
  scaled(ms: number): number {
    return Math.max(1, Math.round(ms * this.timeScale));
  }

  /**
   * Sends a notify as `mode` says: `drop` records a DROPPED attempt, `early` delivers before this
   * returns, `delay` waits `delayMs` (not scaled), the rest go through the queue at once.
   */
  async enqueue(
    base: Pick<SimNotifyJob, 'trade' | 'event' | 'ref' | 'key'> & { notifyId?: string },
    mode: string,
    times?: number,
    delayMs?: number,
  ): Promise<string> {
    const job: SimNotifyJob = {
      kind: 'notify',
      ...base,
      notifyId: base.notifyId ?? this.p.newNotifyId(),
      mode,
      seq: 1,
      copies: mode === 'duplicate' ? Math.max(2, times ?? 2) : 1,
      corruptLeft: this.p.corrupting.includes(mode) ? Math.max(1, times ?? 1) : 0,
    };
    if (mode === 'drop') await this.record(job, 1, 'DROPPED', null);
    else if (mode === 'early') await this.deliver(job);
    else await this.add(job, mode === 'delay' ? (delayMs ?? 1000) : 0);
    return job.notifyId;
  }

  /**
   * Runs one delivery (called by the face's queue processor). A run that finds every copy's attempt
   * already on record (the same job run twice at once, or re-run after a crash) sends nothing; it
   * schedules the re-send only when no copy was acknowledged and none is still in flight.
   */
  async deliver(job: SimNotifyJob): Promise<void> {
    const corrupt = job.corruptLeft > 0 ? job.mode : null;
    const wire = await this.p.build(job, corrupt);
    if (!wire) return;
    const sent = await Promise.all(
      Array.from({ length: job.copies }, (_, i) => this.sendOnce(wire, job, i + 1)),
    );
    if (sent.every((s) => s === 'SKIPPED')) {
      if (!(await this.needsResend(job))) return;
    } else if (job.mode === 'out_of_order' && job.seq === 1 && !job.stale) {
      const about = await this.p.stale(job);
      if (about) {
        const notifyId = this.p.newNotifyId();
        await this.add({ ...job, ...about, notifyId, mode: 'normal', copies: 1, stale: true }, 0);
      }
    }
    if (sent.includes('ACKED')) return;
    const gap = this.p.retryGapsMs()[job.seq - 1];
    if (gap === undefined) return; // schedule exhausted: the gateway gives up too
    const next = { ...job, seq: job.seq + 1, copies: 1, corruptLeft: Math.max(0, job.corruptLeft - 1) };
    await this.add(next, this.scaled(gap)); // one job id per (notify, seq): added twice, it runs once
  }

  /** For a run that sent nothing: none of this delivery's copies acked, none still in flight. */
  private async needsResend(job: SimNotifyJob): Promise<boolean> {
    const [r]: Array<{ acked: string | null; live: string | null }> = await this.ds.query(
      `SELECT SUM(outcome = 'ACKED') AS acked,
         SUM(outcome = 'SENDING' AND created_at > NOW(3) - INTERVAL ? SECOND) AS live
       FROM sandbox_notify_attempt WHERE channel = ? AND notify_id = ? AND seq = ?`,
      [(2 * this.p.sendTimeoutMs) / 1000, this.p.channel, job.notifyId, job.seq],
    );
    return !Number(r?.acked ?? 0) && !Number(r?.live ?? 0);
  }

  /** Every notify attempt of a trade, oldest first (payload parsed). */
  async attemptsOf(trade: string): Promise<SimAttempt[]> {
    const rows: Array<SimAttempt & { payload: string | null }> = await this.ds.query(
      `SELECT notify_id AS notifyId, event, ref, mode, seq, copy, outcome, http_status AS httpStatus,
         response_body AS responseBody, error, payload, created_at AS createdAt, finished_at AS finishedAt
       FROM sandbox_notify_attempt WHERE channel = ? AND out_trade_no = ? ORDER BY id`,
      [this.p.channel, trade],
    );
    return rows.map((a) => ({ ...a, payload: a.payload ? JSON.parse(a.payload) : null }));
  }

  private async sendOnce(
    wire: SimWire,
    job: SimNotifyJob,
    copy: number,
  ): Promise<'ACKED' | 'REFUSED' | 'SKIPPED'> {
    const fresh = await this.record(job, copy, 'SENDING', JSON.stringify(wire.payload));
    if (!fresh) return 'SKIPPED'; // this attempt is on record (another run of the job): never send it twice
    let status: number | null = null;
    let body = '';
    let error: string | null = null;
    try {
      const res = await fetch(wire.url, {
        method: 'POST',
        headers: wire.headers,
        body: wire.body,
        signal: AbortSignal.timeout(this.p.sendTimeoutMs),
      });
      status = res.status;
      body = await res.text();
    } catch (err) {
      error = (err as Error).message.slice(0, 250);
    }
    const acked = status !== null && this.p.acked(status, body);
    await this.ds.query(
      `UPDATE sandbox_notify_attempt SET outcome = ?, http_status = ?, response_body = ?, error = ?,
         finished_at = CURRENT_TIMESTAMP(3) WHERE channel = ? AND notify_id = ? AND seq = ? AND copy = ?`,
      [
        acked ? 'ACKED' : error ? 'ERROR' : 'NACKED',
        status,
        body.slice(0, 250),
        error,
        this.p.channel,
        job.notifyId,
        job.seq,
        copy,
      ],
    );
    if (!acked) this.logger.debug(`notify ${job.notifyId}#${job.seq} not acked (${status ?? error})`);
    return acked ? 'ACKED' : 'REFUSED';
  }

  /** The attempt row, written before the send; false when it exists (this attempt ran before). */
  private async record(job: SimNotifyJob, copy: number, outcome: string, payload: string | null) {
    // a re-send after the corruption is spent is a normal one; the stale copy is out_of_order's
    const mode = job.stale ? 'out_of_order' : job.corruptLeft > 0 || job.seq === 1 ? job.mode : 'normal';
    const res = await this.ds.query(
      `INSERT IGNORE INTO sandbox_notify_attempt
         (channel, out_trade_no, notify_id, event, ref, mode, seq, copy, outcome, payload, finished_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, IF(? = 'SENDING', NULL, CURRENT_TIMESTAMP(3)))`,
      [
        this.p.channel,
        job.trade,
        job.notifyId,
        job.event,
        job.ref ?? null,
        mode,
        job.seq,
        copy,
        outcome,
        payload,
        outcome,
      ],
    );
    return res.affectedRows === 1;
  }

  private async add(job: SimNotifyJob, delay: number): Promise<void> {
    const jobId = `${this.p.jobPrefix}:${job.notifyId}:${job.seq}`;
    await this.queue.add(job, { jobId, delay, attempts: 3 });
  }
}
