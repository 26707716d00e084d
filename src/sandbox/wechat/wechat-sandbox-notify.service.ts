import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { Queue } from 'bull';
import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { QUEUES } from '../../common/queue/queue.constants';
import { sandboxConfig } from '../../config/configuration';
import { SimNotifier, SimNotifyJob, SimProtocol, SimWire } from '../core/sim-notifier';
import { rsaSign } from '../sandbox-crypto';
import { WechatSandboxKeysService } from './wechat-sandbox-keys.service';
import { aesGcmEncrypt, refundView, rfc3339, transactionView, WxEventType } from './wechat-sandbox.views';
import { WxNotifyMode, WxRefundRow, WxTransactionRow } from './wechat-sandbox.types';

/** WeChat Pay's re-send schedule after a notify that was not acknowledged with 2xx (ms, 24 h 4 min). */
export const WECHAT_NOTIFY_RETRY_SCHEDULE_MS = [
  15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800, 21600, 21600,
].map((s) => s * 1000);

/** wrong_merchant: another merchant's mchid and appid. */
const OTHER_MERCHANT = { mchid: '1900000999', appid: 'wx0000000000000000' };

export interface WxSettleJob {
  kind: 'settle';
  outRefundNo: string;
}

export type WxSandboxJob = SimNotifyJob | WxSettleJob;

/**
 * The WeChat face of the notify core: JSON with an AES-GCM resource, signed in Wechatpay-* headers with
 * the platform key; any 2xx acknowledges; re-sent on WeChat's schedule. Delivery, modes and the attempt
 * log are the core's (core/sim-notifier.ts). The same queue settles refunds (PROCESSING → outcome) a
 * moment after they are accepted.
 */
@Injectable()
export class WechatSandboxNotifyService implements SimProtocol {
  readonly channel = 'wechat' as const;
  readonly jobPrefix = 'wx';
  readonly sendTimeoutMs = 5000;
  readonly corrupting = ['bad_sign', 'amount_mismatch', 'decrypt_fail', 'replay_old', 'wrong_merchant'];
  readonly newNotifyId = () => randomUUID();
  readonly core: SimNotifier;

  constructor(
    private readonly ds: DataSource,
    private readonly keys: WechatSandboxKeysService,
    @InjectQueue(QUEUES.SANDBOX_WECHAT_NOTIFY) private readonly queue: Queue<WxSandboxJob>,
    @Inject(sandboxConfig.KEY) cfg: ConfigType<typeof sandboxConfig>,
  ) {
    this.core = new SimNotifier(ds, queue, this, cfg.timeScale);
  }

  retryGapsMs = () => WECHAT_NOTIFY_RETRY_SCHEDULE_MS;
  acked = (status: number) => status >= 200 && status < 300;
  stale = async (job: SimNotifyJob) => ({ event: job.event, ref: job.ref }); // the same event, older

  enqueue(
    base: { outTradeNo: string; outRefundNo?: string; eventType: WxEventType },
    mode: WxNotifyMode,
    times?: number,
    delayMs?: number,
  ): Promise<string> {
    const about = { trade: base.outTradeNo, event: base.eventType, ref: base.outRefundNo };
    return this.core.enqueue(about, mode, times, delayMs);
  }

  /** How long an accepted refund stays PROCESSING before the settle job runs (1 s, scaled). */
  settleDelayMs(): number {
    return this.core.scaled(1000);
  }

  async scheduleSettle(outRefundNo: string): Promise<void> {
    await this.queue.add(
      { kind: 'settle', outRefundNo },
      { jobId: `wx-settle:${outRefundNo}`, delay: this.settleDelayMs(), attempts: 5 },
    );
  }

  attemptsOf(outTradeNo: string) {
    return this.core.attemptsOf(outTradeNo);
  }

  /** The notify as WeChat sends it: JSON with an AES-GCM resource, signed in Wechatpay-* headers. */
  async build(job: SimNotifyJob, corrupt: string | null): Promise<SimWire | null> {
    const rows: WxTransactionRow[] = await this.ds.query(
      'SELECT * FROM sandbox_wechat_transaction WHERE out_trade_no = ?',
      [job.trade],
    );
    if (!rows[0]) return null;
    const t = { ...rows[0], total: Number(rows[0].total) };
    const rs: WxRefundRow[] = job.ref
      ? await this.ds.query('SELECT * FROM sandbox_wechat_refund WHERE out_refund_no = ?', [job.ref])
      : [];
    const r = rs[0] ? { ...rs[0], refund: Number(rs[0].refund), total: Number(rs[0].total) } : null;
    const keys = await this.keys.get();
    const plain: Record<string, unknown> = r ? refundView(t, r, 'notify') : transactionView(t);
    if (corrupt === 'amount_mismatch') {
      const amount = plain.amount as Record<string, number>;
      plain.amount = r
        ? { ...amount, refund: amount.refund + 1 }
        : { ...amount, total: amount.total + 1, payer_total: amount.total + 1 };
    }
    if (corrupt === 'wrong_merchant') {
      // another merchant's notify, validly encrypted and signed: mchid (and a transaction's appid) not ours
      plain.mchid = OTHER_MERCHANT.mchid;
      if (!r) plain.appid = OTHER_MERCHANT.appid;
    }
    const created = job.stale ? new Date((t.success_time ?? new Date()).getTime() - 1000) : new Date();
    const nonce = randomBytes(6).toString('hex');
    const aad = r ? 'refund' : 'transaction';
    const key = corrupt === 'decrypt_fail' ? 'x'.repeat(32) : keys.apiV3Key;
    const resource = {
      algorithm: 'AEAD_AES_256_GCM',
      ciphertext: aesGcmEncrypt(JSON.stringify(plain), key, nonce, aad),
      associated_data: aad,
      nonce,
      original_type: aad,
    };
    const body = JSON.stringify({
      id: job.notifyId,
      create_time: rfc3339(created),
      resource_type: 'encrypt-resource',
      event_type: job.event,
      summary: r ? '退款成功' : '支付成功',
      resource,
    });
    const ts = Math.floor(Date.now() / 1000) - (corrupt === 'replay_old' ? 600 : 0);
    const hnonce = randomBytes(16).toString('hex').toUpperCase();
    const signed = `${ts}\n${hnonce}\n${corrupt === 'bad_sign' ? `${body} ` : body}\n`;
    const headers = {
      'content-type': 'application/json',
      'wechatpay-timestamp': String(ts),
      'wechatpay-nonce': hnonce,
      'wechatpay-signature': rsaSign(signed, keys.platformPrivatePem),
      'wechatpay-serial': keys.platformKeyId,
    };
    const url = r ? (r.notify_url ?? t.notify_url) : t.notify_url;
    return { url, body, headers, payload: { headers, body: JSON.parse(body) } };
  }
}
