import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { Queue } from 'bull';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { QUEUES } from '../../common/queue/queue.constants';
import { sandboxConfig } from '../../config/configuration';
import { SimNotifier, SimNotifyJob, SimProtocol, SimWire } from '../core/sim-notifier';
import { signFields } from './unionpay-sandbox-crypto';
import { UnionpaySandboxKeysService } from './unionpay-sandbox-keys.service';
import { UpNotifyMode, UpSandboxJob, UpTxnRow } from './unionpay-sandbox.types';

/**
 * The UnionPay face of the notify core: the back notify (form to backUrl) signed with the signing
 * certificate it carries as signPubKeyCert; only HTTP 200 acknowledges (UnionPay waits 10 s for it);
 * re-sent after SANDBOX_UNIONPAY_NOTIFY_GAPS_MS (scaled), at most 5 sends in all. Delivery, modes and the
 * attempt log are the core's (core/sim-notifier.ts): attempts are listed under the consume's orderId, a
 * refund's own orderId as `ref`, `event` `txnType/respCode`.
 */
@Injectable()
export class UnionpaySandboxNotifyService implements SimProtocol {
  readonly channel = 'unionpay' as const;
  readonly jobPrefix = 'up';
  readonly sendTimeoutMs = 10_000;
  readonly corrupting = ['bad_sign', 'amount_mismatch', 'wrong_merchant', 'expired_cert'];
  readonly newNotifyId = () => randomUUID();
  readonly core: SimNotifier;

  constructor(
    private readonly ds: DataSource,
    private readonly keys: UnionpaySandboxKeysService,
    @InjectQueue(QUEUES.SANDBOX_UNIONPAY_NOTIFY) private readonly queue: Queue<UpSandboxJob>,
    @Inject(sandboxConfig.KEY) private readonly cfg: ConfigType<typeof sandboxConfig>,
  ) {
    this.core = new SimNotifier(ds, queue, this, cfg.timeScale);
  }

  retryGapsMs = () => this.cfg.unionpayNotifyGapsMs;
  acked = (status: number) => status === 200;
  stale = async (job: SimNotifyJob) => ({ event: job.event, ref: job.ref, key: job.key });

  /** The notify of the transaction `queryId` (a paid consume or a settled refund). */
  async enqueue(queryId: string, mode: UpNotifyMode, times?: number, delayMs?: number): Promise<string> {
    const t = await this.txn(queryId);
    const consume = t?.orig_qry_id ? await this.txn(t.orig_qry_id) : t;
    const about = {
      trade: consume?.order_id ?? '',
      ref: t?.orig_qry_id ? t.order_id : undefined,
      key: queryId,
      event: t ? `${t.txn_type}/${t.status === 'SUCCESS' ? '00' : '60'}` : '',
    };
    return this.core.enqueue(about, mode, times, delayMs);
  }

  /** How long an accepted refund stays PROCESSING before it settles (scaled). */
  settleDelayMs(): number {
    return this.core.scaled(1000);
  }

  async scheduleSettle(queryId: string): Promise<void> {
    const opts = { jobId: `up-settle:${queryId}`, delay: this.settleDelayMs(), attempts: 5 };
    await this.queue.add({ kind: 'settle', queryId }, opts);
  }

  attemptsOf(orderId: string) {
    return this.core.attemptsOf(orderId);
  }

  async build(job: SimNotifyJob, corrupt: string | null): Promise<SimWire | null> {
    const t = await this.txn(job.key ?? '');
    if (!t) return null;
    const k = await this.keys.get();
    const signer = corrupt === 'expired_cert' ? k.expired : k.gateway;
    const day = cstMmdd(t.done_at ?? new Date());
    const f: Record<string, string> = {
      version: '5.1.0',
      encoding: 'UTF-8',
      signMethod: '01',
      txnType: t.txn_type,
      txnSubType: t.txn_type === '01' ? '07' : '00',
      bizType: '000000',
      accessType: '0',
      merId: corrupt === 'wrong_merchant' ? '777290058199999' : t.mer_id,
      orderId: t.order_id,
      txnTime: t.txn_time,
      txnAmt: String(corrupt === 'amount_mismatch' ? Number(t.txn_amt) + 1 : Number(t.txn_amt)),
      currencyCode: '156',
      queryId: t.query_id,
      respCode: t.status === 'SUCCESS' ? '00' : '60',
      respMsg: t.status === 'SUCCESS' ? 'success' : 'transaction failed',
      settleAmt: String(t.txn_amt),
      settleCurrencyCode: '156',
      settleDate: day,
      traceNo: t.query_id.slice(-6),
      traceTime: `${day}000000`,
      signPubKeyCert: signer.certPem,
    };
    if (t.orig_qry_id) f.origQryId = t.orig_qry_id;
    f.signature = signFields(f, signer.privatePem);
    if (corrupt === 'bad_sign') f.txnAmt = String(Number(f.txnAmt) + 1); // tampered after signing
    const headers = { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' };
    return { url: t.back_url, body: new URLSearchParams(f).toString(), headers, payload: f };
  }

  private async txn(queryId: string): Promise<UpTxnRow | undefined> {
    return (await this.ds.query('SELECT * FROM sandbox_unionpay_txn WHERE query_id = ?', [queryId]))[0];
  }
}

function cstMmdd(d: Date): string {
  return new Date(new Date(d).getTime() + 8 * 3_600_000).toISOString().slice(5, 10).replace('-', '');
}
