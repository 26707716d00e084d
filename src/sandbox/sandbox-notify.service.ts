import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { Queue } from 'bull';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { paymentConfig } from '../config/configuration';
import { alipayConfig } from '../payment/channels/alipay/alipay.config';
import { QUEUES } from '../common/queue/queue.constants';
import { fenToYuan } from './sandbox-money';
import { rsaSign, signContent } from './sandbox-crypto';
import { SandboxKeyService } from './sandbox-key.service';
import { toCst } from './sandbox-time';
import { NotifyMode, RefundNotifyMode, SandboxRefundRow, SandboxTradeRow } from './sandbox-trade.types';

/** Alipay's re-send schedule after a notify that was not answered exactly `success` (ms). */
export const NOTIFY_RETRY_SCHEDULE_MS = [4, 10, 10, 60, 120, 360, 900].map((m) => m * 60_000);

export interface NotifyJob {
  outTradeNo: string;
  notifyId: string;
  status: 'TRADE_SUCCESS' | 'TRADE_CLOSED';
  mode: NotifyMode | RefundNotifyMode;
  /** A refund notify: the refund's out_request_no (sent as out_biz_no). */
  outBizNo?: string;
  /** 1 for the first delivery, 2.. for re-sends. */
  seq: number;
  /** Concurrent copies of this delivery (duplicate mode, first delivery only). */
  copies: number;
  /** How many more deliveries get corrupted (bad_sign / amount_mismatch). */
  corruptLeft: number;
  /** A stale notify sent after a newer one (out_of_order): a TRADE_CLOSED after the success, or the state before a refund. */
  stale?: boolean;
}

const SEND_TIMEOUT_MS = 5000;

/**
 * Builds, signs and delivers the gateway's async notifies from the `sandbox-notify` queue, recording
 * every attempt in sandbox_notify_attempt. Each delivery is one job with a deterministic id
 * (`notify:<notifyId>:<seq>`), so a re-added job is a no-op; an attempt row is written before the send
 * (UNIQUE(notify_id, seq, copy)), so a job re-run after a crash does not send the same attempt twice.
 */
@Injectable()
export class SandboxNotifyService {
  private readonly logger = new Logger(SandboxNotifyService.name);

  constructor(
    private readonly ds: DataSource,
    private readonly keys: SandboxKeyService,
    @InjectQueue(QUEUES.SANDBOX_NOTIFY) private readonly queue: Queue<NotifyJob>,
    @Inject(paymentConfig.KEY) private readonly cfg: ConfigType<typeof paymentConfig>,
    @Inject(alipayConfig.KEY) private readonly alipay: ConfigType<typeof alipayConfig>,
  ) {}

  async enqueueSuccess(
    outTradeNo: string,
    notifyId: string,
    mode: NotifyMode,
    times?: number,
    delayMs?: number,
  ): Promise<void> {
    const base = {
      outTradeNo,
      notifyId,
      status: 'TRADE_SUCCESS' as const,
      mode,
      seq: 1,
      copies: 1,
      corruptLeft: 0,
    };
    if (mode === 'drop') {
      await this.record(base, 1, 'DROPPED', { payload: null });
      return;
    }
    const job: NotifyJob = {
      ...base,
      copies: mode === 'duplicate' ? Math.max(2, times ?? 2) : 1,
      corruptLeft: mode === 'bad_sign' || mode === 'amount_mismatch' ? Math.max(1, times ?? 1) : 0,
    };
    await this.add(job, mode === 'delay' ? (delayMs ?? 1000) : 0);
  }

  async enqueueClose(outTradeNo: string, notifyId: string): Promise<void> {
    await this.add(
      { outTradeNo, notifyId, status: 'TRADE_CLOSED', mode: 'normal', seq: 1, copies: 1, corruptLeft: 0 },
      0,
    );
  }

  /**
   * The notify of a refund that moved money: `trade_status_sync` with the cumulative `refund_fee`,
   * `gmt_refund` and `out_biz_no`; TRADE_CLOSED after a full refund. `early` is delivered before this
   * returns (so before the refund call answers); the other modes go through the queue as for payments.
   */
  async enqueueRefund(
    outTradeNo: string,
    refund: SandboxRefundRow,
    full: boolean,
    mode: RefundNotifyMode,
    times?: number,
    delayMs?: number,
  ): Promise<void> {
    const job: NotifyJob = {
      outTradeNo,
      notifyId: refund.notify_id!,
      status: full ? 'TRADE_CLOSED' : 'TRADE_SUCCESS',
      mode,
      outBizNo: refund.out_request_no,
      seq: 1,
      copies: mode === 'duplicate' ? Math.max(2, times ?? 2) : 1,
      corruptLeft: 0,
    };
    if (mode === 'drop') {
      await this.record(job, 1, 'DROPPED', { payload: null });
      return;
    }
    if (mode === 'early') {
      await this.deliver(job);
      return;
    }
    await this.add(job, mode === 'delay' ? (delayMs ?? 1000) : 0);
  }

  /** Runs one delivery (called by the processor). */
  async deliver(job: NotifyJob): Promise<void> {
    const rows: SandboxTradeRow[] = await this.ds.query(
      'SELECT * FROM sandbox_trade WHERE out_trade_no = ?',
      [job.outTradeNo],
    );
    const t = rows[0];
    let refund: SandboxRefundRow | null = null;
    if (job.outBizNo) {
      const rs: SandboxRefundRow[] = await this.ds.query(
        'SELECT * FROM sandbox_refund WHERE out_trade_no = ? AND out_request_no = ?',
        [job.outTradeNo, job.outBizNo],
      );
      refund = rs[0] ?? null;
      if (!refund) return;
    }
    const url = refund?.notify_url ?? t?.notify_url;
    if (!t || !url) return;
    const corrupt = job.corruptLeft > 0 ? (job.mode as NotifyMode) : null;
    const trade = { ...t, total_amount: Number(t.total_amount) };
    const params = refund
      ? await this.buildRefund(trade, refund, job)
      : await this.build(trade, job, corrupt);
    const results = await Promise.all(
      Array.from({ length: job.copies }, (_, i) => this.sendOnce(url, params, job, i + 1)),
    );
    if (refund && job.mode === 'out_of_order' && job.seq === 1 && !job.stale) {
      await this.addStaleRefund(job, refund);
    }
    if (!refund && job.mode === 'out_of_order' && job.seq === 1 && job.status === 'TRADE_SUCCESS') {
      const staleId = randomUUID().replace(/-/g, '');
      await this.add({ ...job, notifyId: staleId, status: 'TRADE_CLOSED', mode: 'normal', stale: true }, 0);
    }
    if (results.includes(true)) return;
    const wait = NOTIFY_RETRY_SCHEDULE_MS[job.seq - 1];
    if (wait === undefined) return; // schedule exhausted: Alipay gives up too
    const next: NotifyJob = {
      ...job,
      seq: job.seq + 1,
      copies: 1,
      corruptLeft: Math.max(0, job.corruptLeft - 1),
    };
    await this.add(next, Math.max(1, Math.round(wait * this.cfg.sandboxTimeScale)));
  }

  /** The form Alipay would send: empty fields omitted, amounts in yuan, signed without sign/sign_type. */
  async build(
    t: SandboxTradeRow,
    job: NotifyJob,
    corrupt: NotifyMode | null,
  ): Promise<Record<string, string>> {
    const amountFen = corrupt === 'amount_mismatch' ? t.total_amount + 1 : t.total_amount;
    const yuan = fenToYuan(amountFen);
    const paid = job.status === 'TRADE_SUCCESS';
    const gmtClose = job.stale ? new Date(t.gmt_payment!.getTime() - 1000) : t.gmt_close;
    const all: Record<string, string | null | undefined> = {
      notify_time: toCst(new Date()),
      notify_type: 'trade_status_sync',
      notify_id: job.notifyId,
      app_id: t.app_id,
      charset: 'utf-8',
      version: '1.0',
      sign_type: 'RSA2',
      trade_no: t.trade_no,
      out_trade_no: t.out_trade_no,
      buyer_id: t.buyer_id,
      seller_id: this.alipay.sellerId ?? '2088000000000001',
      trade_status: job.status,
      total_amount: yuan,
      receipt_amount: paid ? yuan : undefined,
      buyer_pay_amount: paid ? yuan : undefined,
      subject: t.subject,
      gmt_create: toCst(t.gmt_create),
      gmt_payment: paid && t.gmt_payment ? toCst(t.gmt_payment) : undefined,
      gmt_close: !paid && gmtClose ? toCst(gmtClose) : undefined,
      fund_bill_list: paid ? JSON.stringify([{ amount: yuan, fundChannel: 'ALIPAYACCOUNT' }]) : undefined,
    };
    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(all)) if (v !== undefined && v !== null && v !== '') params[k] = v;
    const key = await this.keys.gatewayPrivateKey();
    const content = signContent(params, true);
    params.sign = rsaSign(corrupt === 'bad_sign' ? `${content}&tampered=1` : content, key);
    return params;
  }

  /** A refund notify: the trade as it was once this refund succeeded (a full refund closed it). */
  async buildRefund(
    t: SandboxTradeRow,
    refund: SandboxRefundRow,
    job: NotifyJob,
  ): Promise<Record<string, string>> {
    const yuan = fenToYuan(t.total_amount);
    // Alipay writes gmt_refund with milliseconds ('yyyy-MM-dd HH:mm:ss.SSS')
    const gmtRefund = refund.gmt_refund
      ? `${toCst(refund.gmt_refund)}.${pad3(refund.gmt_refund)}`
      : undefined;
    const closed = job.status === 'TRADE_CLOSED';
    const all: Record<string, string | null | undefined> = {
      notify_time: toCst(new Date()),
      notify_type: 'trade_status_sync',
      notify_id: job.notifyId,
      app_id: t.app_id,
      charset: 'utf-8',
      version: '1.0',
      sign_type: 'RSA2',
      trade_no: t.trade_no,
      out_trade_no: t.out_trade_no,
      out_biz_no: refund.out_request_no,
      buyer_id: t.buyer_id,
      seller_id: this.alipay.sellerId ?? '2088000000000001',
      trade_status: job.status,
      total_amount: yuan,
      receipt_amount: yuan,
      buyer_pay_amount: yuan,
      refund_fee: fenToYuan(Number(refund.refund_fee_after)),
      subject: t.subject,
      gmt_create: toCst(t.gmt_create),
      gmt_payment: t.gmt_payment ? toCst(t.gmt_payment) : undefined,
      gmt_refund: gmtRefund,
      gmt_close: closed && refund.gmt_refund ? toCst(refund.gmt_refund) : undefined,
    };
    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(all)) if (v !== undefined && v !== null && v !== '') params[k] = v;
    params.sign = rsaSign(signContent(params, true), await this.keys.gatewayPrivateKey());
    return params;
  }

  /**
   * out_of_order for a refund: after this refund's notify, a stale one showing the trade as it was
   * before it — the previous refund's notify (smaller refund_fee), or the plain payment notify when this
   * was the first refund — under a new notify_id.
   */
  private async addStaleRefund(job: NotifyJob, refund: SandboxRefundRow): Promise<void> {
    const prev: Array<{ out_request_no: string }> = await this.ds.query(
      `SELECT out_request_no FROM sandbox_refund WHERE out_trade_no = ? AND status = 'SUCCESS'
         AND refund_fee_after < ? ORDER BY refund_fee_after DESC LIMIT 1`,
      [job.outTradeNo, refund.refund_fee_after],
    );
    const staleId = randomUUID().replace(/-/g, '');
    await this.add(
      {
        ...job,
        notifyId: staleId,
        status: 'TRADE_SUCCESS',
        mode: 'normal',
        outBizNo: prev[0]?.out_request_no,
        copies: 1,
        stale: true,
      },
      0,
    );
  }

  private async sendOnce(url: string, params: Record<string, string>, job: NotifyJob, copy: number) {
    const fresh = await this.record(job, copy, 'SENDING', { payload: JSON.stringify(params) });
    if (!fresh) return false; // this attempt ran before (job re-run): never send it twice
    let status: number | null = null;
    let body = '';
    let error: string | null = null;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
        body: new URLSearchParams(params).toString(),
        signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
      });
      status = res.status;
      body = await res.text();
    } catch (err) {
      error = (err as Error).message.slice(0, 250);
    }
    const acked = status === 200 && body === 'success';
    await this.ds.query(
      `UPDATE sandbox_notify_attempt SET outcome = ?, http_status = ?, response_body = ?, error = ?,
         finished_at = CURRENT_TIMESTAMP(3) WHERE notify_id = ? AND seq = ? AND copy = ?`,
      [
        acked ? 'ACKED' : error ? 'ERROR' : 'NACKED',
        status,
        body.slice(0, 250),
        error,
        job.notifyId,
        job.seq,
        copy,
      ],
    );
    if (!acked) this.logger.debug(`notify ${job.notifyId}#${job.seq} not acked (${status ?? error})`);
    return acked;
  }

  /** Every notify attempt of a trade, oldest first, as the trade detail route shows them (payload parsed). */
  async attemptsOf(outTradeNo: string): Promise<Array<Record<string, unknown>>> {
    const attempts: Array<Record<string, unknown>> = await this.ds.query(
      `SELECT notify_id AS notifyId, trade_status AS tradeStatus, out_biz_no AS outBizNo, mode, seq, copy, outcome,
         http_status AS httpStatus, response_body AS responseBody, error, payload, created_at AS createdAt
       FROM sandbox_notify_attempt WHERE out_trade_no = ? ORDER BY id`,
      [outTradeNo],
    );
    return attempts.map((a) => ({ ...a, payload: a.payload ? JSON.parse(a.payload as string) : null }));
  }

  private async record(
    job: NotifyJob,
    copy: number,
    outcome: string,
    extra: { payload: string | null },
  ): Promise<boolean> {
    const mode = job.stale ? 'out_of_order' : job.mode;
    const res = await this.ds.query(
      `INSERT IGNORE INTO sandbox_notify_attempt
         (out_trade_no, notify_id, trade_status, mode, seq, copy, outcome, payload, out_biz_no)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        job.outTradeNo,
        job.notifyId,
        job.status,
        mode,
        job.seq,
        copy,
        outcome,
        extra.payload,
        job.outBizNo ?? null,
      ],
    );
    return res.affectedRows === 1;
  }

  private async add(job: NotifyJob, delay: number): Promise<void> {
    await this.queue.add(job, { jobId: `notify:${job.notifyId}:${job.seq}`, delay, attempts: 3 });
  }
}

const pad3 = (d: Date) => String(d.getUTCMilliseconds()).padStart(3, '0');
