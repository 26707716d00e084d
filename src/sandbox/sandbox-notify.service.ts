import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { Queue } from 'bull';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { sandboxConfig } from '../config/configuration';
import { QUEUES } from '../common/queue/queue.constants';
import { SimNotifier, SimNotifyJob, SimProtocol, SimWire } from './core/sim-notifier';
import { fenToYuan } from './sandbox-money';
import { rsaSign, signContent } from './sandbox-crypto';
import { SandboxKeyService } from './sandbox-key.service';
import { toCst } from './sandbox-time';
import { NotifyMode, RefundNotifyMode, SandboxRefundRow, SandboxTradeRow } from './sandbox-trade.types';

/** Alipay's re-send schedule after a notify that was not answered exactly `success` (ms). */
export const NOTIFY_RETRY_SCHEDULE_MS = [4, 10, 10, 60, 120, 360, 900].map((m) => m * 60_000);

/** wrong_merchant: another merchant's app and seller (a notify of theirs, signed by the gateway). */
const OTHER_MERCHANT = { app_id: '2021999999999999', seller_id: '2088999999999999' };

const newNotifyId = () => randomUUID().replace(/-/g, '');

/**
 * The Alipay face of the notify core: the `trade_status_sync` form (payment, close and refund notifies),
 * signed with the gateway key; acknowledged only by HTTP 200 with the body exactly `success`, re-sent on
 * Alipay's schedule. Delivery, modes and the attempt log are the core's (core/sim-notifier.ts).
 */
@Injectable()
export class SandboxNotifyService implements SimProtocol {
  readonly channel = 'alipay' as const;
  readonly jobPrefix = 'notify';
  readonly sendTimeoutMs = 5000;
  readonly corrupting = ['bad_sign', 'amount_mismatch', 'wrong_merchant'];
  readonly newNotifyId = newNotifyId;
  readonly core: SimNotifier;

  constructor(
    private readonly ds: DataSource,
    private readonly keys: SandboxKeyService,
    @InjectQueue(QUEUES.SANDBOX_NOTIFY) queue: Queue<SimNotifyJob>,
    @Inject(sandboxConfig.KEY) private readonly cfg: ConfigType<typeof sandboxConfig>,
  ) {
    this.core = new SimNotifier(ds, queue, this, cfg.timeScale);
  }

  retryGapsMs = () => NOTIFY_RETRY_SCHEDULE_MS;
  acked = (status: number, body: string) => status === 200 && body === 'success';

  async enqueueSuccess(
    outTradeNo: string,
    notifyId: string,
    mode: NotifyMode,
    times?: number,
    delayMs?: number,
  ) {
    await this.core.enqueue({ trade: outTradeNo, notifyId, event: 'TRADE_SUCCESS' }, mode, times, delayMs);
  }

  async enqueueClose(outTradeNo: string, notifyId: string): Promise<void> {
    await this.core.enqueue({ trade: outTradeNo, notifyId, event: 'TRADE_CLOSED' }, 'normal');
  }

  /**
   * The notify of a refund that moved money: TRADE_CLOSED after a full refund. `early` is delivered
   * before this returns (so before the refund call answers).
   */
  async enqueueRefund(
    outTradeNo: string,
    refund: SandboxRefundRow,
    full: boolean,
    mode: RefundNotifyMode,
    times?: number,
    delayMs?: number,
  ): Promise<void> {
    const event = full ? 'TRADE_CLOSED' : 'TRADE_SUCCESS';
    const base = { trade: outTradeNo, notifyId: refund.notify_id!, event, ref: refund.out_request_no };
    await this.core.enqueue(base, mode, times, delayMs);
  }

  attemptsOf(outTradeNo: string) {
    return this.core.attemptsOf(outTradeNo);
  }

  async build(job: SimNotifyJob, corrupt: string | null): Promise<SimWire | null> {
    const rows: SandboxTradeRow[] = await this.ds.query(
      'SELECT * FROM sandbox_trade WHERE out_trade_no = ?',
      [job.trade],
    );
    let refund: SandboxRefundRow | null = null;
    if (job.ref) {
      const rs: SandboxRefundRow[] = await this.ds.query(
        'SELECT * FROM sandbox_refund WHERE out_trade_no = ? AND out_request_no = ?',
        [job.trade, job.ref],
      );
      if (!rs[0]) return null;
      refund = rs[0];
    }
    const url = refund?.notify_url ?? rows[0]?.notify_url;
    if (!rows[0] || !url) return null;
    const t = { ...rows[0], total_amount: Number(rows[0].total_amount) };
    const params = refund ? this.refundFields(t, refund, job) : this.fields(t, job, corrupt);
    if (corrupt === 'wrong_merchant') Object.assign(params, OTHER_MERCHANT); // validly signed below
    const content = signContent(params, true);
    params.sign = rsaSign(
      corrupt === 'bad_sign' ? `${content}&tampered=1` : content,
      await this.keys.gatewayPrivateKey(),
    );
    return {
      url,
      body: new URLSearchParams(params).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      payload: params,
    };
  }

  /**
   * out_of_order: after a payment, a stale TRADE_CLOSED; after a refund, the trade as it was before it
   * (the previous refund's notify, or the plain payment notify before the first refund).
   */
  async stale(job: SimNotifyJob) {
    if (!job.ref) return job.event === 'TRADE_SUCCESS' ? { event: 'TRADE_CLOSED' } : null;
    const prev: Array<{ out_request_no: string }> = await this.ds.query(
      `SELECT out_request_no FROM sandbox_refund WHERE out_trade_no = ? AND status = 'SUCCESS'
         AND refund_fee_after < (SELECT refund_fee_after FROM sandbox_refund WHERE out_trade_no = ? AND out_request_no = ?)
       ORDER BY refund_fee_after DESC LIMIT 1`,
      [job.trade, job.trade, job.ref],
    );
    return { event: 'TRADE_SUCCESS', ref: prev[0]?.out_request_no };
  }

  /** The payment / close form: empty fields omitted, amounts in yuan. */
  private fields(t: SandboxTradeRow, job: SimNotifyJob, corrupt: string | null): Record<string, string> {
    const yuan = fenToYuan(corrupt === 'amount_mismatch' ? t.total_amount + 1 : t.total_amount);
    const paid = job.event === 'TRADE_SUCCESS';
    const gmtClose = job.stale ? new Date(t.gmt_payment!.getTime() - 1000) : t.gmt_close;
    return this.form(t, job, {
      total_amount: yuan,
      receipt_amount: paid ? yuan : undefined,
      buyer_pay_amount: paid ? yuan : undefined,
      gmt_payment: paid && t.gmt_payment ? toCst(t.gmt_payment) : undefined,
      gmt_close: !paid && gmtClose ? toCst(gmtClose) : undefined,
      fund_bill_list: paid ? JSON.stringify([{ amount: yuan, fundChannel: 'ALIPAYACCOUNT' }]) : undefined,
    });
  }

  /** A refund notify: the trade as it was once this refund succeeded (a full refund closed it). */
  private refundFields(
    t: SandboxTradeRow,
    refund: SandboxRefundRow,
    job: SimNotifyJob,
  ): Record<string, string> {
    const yuan = fenToYuan(t.total_amount);
    const at = refund.gmt_refund;
    return this.form(t, job, {
      out_biz_no: refund.out_request_no,
      total_amount: yuan,
      receipt_amount: yuan,
      buyer_pay_amount: yuan,
      refund_fee: fenToYuan(Number(refund.refund_fee_after)),
      gmt_payment: t.gmt_payment ? toCst(t.gmt_payment) : undefined,
      // Alipay writes gmt_refund with milliseconds ('yyyy-MM-dd HH:mm:ss.SSS')
      gmt_refund: at ? `${toCst(at)}.${String(at.getUTCMilliseconds()).padStart(3, '0')}` : undefined,
      gmt_close: job.event === 'TRADE_CLOSED' && at ? toCst(at) : undefined,
    });
  }

  private form(t: SandboxTradeRow, job: SimNotifyJob, own: Record<string, string | undefined>) {
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
      seller_id: this.cfg.alipay.sellerId,
      trade_status: job.event,
      subject: t.subject,
      gmt_create: toCst(t.gmt_create),
      ...own,
    };
    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(all)) if (v !== undefined && v !== null && v !== '') params[k] = v;
    return params;
  }
}
