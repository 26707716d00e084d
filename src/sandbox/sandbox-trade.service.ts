import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { createHash, randomInt, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { sandboxConfig } from '../config/configuration';
import { SimTrades, SimTradeTable } from './core/sim-trades';
import { DomainError, ErrorCode } from '../common/errors';
import { fenToYuan, tryYuanToFen } from './sandbox-money';
import { SandboxNotifyService } from './sandbox-notify.service';
import { billWindow } from './core/sim-bills';
import { fromCst, toCst } from './sandbox-time';
import {
  bizError,
  Fault,
  GatewayAnswer,
  NotifyMode,
  ok,
  RefundFault,
  RefundNotifyMode,
  SandboxTradeRow,
} from './sandbox-trade.types';

type FaultKind = 'query' | 'close' | 'refund' | 'refund_query';

export interface PayOptions {
  notify?: { mode: NotifyMode; times?: number; delayMs?: number };
  allowAfterClose?: boolean;
}

const randomDigits = (n: number) => Array.from({ length: n }, () => randomInt(10)).join('');

/**
 * The simulated Alipay trades: precreate / query / close as the OpenAPI defines them, plus the buyer's
 * side (scan, pay) and fault injection. Every transition is a conditional UPDATE, so concurrent calls
 * from several instances agree.
 */
@Injectable()
export class SandboxTradeService {
  /** The trade core (core/sim-trades.ts) over this face's table. */
  readonly core: SimTrades<SandboxTradeRow>;

  constructor(
    ds: DataSource,
    private readonly notify: SandboxNotifyService,
    @Inject(sandboxConfig.KEY) private readonly cfg: ConfigType<typeof sandboxConfig>,
  ) {
    this.core = new SimTrades(ds, ALIPAY_TRADES);
  }

  find(outTradeNo: string): Promise<SandboxTradeRow | null> {
    return this.core.one('out_trade_no = ?', [outTradeNo]);
  }

  async get(outTradeNo: string): Promise<SandboxTradeRow> {
    const t = await this.find(outTradeNo);
    if (!t) throw new DomainError(ErrorCode.NOT_FOUND, `No sandbox trade ${outTradeNo}`);
    return t;
  }

  /** alipay.trade.precreate: same out_trade_no + same parameters → the same trade; others refused. */
  async precreate(
    appId: string,
    biz: Record<string, unknown>,
    notifyUrl: string | null,
  ): Promise<GatewayAnswer> {
    const outTradeNo = biz.out_trade_no;
    const subject = biz.subject;
    const amount = tryYuanToFen(biz.total_amount);
    if (typeof outTradeNo !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(outTradeNo)) {
      return bizError('ACQ.INVALID_PARAMETER', 'out_trade_no is missing or malformed');
    }
    if (amount === null || amount < 1 || amount > 10_000_000_000) {
      return bizError('ACQ.INVALID_PARAMETER', 'total_amount must be yuan with at most two decimals, ≥ 0.01');
    }
    if (typeof subject !== 'string' || subject.length < 1 || subject.length > 256) {
      return bizError('ACQ.INVALID_PARAMETER', 'subject is missing or too long');
    }
    const timeExpire = typeof biz.time_expire === 'string' ? biz.time_expire : null;
    if (timeExpire !== null && !fromCst(timeExpire)) {
      return bizError('ACQ.INVALID_PARAMETER', 'time_expire must be yyyy-MM-dd HH:mm:ss');
    }
    const hash = createHash('sha256')
      .update(JSON.stringify([appId, amount, subject, timeExpire, biz.timeout_express ?? null, notifyUrl]))
      .digest('hex');
    const tradeNo = `${toCst(new Date()).slice(0, 10).replace(/-/g, '')}22${randomDigits(18)}`;
    const qr = `https://qr.alipay.com/sbx${randomUUID().replace(/-/g, '').slice(0, 20)}`;
    const { trade: t, state } = await this.core.create(
      {
        out_trade_no: outTradeNo,
        ...{ trade_no: tradeNo, app_id: appId, total_amount: amount, subject, time_expire: timeExpire },
        ...{ notify_url: notifyUrl, params_hash: hash, qr_code: qr },
      },
      () => this.find(outTradeNo),
      (r) => r.params_hash === hash,
    );
    if (state === 'conflict') {
      return bizError('ACQ.CONTEXT_INCONSISTENT', 'out_trade_no was used with other parameters');
    }
    if (state === 'paid') return bizError('ACQ.TRADE_HAS_SUCCESS', 'trade already paid');
    if (state === 'closed') return bizError('ACQ.TRADE_HAS_CLOSE', 'trade closed');
    return ok({ out_trade_no: t.out_trade_no, qr_code: t.qr_code });
  }

  /** alipay.trade.query: a precreated trade does not exist for the gateway until the buyer scans it. */
  async query(biz: Record<string, unknown>): Promise<GatewayAnswer | Fault> {
    const t = await this.findByBiz(biz);
    if (!t) return bizError('ACQ.TRADE_NOT_EXIST', 'trade does not exist');
    const fault = await this.consumeFault(t, 'query');
    if (fault) return fault;
    if (!t.scanned) return bizError('ACQ.TRADE_NOT_EXIST', 'trade does not exist');
    return ok({
      trade_no: t.trade_no,
      out_trade_no: t.out_trade_no,
      buyer_logon_id: 'sbx***@sandbox.com',
      trade_status: t.status,
      total_amount: fenToYuan(t.total_amount),
      ...(t.status === 'TRADE_SUCCESS'
        ? {
            buyer_pay_amount: fenToYuan(t.total_amount),
            receipt_amount: fenToYuan(t.total_amount),
            send_pay_date: toCst(t.gmt_payment!),
            buyer_user_id: t.buyer_id,
          }
        : {}),
    });
  }

  /**
   * alipay.trade.close: only WAIT_BUYER_PAY closes; a paid trade answers ACQ.TRADE_STATUS_ERROR; a trade
   * nobody scanned answers ACQ.TRADE_NOT_EXIST (it is closed locally all the same, so a late pay of its QR
   * code is refused unless the test asks for pay-after-close). A scanned trade's close sends TRADE_CLOSED.
   */
  async close(biz: Record<string, unknown>): Promise<GatewayAnswer | Fault> {
    const t = await this.findByBiz(biz);
    if (!t) return bizError('ACQ.TRADE_NOT_EXIST', 'trade does not exist');
    const fault = await this.consumeFault(t, 'close');
    if (fault) return fault;
    if (t.status === 'TRADE_SUCCESS') return bizError('ACQ.TRADE_STATUS_ERROR', 'trade is paid');
    if (t.status === 'WAIT_BUYER_PAY') {
      const notifyId = t.scanned ? randomUUID().replace(/-/g, '') : null;
      // lost a race with pay/close: answer the new state
      if (!(await this.core.close(t, { close_notify_id: notifyId }))) return this.close(biz);
      if (notifyId) await this.notify.enqueueClose(t.out_trade_no, notifyId);
    }
    if (!t.scanned) return bizError('ACQ.TRADE_NOT_EXIST', 'trade does not exist');
    return ok({ trade_no: t.trade_no, out_trade_no: t.out_trade_no });
  }

  /** The buyer scans the QR code: the trade now exists (WAIT_BUYER_PAY) for query and close. */
  async scan(outTradeNo: string): Promise<SandboxTradeRow> {
    const t = await this.get(outTradeNo);
    if (!t.scanned) await this.core.update(t, payerSet());
    return this.get(outTradeNo);
  }

  /** The buyer pays. A closed trade is payable only with allowAfterClose (simulates pay-after-close). */
  async pay(outTradeNo: string, opts: PayOptions): Promise<SandboxTradeRow> {
    const t = await this.get(outTradeNo);
    const notifyId = randomUUID().replace(/-/g, '');
    if (!(await this.core.pay(t, payerSet(notifyId), opts.allowAfterClose))) {
      const now = await this.get(outTradeNo);
      throw new DomainError(
        ErrorCode.CONFLICT,
        now.status === 'TRADE_CLOSED'
          ? 'Trade is closed; pass allowAfterClose: true to simulate a payment that lands after the close'
          : `Trade is ${now.status}`,
        { status: now.status },
      );
    }
    const mode = opts.notify?.mode ?? 'normal';
    await this.notify.enqueueSuccess(outTradeNo, notifyId, mode, opts.notify?.times, opts.notify?.delayMs);
    return this.get(outTradeNo);
  }

  /**
   * A paid trade the merchant never created (no precreate, no notify): what a bill line the merchant
   * has no payment for looks like, for reconciliation tests. 409 if the out_trade_no exists.
   */
  async injectPaid(
    appId: string,
    outTradeNo: string,
    amount: number,
    subject: string,
  ): Promise<SandboxTradeRow> {
    const tradeNo = `${toCst(new Date()).slice(0, 10).replace(/-/g, '')}22${randomDigits(18)}`;
    const created = await this.core.create(
      {
        ...{ out_trade_no: outTradeNo, trade_no: tradeNo, app_id: appId, total_amount: amount, subject },
        ...{ params_hash: '-'.repeat(64), qr_code: '', status: 'TRADE_SUCCESS', scanned: 1 },
        buyer_id: `2088${randomDigits(12)}`,
      },
      () => this.find(outTradeNo),
      (r) => r.trade_no === tradeNo,
      ['gmt_payment'],
    );
    if (created.state === 'conflict') {
      throw new DomainError(ErrorCode.CONFLICT, `Sandbox trade ${outTradeNo} already exists`);
    }
    return this.get(outTradeNo);
  }

  async setFaults(
    outTradeNo: string,
    faults: {
      query?: Fault;
      close?: Fault;
      refund?: RefundFault;
      refundQuery?: Fault;
      times?: number;
      refundNotify?: { mode: RefundNotifyMode; times?: number; delayMs?: number };
    },
  ): Promise<SandboxTradeRow> {
    const t = await this.get(outTradeNo);
    const { query, close, refund, refundQuery } = faults;
    await this.core.faults.arm(t.id, { query, close, refund, refund_query: refundQuery }, faults.times);
    const n = faults.refundNotify;
    if (n) {
      await this.core.update(t, {
        refund_notify_mode: n.mode === 'normal' ? null : n.mode,
        refund_notify_times: n.times ?? null,
        refund_notify_delay_ms: n.delayMs ?? null,
      });
    }
    return this.get(outTradeNo);
  }

  /** Trades paid on a CST calendar day (the bill). */
  async paidOn(date: string): Promise<SandboxTradeRow[]> {
    const day = billWindow(date);
    if (!day) return [];
    // every trade paid that day, refunded since or not: the bill's payment lines
    return this.core.many('gmt_payment >= ? AND gmt_payment < ? ORDER BY gmt_payment, id', day);
  }

  private findByBiz(biz: Record<string, unknown>): Promise<SandboxTradeRow | null> {
    if (typeof biz.out_trade_no === 'string') return this.find(biz.out_trade_no);
    return Promise.resolve(null);
  }

  /** Takes one armed fault of the trade (core/sim-faults.ts). */
  consumeFault<K extends FaultKind>(t: SandboxTradeRow, kind: K) {
    return this.core.faults.take<K extends 'refund' ? RefundFault : Fault>(t, kind);
  }

  /** Base URL the sandbox gives out (bill downloads). */
  get baseUrl(): string {
    return this.cfg.baseUrl;
  }
}

/** The buyer's side of a scan or a payment: the first buyer id stays (concurrent scans agree). */
const payerSet = (successNotifyId?: string) => ({
  sql: `scanned = 1, buyer_id = COALESCE(buyer_id, ?)${successNotifyId ? ', success_notify_id = ?' : ''}`,
  params: [`2088${randomDigits(12)}`, ...(successNotifyId ? [successNotifyId] : [])],
});

/** How sandbox_trade spells the core's trade. */
export const ALIPAY_TRADES: SimTradeTable = {
  table: 'sandbox_trade',
  status: 'status',
  open: 'WAIT_BUYER_PAY',
  paid: 'TRADE_SUCCESS',
  closed: 'TRADE_CLOSED',
  paidAt: 'gmt_payment',
  closedAt: 'gmt_close',
  numeric: ['total_amount', 'refund_fee'],
  versioned: true,
};
