import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { DataSource } from 'typeorm';
import { sandboxConfig } from '../../config/configuration';
import { decideRefund, settleOverdue, SimRefunds } from '../core/sim-refunds';
import { SimTrades, SimTradeTable } from '../core/sim-trades';
import { TransactionService } from '../../common/database/transaction.service';
import { DomainError, ErrorCode } from '../../common/errors';
import { toCst } from '../sandbox-time';
import { WechatSandboxNotifyService } from './wechat-sandbox-notify.service';
import { refundView, transactionView } from './wechat-sandbox.views';
import {
  WxAnswer,
  wxError,
  WxFault,
  WxNotifyMode,
  wxOk,
  WxRefundOutcome,
  WxRefundRow,
  WxTransactionRow,
} from './wechat-sandbox.types';

export interface WxPayOptions {
  notify?: { mode: WxNotifyMode; times?: number; delayMs?: number };
  allowAfterClose?: boolean;
}

const digits = (n: number) => Array.from({ length: n }, () => randomInt(10)).join('');
const OUT_TRADE_NO = /^[A-Za-z0-9_\-|*]{6,32}$/;
const OUT_REFUND_NO = /^[A-Za-z0-9_\-|*@]{1,64}$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)$/;

/** A PROCESSING refund older than this many settle delays is settled by the next refund query. */
const OVERDUE_SETTLES = 5;

/**
 * The simulated WeChat Pay v3 merchant: Native transactions, close, refunds, the buyer's side (pay) and
 * fault switches (the trade bill is WechatSandboxBillService's). Every transition is a conditional UPDATE (or runs under a row lock for
 * refunds), so concurrent calls from several instances agree.
 */
@Injectable()
export class WechatSandboxService {
  /** The trade and refund cores (core/) over this face's tables. */
  private readonly core: SimTrades<WxTransactionRow>;
  private readonly refunds: SimRefunds<WxTransactionRow>;

  constructor(
    private readonly ds: DataSource,
    private readonly notify: WechatSandboxNotifyService,
    @Inject(sandboxConfig.KEY) private readonly cfg: ConfigType<typeof sandboxConfig>,
    tx: TransactionService,
  ) {
    this.core = new SimTrades(ds, WECHAT_TRADES);
    this.refunds = new SimRefunds(this.core, tx);
  }

  find(outTradeNo: string): Promise<WxTransactionRow | null> {
    return this.core.one('out_trade_no = ?', [outTradeNo]);
  }

  async get(outTradeNo: string): Promise<WxTransactionRow> {
    const t = await this.find(outTradeNo);
    if (!t) throw new DomainError(ErrorCode.NOT_FOUND, `No WeChat sandbox transaction ${outTradeNo}`);
    return t;
  }

  async findRefund(outRefundNo: string): Promise<WxRefundRow | null> {
    const rows: WxRefundRow[] = await this.ds.query(
      'SELECT * FROM sandbox_wechat_refund WHERE out_refund_no = ?',
      [outRefundNo],
    );
    return rows[0] ? { ...rows[0], refund: Number(rows[0].refund), total: Number(rows[0].total) } : null;
  }

  async refundsOf(outTradeNo: string): Promise<WxRefundRow[]> {
    const rows: WxRefundRow[] = await this.ds.query(
      'SELECT * FROM sandbox_wechat_refund WHERE out_trade_no = ? ORDER BY id',
      [outTradeNo],
    );
    return rows.map((r) => ({ ...r, refund: Number(r.refund), total: Number(r.total) }));
  }

  /** POST /v3/pay/transactions/native. Same out_trade_no + same parameters → the same code_url. */
  async native(mchid: string, body: Record<string, unknown>): Promise<WxAnswer> {
    const amount = body.amount as Record<string, unknown> | undefined;
    const total = amount?.total;
    if (body.mchid !== mchid) return wxError(400, 'PARAM_ERROR', 'mchid does not match the request signer');
    if (body.appid !== this.cfg.wechat.appid)
      return wxError(400, 'APPID_MCHID_NOT_MATCH', 'appid is not bound to mchid');
    if (typeof body.out_trade_no !== 'string' || !OUT_TRADE_NO.test(body.out_trade_no)) {
      return wxError(400, 'PARAM_ERROR', 'out_trade_no must be 6–32 of [A-Za-z0-9_-|*]');
    }
    if (
      typeof body.description !== 'string' ||
      body.description.length < 1 ||
      body.description.length > 127
    ) {
      return wxError(400, 'PARAM_ERROR', 'description is missing or longer than 127');
    }
    if (typeof total !== 'number' || !Number.isSafeInteger(total) || total < 1) {
      return wxError(400, 'PARAM_ERROR', 'amount.total must be an integer number of fen ≥ 1');
    }
    if (amount?.currency !== undefined && amount.currency !== 'CNY') {
      return wxError(400, 'PARAM_ERROR', 'amount.currency must be CNY');
    }
    if (typeof body.notify_url !== 'string' || !/^https?:\/\//.test(body.notify_url)) {
      return wxError(400, 'PARAM_ERROR', 'notify_url is missing');
    }
    const timeExpire = body.time_expire ?? null;
    if (timeExpire !== null && (typeof timeExpire !== 'string' || !RFC3339.test(timeExpire))) {
      return wxError(400, 'PARAM_ERROR', 'time_expire must be RFC 3339');
    }
    const hash = createHash('sha256')
      .update(JSON.stringify([body.appid, mchid, total, body.description, timeExpire, body.notify_url]))
      .digest('hex');
    const code = randomBytes(8).toString('base64url');
    const { trade: t, state } = await this.core.create(
      {
        out_trade_no: body.out_trade_no,
        transaction_id: `4200${toCst(new Date()).slice(0, 10).replace(/-/g, '')}${digits(16)}`,
        ...{ appid: body.appid, mchid, total, description: body.description, time_expire: timeExpire },
        ...{ notify_url: body.notify_url, params_hash: hash },
        code_url: `weixin://wxpay/bizpayurl/up?pr=${code}&groupid=00`,
      },
      () => this.find(body.out_trade_no as string),
      (r) => r.params_hash === hash,
    );
    if (state === 'conflict')
      return wxError(400, 'INVALID_REQUEST', 'out_trade_no was used with other parameters');
    if (state === 'paid') return wxError(400, 'ORDERPAID', 'order paid');
    if (state === 'closed') return wxError(400, 'ORDER_CLOSED', 'order closed');
    return wxOk({ code_url: t.code_url });
  }

  /** GET /v3/pay/transactions/out-trade-no/{out_trade_no}?mchid= */
  async query(mchid: string, outTradeNo: string, queryMchid: unknown): Promise<WxAnswer> {
    if (queryMchid !== mchid) return wxError(400, 'PARAM_ERROR', 'mchid query parameter missing or wrong');
    const t = await this.find(outTradeNo);
    if (!t || t.mchid !== mchid) return wxError(404, 'ORDER_NOT_EXIST', 'order does not exist');
    const fault = await this.consumeFault(t, 'query');
    if (fault) return { ...wxOk(transactionView(t)), fault };
    return wxOk(transactionView(t));
  }

  /** POST …/close: NOTPAY → CLOSED (204, also for an already closed one); paid → 400 ORDERPAID. */
  async close(mchid: string, outTradeNo: string, body: Record<string, unknown>): Promise<WxAnswer> {
    if (body.mchid !== mchid) return wxError(400, 'PARAM_ERROR', 'mchid missing or wrong');
    const t = await this.find(outTradeNo);
    if (!t || t.mchid !== mchid) return wxError(404, 'ORDER_NOT_EXIST', 'order does not exist');
    const fault = await this.consumeFault(t, 'close');
    if (fault) return { ...wxOk(null), fault };
    if (t.trade_state === 'SUCCESS' || t.trade_state === 'REFUND')
      return wxError(400, 'ORDERPAID', 'order paid');
    if (t.trade_state === 'NOTPAY' && !(await this.core.close(t))) {
      return this.close(mchid, outTradeNo, body); // lost a race with pay
    }
    return wxOk(null);
  }

  /** The buyer pays. A closed transaction is payable only with allowAfterClose (pay-after-close). */
  async pay(outTradeNo: string, opts: WxPayOptions): Promise<WxTransactionRow> {
    const t = await this.get(outTradeNo);
    const payer = { payer_openid: `oSbx${randomBytes(12).toString('base64url')}` };
    if (!(await this.core.pay(t, payer, opts.allowAfterClose))) {
      const now = await this.get(outTradeNo);
      throw new DomainError(
        ErrorCode.CONFLICT,
        now.trade_state === 'CLOSED'
          ? 'Transaction is closed; pass allowAfterClose: true to simulate a payment that lands after the close'
          : `Transaction is ${now.trade_state}`,
        { tradeState: now.trade_state },
      );
    }
    await this.notify.enqueue(
      { outTradeNo, eventType: 'TRANSACTION.SUCCESS' },
      opts.notify?.mode ?? 'normal',
      opts.notify?.times,
      opts.notify?.delayMs,
    );
    return this.get(outTradeNo);
  }

  /**
   * POST /v3/refund/domestic/refunds. Under a row lock on the transaction: the same out_refund_no with
   * the same amount is the same refund (its current state); another amount is refused; the sum of
   * live refunds never passes the total. Accepted refunds are PROCESSING and settle a moment later.
   */
  async refund(mchid: string, body: Record<string, unknown>): Promise<WxAnswer> {
    const amount = body.amount as Record<string, unknown> | undefined;
    const refund = amount?.refund;
    const total = amount?.total;
    if (typeof body.out_trade_no !== 'string' || typeof body.out_refund_no !== 'string') {
      return wxError(400, 'PARAM_ERROR', 'out_trade_no and out_refund_no are required');
    }
    if (!OUT_REFUND_NO.test(body.out_refund_no))
      return wxError(400, 'PARAM_ERROR', 'out_refund_no malformed');
    if (typeof refund !== 'number' || !Number.isSafeInteger(refund) || refund < 1) {
      return wxError(400, 'PARAM_ERROR', 'amount.refund must be an integer number of fen ≥ 1');
    }
    if (typeof total !== 'number' || !Number.isSafeInteger(total)) {
      return wxError(400, 'PARAM_ERROR', 'amount.total must be an integer number of fen');
    }
    const outTradeNo = body.out_trade_no;
    const outRefundNo = body.out_refund_no;
    const pre = await this.find(outTradeNo);
    if (!pre || pre.mchid !== mchid) return wxError(404, 'RESOURCE_NOT_EXISTS', 'order does not exist');
    const fault = await this.consumeFault(pre, 'refund');
    // system_error refuses before anything happens; timeout / bad_sign apply to the answer of a refund that was made
    if (fault === 'system_error') return wxError(500, 'SYSTEM_ERROR', 'system error');
    const notifyUrl = typeof body.notify_url === 'string' ? body.notify_url : null;
    // retried whole on a deadlock / Galera certification conflict (two refunds of one trade on two nodes)
    const outcome = await this.refunds.underLock(pre.id, async (m, t) => {
      const [row]: WxRefundRow[] = await m.query(
        'SELECT * FROM sandbox_wechat_refund WHERE out_refund_no = ?',
        [outRefundNo],
      );
      const r = row && { ...row, refund: Number(row.refund), total: Number(row.total) };
      const sum: Array<{ s: string | null }> = await m.query(
        `SELECT SUM(refund) AS s FROM sandbox_wechat_refund WHERE out_trade_no = ? AND status IN ('PROCESSING','SUCCESS')`,
        [outTradeNo],
      );
      const decision = decideRefund({
        paid: this.core.state(t) === 'paid',
        existing: r
          ? { sameParams: r.out_trade_no === outTradeNo && r.refund === refund, settled: true }
          : null,
        refunded: Number(sum[0]?.s ?? 0),
        amount: refund,
        total: t.total,
      });
      if (decision === 'discordant') {
        return wxError(400, 'INVALID_REQUEST', 'out_refund_no was used with other parameters');
      }
      if (decision === 'same') return wxOk(refundView(t, r!, 'answer'));
      if (decision === 'not_paid') return wxError(400, 'INVALID_REQUEST', 'order is not paid');
      if (total !== t.total) return wxError(400, 'PARAM_ERROR', 'amount.total does not match the order');
      if (decision === 'exceeds')
        return wxError(400, 'INVALID_REQUEST', 'refund exceeds the refundable amount');
      await m.query(
        `INSERT INTO sandbox_wechat_refund (out_refund_no, refund_id, out_trade_no, refund, total, reason, notify_url)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
        [
          outRefundNo,
          `5030${digits(25)}`,
          outTradeNo,
          refund,
          total,
          typeof body.reason === 'string' ? body.reason.slice(0, 80) : null,
          notifyUrl,
        ],
      );
      await this.core.update(t, { sql: "trade_state = 'REFUND', version = version + 1", params: [] }, m);
      const [made]: WxRefundRow[] = await m.query(
        'SELECT * FROM sandbox_wechat_refund WHERE out_refund_no = ?',
        [outRefundNo],
      );
      return { ...wxOk(refundView(t, { ...made, refund, total }, 'answer')), created: true };
    });
    if ('created' in outcome) await this.notify.scheduleSettle(outRefundNo);
    return fault ? { ...outcome, fault } : outcome;
  }

  /** Settles a PROCESSING refund to the transaction's configured outcome and notifies it. */
  async settleRefund(outRefundNo: string): Promise<void> {
    const r = await this.findRefund(outRefundNo);
    if (!r || r.status !== 'PROCESSING') return;
    const t = (await this.find(r.out_trade_no))!;
    const status = t.refund_outcome;
    const res = await this.ds.query(
      `UPDATE sandbox_wechat_refund SET status = ?, success_time = IF(? = 'SUCCESS', CURRENT_TIMESTAMP(3), NULL)
       WHERE id = ? AND status = 'PROCESSING'`,
      [status, status, r.id],
    );
    if (res.affectedRows !== 1) return;
    await this.notify.enqueue(
      { outTradeNo: r.out_trade_no, outRefundNo, eventType: `REFUND.${status}` },
      'normal',
    );
  }

  /** GET /v3/refund/domestic/refunds/{out_refund_no} */
  async refundQuery(mchid: string, outRefundNo: string): Promise<WxAnswer> {
    let r = await this.findRefund(outRefundNo);
    const t = r ? await this.find(r.out_trade_no) : null;
    if (!r || !t || t.mchid !== mchid) return wxError(404, 'RESOURCE_NOT_EXISTS', 'refund does not exist');
    const overdue = OVERDUE_SETTLES * this.notify.settleDelayMs();
    if (await settleOverdue(r, overdue, () => this.settleRefund(outRefundNo)))
      r = (await this.findRefund(outRefundNo)) ?? r;
    return wxOk(refundView(t, r, 'answer'));
  }

  async setFaults(
    outTradeNo: string,
    f: {
      query?: WxFault;
      close?: WxFault;
      refund?: WxFault;
      times?: number;
      refundOutcome?: WxRefundOutcome;
    },
  ): Promise<WxTransactionRow> {
    const t = await this.get(outTradeNo);
    await this.core.faults.arm(t.id, { query: f.query, close: f.close, refund: f.refund }, f.times);
    if (f.refundOutcome) await this.core.update(t, { refund_outcome: f.refundOutcome });
    return this.get(outTradeNo);
  }

  /** Takes one armed fault of the transaction (core/sim-faults.ts). */
  private consumeFault(t: WxTransactionRow, kind: 'query' | 'close' | 'refund') {
    return this.core.faults.take<WxFault>(t, kind);
  }
}

/** How sandbox_wechat_transaction spells the core's trade (a refunded transaction is REFUND, still paid). */
const WECHAT_TRADES: SimTradeTable = {
  table: 'sandbox_wechat_transaction',
  status: 'trade_state',
  open: 'NOTPAY',
  paid: 'SUCCESS',
  alsoPaid: ['REFUND'],
  closed: 'CLOSED',
  paidAt: 'success_time',
  closedAt: 'close_time',
  numeric: ['total'],
  versioned: true,
};
