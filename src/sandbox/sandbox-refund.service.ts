import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { fenToYuan, tryYuanToFen } from './sandbox-money';
import { TransactionService } from '../common/database/transaction.service';
import { decideRefund, SimRefunds } from './core/sim-refunds';
import { SandboxNotifyService } from './sandbox-notify.service';
import { billWindow } from './core/sim-bills';
import { toCst } from './sandbox-time';
import { SandboxTradeService } from './sandbox-trade.service';
import {
  bizError,
  Fault,
  GatewayAnswer,
  ok,
  RefundNotifyMode,
  SandboxRefundRow,
  SandboxTradeRow,
} from './sandbox-trade.types';

const NO_RE = /^[A-Za-z0-9_-]{1,64}$/;

interface Applied {
  answer: GatewayAnswer;
  /** set when this call moved money: the notify to send after commit */
  notify?: {
    refund: SandboxRefundRow;
    full: boolean;
    mode: RefundNotifyMode;
    times?: number;
    delayMs?: number;
  };
}

/**
 * alipay.trade.refund and alipay.trade.fastpay.refund.query, as GATEWAY.md describes them. One row per
 * (out_trade_no, out_request_no) in sandbox_refund. Every refund of a trade runs under a lock on the
 * trade row (SELECT … FOR UPDATE), so concurrent calls from any instance agree: the refunded total never
 * exceeds the paid amount, and a repeat of a number with the same amount is the same refund
 * (fund_change N), with another amount ACQ.DISCORDANT_REPEAT_REQUEST.
 */
@Injectable()
export class SandboxRefundService {
  constructor(
    private readonly ds: DataSource,
    private readonly trades: SandboxTradeService,
    private readonly notify: SandboxNotifyService,
    tx: TransactionService,
  ) {
    this.core = new SimRefunds(trades.core, tx);
  }

  private readonly core: SimRefunds<SandboxTradeRow>;

  async refund(biz: Record<string, unknown>, notifyUrl: string | null): Promise<GatewayAnswer | Fault> {
    const amount = tryYuanToFen(biz.refund_amount);
    const reason = biz.refund_reason ?? null;
    if (amount === null || amount < 1) {
      return bizError(
        'ACQ.INVALID_PARAMETER',
        'refund_amount must be yuan with at most two decimals, ≥ 0.01',
      );
    }
    if (reason !== null && (typeof reason !== 'string' || reason.length > 256)) {
      return bizError('ACQ.INVALID_PARAMETER', 'refund_reason must be a string of at most 256 characters');
    }
    if (
      biz.out_request_no !== undefined &&
      (typeof biz.out_request_no !== 'string' || !NO_RE.test(biz.out_request_no))
    ) {
      return bizError('ACQ.INVALID_PARAMETER', 'out_request_no is malformed');
    }
    const t = await this.findTrade(biz);
    if (!t) return bizError('ACQ.TRADE_NOT_EXIST', 'trade does not exist');
    // without out_request_no Alipay refunds under the trade's own number (one full refund)
    const requestNo = (biz.out_request_no as string | undefined) ?? t.out_trade_no;
    const fault = await this.trades.consumeFault(t, 'refund');
    if (fault === 'system_error' || fault === 'service_unavailable') return fault; // nothing done
    // retried whole on a deadlock / Galera certification conflict (two refunds of one trade on two nodes)
    const applied = await this.core.underLock(t.id, (m, locked) =>
      this.apply(m, locked, requestNo, amount, reason, notifyUrl, fault),
    );
    if (applied.notify) {
      const { refund, full, mode, times, delayMs } = applied.notify;
      await this.notify.enqueueRefund(t.out_trade_no, refund, full, mode, times, delayMs);
    }
    // timeout: the refund is done, the answer is lost
    return fault === 'timeout' ? 'timeout' : applied.answer;
  }

  async query(biz: Record<string, unknown>): Promise<GatewayAnswer | Fault> {
    const t = await this.findTrade(biz);
    if (!t) return bizError('ACQ.TRADE_NOT_EXIST', 'trade does not exist');
    const fault = await this.trades.consumeFault(t, 'refund_query');
    if (fault) return fault;
    const requestNo = typeof biz.out_request_no === 'string' ? biz.out_request_no : t.out_trade_no;
    const r = await this.find(t.out_trade_no, requestNo);
    const base = { trade_no: t.trade_no, out_trade_no: t.out_trade_no, out_request_no: requestNo };
    // not refunded (unknown number, or failed later): code 10000 without refund_amount
    if (!r || r.status !== 'SUCCESS') return ok(base);
    const options = Array.isArray(biz.query_options) ? biz.query_options : [];
    return ok({
      ...base,
      total_amount: fenToYuan(t.total_amount),
      refund_amount: fenToYuan(r.refund_amount),
      refund_status: 'REFUND_SUCCESS',
      ...(r.refund_reason ? { refund_reason: r.refund_reason } : {}),
      ...(options.includes('gmt_refund_pay') && r.gmt_refund ? { gmt_refund_pay: toCst(r.gmt_refund) } : {}),
    });
  }

  async find(outTradeNo: string, outRequestNo: string, m: EntityManager | DataSource = this.ds) {
    const rows: SandboxRefundRow[] = await m.query(
      'SELECT * FROM sandbox_refund WHERE out_trade_no = ? AND out_request_no = ?',
      [outTradeNo, outRequestNo],
    );
    return rows[0] ? refundRow(rows[0]) : null;
  }

  async listForTrade(outTradeNo: string): Promise<SandboxRefundRow[]> {
    const rows: SandboxRefundRow[] = await this.ds.query(
      'SELECT * FROM sandbox_refund WHERE out_trade_no = ? ORDER BY id',
      [outTradeNo],
    );
    return rows.map(refundRow);
  }

  /** Refunds that moved money on a CST calendar day (the bill's refund lines). */
  async refundedOn(date: string): Promise<Array<SandboxRefundRow & { trade_no: string }>> {
    const day = billWindow(date);
    if (!day) return [];
    const rows: Array<SandboxRefundRow & { trade_no: string }> = await this.ds.query(
      `SELECT r.*, t.trade_no FROM sandbox_refund r JOIN sandbox_trade t ON t.out_trade_no = r.out_trade_no
       WHERE r.status = 'SUCCESS' AND r.gmt_refund >= ? AND r.gmt_refund < ? ORDER BY r.gmt_refund, r.id`,
      day,
    );
    return rows.map((r) => ({ ...refundRow(r), trade_no: r.trade_no }));
  }

  private async apply(
    m: EntityManager,
    t: SandboxTradeRow,
    requestNo: string,
    amount: number,
    reason: string | null,
    notifyUrl: string | null,
    fault: string | null,
  ): Promise<Applied> {
    const existing = await this.find(t.out_trade_no, requestNo, m);
    const decision = decideRefund({
      paid: t.gmt_payment !== null,
      existing: existing && {
        sameParams: existing.refund_amount === amount,
        settled: existing.status === 'SUCCESS',
      },
      refunded: t.refund_fee,
      amount,
      total: t.total_amount,
    });
    if (decision === 'not_paid') {
      return { answer: bizError('ACQ.TRADE_STATUS_ERROR', `trade is ${t.status}, not paid`) };
    }
    if (decision === 'discordant') {
      return {
        answer: bizError(
          'ACQ.DISCORDANT_REPEAT_REQUEST',
          `out_request_no ${requestNo} was used with refund_amount ${fenToYuan(existing!.refund_amount)}`,
        ),
      };
    }
    if (decision === 'same') return { answer: this.answer(t, 'N', null) };
    if (decision === 'exceeds') {
      return {
        answer: bizError(
          'ACQ.REFUND_AMT_NOT_EQUAL_TOTAL',
          `refund ${fenToYuan(amount)} exceeds what is left (${fenToYuan(t.total_amount - t.refund_fee)})`,
        ),
      };
    }
    if (fault === 'fail_later') {
      // accepted, no money moved; the refund then fails: the query finds no refund_amount
      if (!existing) {
        await m.query(
          `INSERT INTO sandbox_refund (out_trade_no, out_request_no, refund_amount, refund_reason, status, notify_url)
           VALUES (?, ?, ?, ?, 'FAILED', ?)`,
          [t.out_trade_no, requestNo, amount, reason, notifyUrl],
        );
      }
      return { answer: this.answer(t, 'N', null) };
    }
    const after = t.refund_fee + amount;
    const full = after === t.total_amount;
    const notifyId = randomUUID().replace(/-/g, '');
    if (existing) {
      // a refund that failed earlier, retried with the same number and amount: now it refunds
      await m.query(
        `UPDATE sandbox_refund SET status = 'SUCCESS', refund_fee_after = ?, notify_id = ?,
           notify_url = COALESCE(?, notify_url), gmt_refund = CURRENT_TIMESTAMP(3) WHERE id = ?`,
        [after, notifyId, notifyUrl, existing.id],
      );
    } else {
      await m.query(
        `INSERT INTO sandbox_refund (out_trade_no, out_request_no, refund_amount, refund_reason, status,
           refund_fee_after, notify_id, notify_url, gmt_refund)
         VALUES (?, ?, ?, ?, 'SUCCESS', ?, ?, ?, CURRENT_TIMESTAMP(3))`,
        [t.out_trade_no, requestNo, amount, reason, after, notifyId, notifyUrl],
      );
    }
    // a full refund closes the trade; the notify mode armed for the next refund is taken by this one
    await m.query(
      `UPDATE sandbox_trade SET refund_fee = ?, status = IF(?, 'TRADE_CLOSED', status),
         gmt_close = IF(?, CURRENT_TIMESTAMP(3), gmt_close), refund_notify_mode = NULL,
         refund_notify_times = NULL, refund_notify_delay_ms = NULL, version = version + 1
       WHERE id = ?`,
      [after, full, full, t.id],
    );
    const refund = (await this.find(t.out_trade_no, requestNo, m))!;
    return {
      answer: this.answer(
        { ...t, refund_fee: after },
        fault === 'fund_change_n' ? 'N' : 'Y',
        refund.gmt_refund,
      ),
      notify: {
        refund,
        full,
        mode: t.refund_notify_mode ?? 'normal',
        times: t.refund_notify_times ?? undefined,
        delayMs: t.refund_notify_delay_ms ?? undefined,
      },
    };
  }

  private answer(t: SandboxTradeRow, fundChange: 'Y' | 'N', refundedAt: Date | null): GatewayAnswer {
    return ok({
      trade_no: t.trade_no,
      out_trade_no: t.out_trade_no,
      buyer_logon_id: 'sbx***@sandbox.com',
      fund_change: fundChange,
      refund_fee: fenToYuan(t.refund_fee),
      ...(fundChange === 'Y' && refundedAt ? { gmt_refund_pay: toCst(refundedAt) } : {}),
      ...(t.buyer_id ? { buyer_user_id: t.buyer_id } : {}),
    });
  }

  private async findTrade(biz: Record<string, unknown>): Promise<SandboxTradeRow | null> {
    if (typeof biz.out_trade_no === 'string') return this.trades.find(biz.out_trade_no);
    if (typeof biz.trade_no === 'string') return this.trades.core.one('trade_no = ?', [biz.trade_no]);
    return null;
  }
}

function refundRow(r: SandboxRefundRow): SandboxRefundRow {
  return {
    ...r,
    refund_amount: Number(r.refund_amount),
    refund_fee_after: r.refund_fee_after === null ? null : Number(r.refund_fee_after),
  };
}
