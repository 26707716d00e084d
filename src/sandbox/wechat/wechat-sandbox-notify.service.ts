import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { Queue } from 'bull';
import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { QUEUES } from '../../common/queue/queue.constants';
import { paymentConfig } from '../../config/configuration';
import { wechatConfig } from '../../payment/channels/wechat/wechat.config';
import { rsaSign } from '../sandbox-crypto';
import { WechatSandboxKeysService } from './wechat-sandbox-keys.service';
import { aesGcmEncrypt, refundView, rfc3339, transactionView, WxEventType } from './wechat-sandbox.views';
import { WxNotifyMode, WxRefundRow, WxTransactionRow } from './wechat-sandbox.types';

/** WeChat Pay's re-send schedule after a notify that was not acknowledged with 2xx (ms, 24 h 4 min). */
export const WECHAT_NOTIFY_RETRY_SCHEDULE_MS = [
  15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800, 21600, 21600,
].map((s) => s * 1000);

export interface WxNotifyJob {
  kind: 'notify';
  outTradeNo: string;
  /** Set for REFUND.* events. */
  outRefundNo?: string;
  eventType: WxEventType;
  notifyId: string;
  mode: WxNotifyMode;
  /** 1 for the first delivery, 2.. for re-sends. */
  seq: number;
  /** Concurrent copies of this delivery (duplicate, first delivery only). */
  copies: number;
  /** How many more deliveries get corrupted (bad_sign / amount_mismatch / decrypt_fail / replay_old). */
  corruptLeft: number;
  /** A second notification of the same event with an older create_time, sent after the first (out_of_order). */
  stale?: boolean;
}

export interface WxSettleJob {
  kind: 'settle';
  outRefundNo: string;
}

export type WxSandboxJob = WxNotifyJob | WxSettleJob;

const SEND_TIMEOUT_MS = 5000;
const CORRUPTING: WxNotifyMode[] = ['bad_sign', 'amount_mismatch', 'decrypt_fail', 'replay_old'];

/**
 * Builds, signs, encrypts and delivers the WeChat sandbox's notifies from the `sandbox-wechat-notify`
 * queue, one job per delivery with a deterministic id (`wx:<notifyId>:<seq>`); an attempt row is written
 * before each send (UNIQUE(notify_id, seq, copy)), so a job re-run after a crash never sends the same
 * attempt twice. The same queue settles refunds (PROCESSING → outcome) a moment after they are accepted.
 */
@Injectable()
export class WechatSandboxNotifyService {
  private readonly logger = new Logger(WechatSandboxNotifyService.name);

  constructor(
    private readonly ds: DataSource,
    private readonly keys: WechatSandboxKeysService,
    @InjectQueue(QUEUES.SANDBOX_WECHAT_NOTIFY) private readonly queue: Queue<WxSandboxJob>,
    @Inject(paymentConfig.KEY) private readonly payment: ConfigType<typeof paymentConfig>,
    @Inject(wechatConfig.KEY) private readonly cfg: ConfigType<typeof wechatConfig>,
  ) {}

  async enqueue(
    base: Pick<WxNotifyJob, 'outTradeNo' | 'outRefundNo' | 'eventType'>,
    mode: WxNotifyMode,
    times?: number,
    delayMs?: number,
  ): Promise<string> {
    const notifyId = randomUUID();
    const job: WxNotifyJob = {
      kind: 'notify',
      ...base,
      notifyId,
      mode,
      seq: 1,
      copies: mode === 'duplicate' ? Math.max(2, times ?? 2) : 1,
      corruptLeft: CORRUPTING.includes(mode) ? Math.max(1, times ?? 1) : 0,
    };
    if (mode === 'drop') {
      await this.record(job, 1, 'DROPPED', null);
      return notifyId;
    }
    await this.add(job, mode === 'delay' ? (delayMs ?? 1000) : 0);
    return notifyId;
  }

  /** How long an accepted refund stays PROCESSING before the settle job runs (1 s, scaled). */
  settleDelayMs(): number {
    return Math.max(1, Math.round(1000 * this.payment.sandboxTimeScale));
  }

  async scheduleSettle(outRefundNo: string): Promise<void> {
    await this.queue.add(
      { kind: 'settle', outRefundNo },
      { jobId: `wx-settle:${outRefundNo}`, delay: this.settleDelayMs(), attempts: 5 },
    );
  }

  /** Runs one delivery (called by the processor). */
  async deliver(job: WxNotifyJob): Promise<void> {
    const t = await this.transaction(job.outTradeNo);
    if (!t) return;
    const r = job.outRefundNo ? await this.refund(job.outRefundNo) : null;
    const url = r ? (r.notify_url ?? t.notify_url) : t.notify_url;
    const corrupt = job.corruptLeft > 0 ? job.mode : null;
    const { body, headers } = await this.build(t, r, job, corrupt);
    const results = await Promise.all(
      Array.from({ length: job.copies }, (_, i) => this.sendOnce(url, body, headers, job, i + 1)),
    );
    if (job.mode === 'out_of_order' && job.seq === 1 && !job.stale) {
      await this.add({ ...job, notifyId: randomUUID(), mode: 'normal', stale: true }, 0);
    }
    if (results.includes(true)) return;
    const wait = WECHAT_NOTIFY_RETRY_SCHEDULE_MS[job.seq - 1];
    if (wait === undefined) return; // schedule exhausted: WeChat gives up too
    await this.add(
      { ...job, seq: job.seq + 1, copies: 1, corruptLeft: Math.max(0, job.corruptLeft - 1) },
      Math.max(1, Math.round(wait * this.payment.sandboxTimeScale)),
    );
  }

  /** The notify as WeChat sends it: JSON with an AES-GCM resource, signed in Wechatpay-* headers. */
  async build(
    t: WxTransactionRow,
    r: WxRefundRow | null,
    job: WxNotifyJob,
    corrupt: WxNotifyMode | null,
  ): Promise<{ body: string; headers: Record<string, string> }> {
    const keys = await this.keys.get();
    const plain: Record<string, unknown> = r ? refundView(t, r, 'notify') : transactionView(t);
    if (corrupt === 'amount_mismatch') {
      const amount = plain.amount as Record<string, number>;
      plain.amount = r
        ? { ...amount, refund: amount.refund + 1 }
        : { ...amount, total: amount.total + 1, payer_total: amount.total + 1 };
    }
    const created = job.stale ? new Date((t.success_time ?? new Date()).getTime() - 1000) : new Date();
    const nonce = randomBytes(6).toString('hex');
    const aad = r ? 'refund' : 'transaction';
    const resource = {
      algorithm: 'AEAD_AES_256_GCM',
      ciphertext: aesGcmEncrypt(
        JSON.stringify(plain),
        corrupt === 'decrypt_fail' ? 'x'.repeat(32) : keys.apiV3Key,
        nonce,
        aad,
      ),
      associated_data: aad,
      nonce,
      original_type: aad,
    };
    const body = JSON.stringify({
      id: job.notifyId,
      create_time: rfc3339(created),
      resource_type: 'encrypt-resource',
      event_type: job.eventType,
      summary: r ? '退款成功' : '支付成功',
      resource,
    });
    const ts = Math.floor(Date.now() / 1000) - (corrupt === 'replay_old' ? 600 : 0);
    const hnonce = randomBytes(16).toString('hex').toUpperCase();
    const signed = `${ts}\n${hnonce}\n${corrupt === 'bad_sign' ? `${body} ` : body}\n`;
    return {
      body,
      headers: {
        'content-type': 'application/json',
        'wechatpay-timestamp': String(ts),
        'wechatpay-nonce': hnonce,
        'wechatpay-signature': rsaSign(signed, keys.platformPrivatePem),
        'wechatpay-serial': keys.platformKeyId,
      },
    };
  }

  private async sendOnce(
    url: string,
    body: string,
    headers: Record<string, string>,
    job: WxNotifyJob,
    copy: number,
  ): Promise<boolean> {
    const fresh = await this.record(
      job,
      copy,
      'SENDING',
      JSON.stringify({ headers, body: JSON.parse(body) }),
    );
    if (!fresh) return false; // this attempt ran before (job re-run): never send it twice
    let status: number | null = null;
    let text = '';
    let error: string | null = null;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
      });
      status = res.status;
      text = await res.text();
    } catch (err) {
      error = (err as Error).message.slice(0, 250);
    }
    const acked = status !== null && status >= 200 && status < 300;
    await this.ds.query(
      `UPDATE sandbox_wechat_notify_attempt SET outcome = ?, http_status = ?, response_body = ?, error = ?,
         finished_at = CURRENT_TIMESTAMP(3) WHERE notify_id = ? AND seq = ? AND copy = ?`,
      [
        acked ? 'ACKED' : error ? 'ERROR' : 'NACKED',
        status,
        text.slice(0, 250),
        error,
        job.notifyId,
        job.seq,
        copy,
      ],
    );
    if (!acked) this.logger.debug(`wechat notify ${job.notifyId}#${job.seq} not acked (${status ?? error})`);
    return acked;
  }

  /** Every notify attempt of a transaction, oldest first, as its detail route shows them (payload parsed). */
  async attemptsOf(outTradeNo: string): Promise<Array<Record<string, unknown>>> {
    const attempts: Array<Record<string, unknown>> = await this.ds.query(
      `SELECT notify_id AS notifyId, event_type AS eventType, mode, seq, copy, outcome, http_status AS httpStatus,
         response_body AS responseBody, error, payload, created_at AS createdAt
       FROM sandbox_wechat_notify_attempt WHERE out_trade_no = ? ORDER BY id`,
      [outTradeNo],
    );
    return attempts.map((a) => ({ ...a, payload: a.payload ? JSON.parse(a.payload as string) : null }));
  }

  private async record(
    job: WxNotifyJob,
    copy: number,
    outcome: string,
    payload: string | null,
  ): Promise<boolean> {
    const mode = job.stale ? 'out_of_order' : job.corruptLeft > 0 || job.seq === 1 ? job.mode : 'normal';
    const res = await this.ds.query(
      `INSERT IGNORE INTO sandbox_wechat_notify_attempt
         (out_trade_no, notify_id, event_type, mode, seq, copy, outcome, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      [job.outTradeNo, job.notifyId, job.eventType, mode, job.seq, copy, outcome, payload],
    );
    return res.affectedRows === 1;
  }

  private async add(job: WxNotifyJob, delay: number): Promise<void> {
    await this.queue.add(job, { jobId: `wx:${job.notifyId}:${job.seq}`, delay, attempts: 3 });
  }

  private async transaction(outTradeNo: string): Promise<WxTransactionRow | null> {
    const rows: WxTransactionRow[] = await this.ds.query(
      'SELECT * FROM sandbox_wechat_transaction WHERE out_trade_no = ?',
      [outTradeNo],
    );
    return rows[0] ? { ...rows[0], total: Number(rows[0].total) } : null;
  }

  private async refund(outRefundNo: string): Promise<WxRefundRow | null> {
    const rows: WxRefundRow[] = await this.ds.query(
      'SELECT * FROM sandbox_wechat_refund WHERE out_refund_no = ?',
      [outRefundNo],
    );
    return rows[0] ? { ...rows[0], refund: Number(rows[0].refund), total: Number(rows[0].total) } : null;
  }

  /** Used by the API controller to report its own mchid/appid. */
  get merchant() {
    return { mchid: this.cfg.mchid, appid: this.cfg.appid };
  }
}
