import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { Queue } from 'bull';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { QUEUES } from '../../common/queue/queue.constants';
import { sandboxConfig } from '../../config/configuration';
import { signFields } from './unionpay-sandbox-crypto';
import { UnionpaySandboxKeysService } from './unionpay-sandbox-keys.service';
import { UpNotifyJob, UpNotifyMode, UpSandboxJob, UpTxnRow } from './unionpay-sandbox.types';

const SEND_TIMEOUT_MS = 10_000; // UnionPay waits 10 s for the HTTP 200
const CORRUPTING: UpNotifyMode[] = ['bad_sign', 'amount_mismatch', 'wrong_merchant', 'expired_cert'];

/**
 * Builds, signs and delivers the UnionPay sandbox's back notifies (backUrl) from its own queue, one job
 * per delivery with a deterministic id (`up:<notifyId>:<seq>`). Anything but HTTP 200 is re-sent after
 * the configured gaps (SANDBOX_UNIONPAY_NOTIFY_GAPS_MS, scaled by SANDBOX_TIME_SCALE): at most 5 sends
 * in all. An attempt row is written before each send (UNIQUE(notify_id, seq, copy)).
 */
@Injectable()
export class UnionpaySandboxNotifyService {
  private readonly logger = new Logger(UnionpaySandboxNotifyService.name);

  constructor(
    private readonly ds: DataSource,
    private readonly keys: UnionpaySandboxKeysService,
    @InjectQueue(QUEUES.SANDBOX_UNIONPAY_NOTIFY) private readonly queue: Queue<UpSandboxJob>,
    @Inject(sandboxConfig.KEY) private readonly cfg: ConfigType<typeof sandboxConfig>,
  ) {}

  async enqueue(queryId: string, mode: UpNotifyMode, times?: number, delayMs?: number): Promise<string> {
    const notifyId = randomUUID();
    const job: UpNotifyJob = {
      kind: 'notify',
      queryId,
      notifyId,
      mode,
      seq: 1,
      copies: mode === 'duplicate' ? Math.max(2, times ?? 2) : 1,
      corruptLeft: CORRUPTING.includes(mode) ? Math.max(1, times ?? 1) : 0,
    };
    if (mode === 'drop') {
      const t = await this.txn(queryId);
      await this.ds.query(
        "INSERT IGNORE INTO sandbox_unionpay_notify_attempt (order_id, notify_id, mode, seq, outcome, finished_at) VALUES (?, ?, ?, 1, 'DROPPED', NOW(3))",
        [t?.order_id ?? '', notifyId, mode],
      );
      return notifyId;
    }
    await this.add(job, mode === 'delay' ? (delayMs ?? 1000) : 0);
    return notifyId;
  }

  async scheduleSettle(queryId: string): Promise<void> {
    await this.queue.add(
      { kind: 'settle', queryId },
      {
        jobId: `up-settle:${queryId}`,
        delay: Math.max(1, Math.round(1000 * this.cfg.timeScale)),
        attempts: 5,
      },
    );
  }

  async deliver(job: UpNotifyJob): Promise<void> {
    const t = await this.txn(job.queryId);
    if (!t) return;
    const body = await this.build(t, job.corruptLeft > 0 ? job.mode : null);
    const ok = await Promise.all(
      Array.from({ length: job.copies }, (_, i) => this.sendOnce(t, body, job, i + 1)),
    );
    if (job.mode === 'out_of_order' && job.seq === 1 && !job.stale) {
      await this.add({ ...job, notifyId: randomUUID(), mode: 'normal', stale: true }, 0);
    }
    if (ok.includes(true)) return;
    const gap = this.cfg.unionpayNotifyGapsMs[job.seq - 1];
    if (gap === undefined) return; // 5 sends: UnionPay gives up
    await this.add(
      { ...job, seq: job.seq + 1, copies: 1, corruptLeft: Math.max(0, job.corruptLeft - 1) },
      Math.max(1, Math.round(gap * this.cfg.timeScale)),
    );
  }

  private async build(t: UpTxnRow, corrupt: UpNotifyMode | null): Promise<string> {
    const k = await this.keys.get();
    const signer = corrupt === 'expired_cert' ? k.expired : k.gateway;
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
      settleDate: cstMmdd(t.done_at ?? new Date()),
      traceNo: t.query_id.slice(-6),
      traceTime: cstMmdd(t.done_at ?? new Date()) + '000000',
      signPubKeyCert: signer.certPem,
    };
    if (t.orig_qry_id) f.origQryId = t.orig_qry_id;
    f.signature = signFields(f, signer.privatePem);
    if (corrupt === 'bad_sign') f.txnAmt = String(Number(f.txnAmt) + 1); // tampered after signing
    return new URLSearchParams(f).toString();
  }

  private async sendOnce(t: UpTxnRow, body: string, job: UpNotifyJob, copy: number): Promise<boolean> {
    const ins = await this.ds.query(
      'INSERT IGNORE INTO sandbox_unionpay_notify_attempt (order_id, notify_id, mode, seq, copy) VALUES (?, ?, ?, ?, ?)',
      [t.order_id, job.notifyId, job.stale ? 'out_of_order' : job.mode, job.seq, copy],
    );
    if (ins.affectedRows !== 1) return false; // this attempt ran before (a job re-run after a crash)
    let status: number | null = null;
    let error: string | null = null;
    try {
      const res = await fetch(t.back_url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' },
        body,
        signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
      });
      status = res.status;
      await res.text();
    } catch (err) {
      error = (err as Error).message.slice(0, 250);
    }
    await this.ds.query(
      'UPDATE sandbox_unionpay_notify_attempt SET outcome = ?, http_status = ?, error = ?, finished_at = NOW(3) WHERE notify_id = ? AND seq = ? AND copy = ?',
      [status === 200 ? 'ACKED' : 'FAILED', status, error, job.notifyId, job.seq, copy],
    );
    if (status !== 200)
      this.logger.debug(`notify ${job.notifyId}#${job.seq} to ${t.order_id}: ${status ?? error}`);
    return status === 200;
  }

  private add(job: UpNotifyJob, delay: number) {
    return this.queue.add(job, { jobId: `up:${job.notifyId}:${job.seq}`, delay, attempts: 3 });
  }

  private async txn(queryId: string): Promise<UpTxnRow | undefined> {
    return (await this.ds.query('SELECT * FROM sandbox_unionpay_txn WHERE query_id = ?', [queryId]))[0];
  }
}

function cstMmdd(d: Date): string {
  return new Date(new Date(d).getTime() + 8 * 3_600_000).toISOString().slice(5, 10).replace('-', '');
}
