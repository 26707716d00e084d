import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { createHash, randomInt, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { sandboxConfig } from '../config/configuration';
import { SimFaults } from './core/sim-faults';
import { DomainError, ErrorCode } from '../common/errors';
import { fenToYuan, tryYuanToFen } from './sandbox-money';
import { SandboxNotifyService } from './sandbox-notify.service';
import { cstDay, fromCst, toCst } from './sandbox-time';
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
  private readonly faults: SimFaults<FaultKind>;

  constructor(
    private readonly ds: DataSource,
    private readonly notify: SandboxNotifyService,
    @Inject(sandboxConfig.KEY) private readonly cfg: ConfigType<typeof sandboxConfig>,
  ) {
    this.faults = new SimFaults(ds, 'sandbox_trade');
  }

  async find(outTradeNo: string): Promise<SandboxTradeRow | null> {
    const rows: SandboxTradeRow[] = await this.ds.query(
      'SELECT * FROM sandbox_trade WHERE out_trade_no = ?',
      [outTradeNo],
    );
    return rows[0] ? numeric(rows[0]) : null;
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
    await this.ds.query(
      `INSERT IGNORE INTO sandbox_trade
        (out_trade_no, trade_no, app_id, total_amount, subject, time_expire, notify_url, params_hash, qr_code)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [outTradeNo, tradeNo, appId, amount, subject, timeExpire, notifyUrl, hash, qr],
    );
    const t = (await this.find(outTradeNo))!;
    if (t.params_hash !== hash) {
      return bizError('ACQ.CONTEXT_INCONSISTENT', 'out_trade_no was used with other parameters');
    }
    if (t.status === 'TRADE_SUCCESS') return bizError('ACQ.TRADE_HAS_SUCCESS', 'trade already paid');
    if (t.status === 'TRADE_CLOSED') return bizError('ACQ.TRADE_HAS_CLOSE', 'trade closed');
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
      const res = await this.ds.query(
        `UPDATE sandbox_trade SET status = 'TRADE_CLOSED', gmt_close = CURRENT_TIMESTAMP(3),
           close_notify_id = ?, version = version + 1
         WHERE id = ? AND status = 'WAIT_BUYER_PAY'`,
        [notifyId, t.id],
      );
      if (res.affectedRows !== 1) return this.close(biz); // lost a race with pay/close: answer the new state
      if (notifyId) await this.notify.enqueueClose(t.out_trade_no, notifyId);
    }
    if (!t.scanned) return bizError('ACQ.TRADE_NOT_EXIST', 'trade does not exist');
    return ok({ trade_no: t.trade_no, out_trade_no: t.out_trade_no });
  }

  /** The buyer scans the QR code: the trade now exists (WAIT_BUYER_PAY) for query and close. */
  async scan(outTradeNo: string): Promise<SandboxTradeRow> {
    const t = await this.get(outTradeNo);
    await this.ds.query(
      `UPDATE sandbox_trade SET scanned = 1, buyer_id = COALESCE(buyer_id, ?) WHERE id = ? AND scanned = 0`,
      [`2088${randomDigits(12)}`, t.id],
    );
    return this.get(outTradeNo);
  }

  /** The buyer pays. A closed trade is payable only with allowAfterClose (simulates pay-after-close). */
  async pay(outTradeNo: string, opts: PayOptions): Promise<SandboxTradeRow> {
    const t = await this.get(outTradeNo);
    const from = opts.allowAfterClose ? ['WAIT_BUYER_PAY', 'TRADE_CLOSED'] : ['WAIT_BUYER_PAY'];
    const notifyId = randomUUID().replace(/-/g, '');
    // paid_after_close is assigned first: MySQL evaluates SET left to right with the new values
    const res = await this.ds.query(
      `UPDATE sandbox_trade SET paid_after_close = (status = 'TRADE_CLOSED'), status = 'TRADE_SUCCESS',
         scanned = 1, buyer_id = COALESCE(buyer_id, ?), gmt_payment = CURRENT_TIMESTAMP(3),
         success_notify_id = ?, version = version + 1
       WHERE id = ? AND status IN (?)`,
      [`2088${randomDigits(12)}`, notifyId, t.id, from],
    );
    if (res.affectedRows !== 1) {
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
    const res = await this.ds.query(
      `INSERT IGNORE INTO sandbox_trade
        (out_trade_no, trade_no, app_id, total_amount, subject, params_hash, qr_code, status, scanned, buyer_id,
         gmt_payment)
       VALUES (?, ?, ?, ?, ?, ?, '', 'TRADE_SUCCESS', 1, ?, CURRENT_TIMESTAMP(3))`,
      [outTradeNo, tradeNo, appId, amount, subject, '-'.repeat(64), `2088${randomDigits(12)}`],
    );
    if (res.affectedRows !== 1) {
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
    await this.faults.arm(t.id, { query, close, refund, refund_query: refundQuery }, faults.times);
    const n = faults.refundNotify;
    if (n) {
      await this.ds.query(
        `UPDATE sandbox_trade SET refund_notify_mode = ?, refund_notify_times = ?, refund_notify_delay_ms = ?
         WHERE id = ?`,
        [n.mode === 'normal' ? null : n.mode, n.times ?? null, n.delayMs ?? null, t.id],
      );
    }
    return this.get(outTradeNo);
  }

  /** Trades paid on a CST calendar day (the bill). */
  async paidOn(date: string): Promise<SandboxTradeRow[]> {
    const day = cstDay(date);
    if (!day) return [];
    // every trade paid that day, refunded since or not: the bill's payment lines
    const rows: SandboxTradeRow[] = await this.ds.query(
      `SELECT * FROM sandbox_trade WHERE gmt_payment >= ? AND gmt_payment < ? ORDER BY gmt_payment, id`,
      day,
    );
    return rows.map(numeric);
  }

  private findByBiz(biz: Record<string, unknown>): Promise<SandboxTradeRow | null> {
    if (typeof biz.out_trade_no === 'string') return this.find(biz.out_trade_no);
    return Promise.resolve(null);
  }

  /** Takes one armed fault of the trade (core/sim-faults.ts). */
  consumeFault<K extends FaultKind>(t: SandboxTradeRow, kind: K) {
    return this.faults.take<K extends 'refund' ? RefundFault : Fault>(t, kind);
  }

  /** Base URL the sandbox gives out (bill downloads). */
  get baseUrl(): string {
    return this.cfg.baseUrl;
  }
}

/** BIGINT columns come back as strings from the driver. */
export function numeric(r: SandboxTradeRow): SandboxTradeRow {
  return { ...r, total_amount: Number(r.total_amount), refund_fee: Number(r.refund_fee ?? 0) };
}
