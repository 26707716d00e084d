import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { TransactionService } from '../common/database/transaction.service';
import { isDuplicateKey } from '../common/database/db-errors';
import { PaymentSucceededEvent, TOPICS } from '../common/events/payment-events';
import { OutboxService } from '../common/outbox/outbox.service';
import { DedupService } from '../idempotency';
import { OrderPaidOutcome, OrderService } from '../order';
import { Payment, PaymentChannel } from './entities/payment.entity';
import type { QueryResult } from './gateway/payment-gateway';
import { PaymentRepository } from './payment.repository';
import { LateMoneyService } from './anomaly/late-money.service';

export type SuccessSource = 'callback' | 'query' | 'reconciliation' | 'sweeper' | 'wallet';

/** "The gateway says this payment is paid" (or, for the wallet, "the debit is done"). */
export interface SuccessInput {
  paymentNo: string;
  /**
   * The channel that brings the news: the notify endpoint's channel, or the payment's own channel for
   * the answers of its gateway (query, close, bill). It must be the payment's channel.
   */
  channel: PaymentChannel;
  /** The gateway's trade number (Alipay trade_no, WeChat transaction_id); null for the wallet. */
  channelTradeNo: string | null;
  /** integer fen, as the gateway reported it */
  amount: number;
  paidAt: Date;
  source: SuccessSource;
}

/**
 * - `applied`: this call moved the payment to SUCCESS (and, in the same transaction, the order side);
 * - `duplicate`: it was SUCCESS already (or a concurrent call won);
 * - `anomaly`: the facts do not match the payment (amount, channel, a reused trade number); recorded
 *   once in t_payment_anomaly, nothing paid.
 */
export type SuccessOutcome = 'applied' | 'duplicate' | 'anomaly';

export interface SuccessResult {
  outcome: SuccessOutcome;
  /** the order side's answer, when `applied` */
  order?: OrderPaidOutcome;
  /** the anomaly kind, when `anomaly` */
  anomaly?: string;
  /** the automatic refund of late money started in the same transaction (attempted after the commit) */
  autoRefundNo?: string;
}

/**
 * Written in the apply's transaction by the caller (e.g. the notify's log row with its outcome), so
 * one commit carries the apply and its bookkeeping.
 */
export type SuccessJournal = (m: EntityManager, result: SuccessResult) => Promise<void>;

/** A payment's own gateway saying "paid" when we asked (query, or the close that found it paid). */
export type GatewayPaid = Extract<QueryResult, { status: 'PAID' }>;

/** What the success path uses of the payment row. */
export type PaidPayment = Pick<Payment, 'paymentNo' | 'orderNo' | 'userId' | 'channel' | 'amount'>;

/**
 * How a demonstration strategy marks the payment SUCCESS in `m` (src/callback/strategies): `marked`
 * (PENDING → SUCCESS), `was_closed` (CLOSED → SUCCESS) or `duplicate` (nothing to do).
 */
export type SuccessMark = (
  m: EntityManager,
  input: SuccessInput,
) => Promise<'marked' | 'was_closed' | 'duplicate'>;

/**
 * THE rule "this news may pay this payment": it names the payment, comes from the payment's channel
 * (a WeChat notify naming an Alipay payment is CHANNEL_MISMATCH) and carries its amount (else
 * AMOUNT_MISMATCH). Null when it may.
 */
export function mismatchOf(
  input: Pick<SuccessInput, 'paymentNo' | 'channel' | 'amount'>,
  payment: Pick<PaidPayment, 'paymentNo' | 'channel' | 'amount'>,
): 'CHANNEL_MISMATCH' | 'AMOUNT_MISMATCH' | null {
  if (input.paymentNo !== payment.paymentNo) {
    throw new Error(`news for ${input.paymentNo} applied to payment ${payment.paymentNo}`);
  }
  if (input.channel !== payment.channel) return 'CHANNEL_MISMATCH';
  if (input.amount !== payment.amount) return 'AMOUNT_MISMATCH';
  return null;
}

/** Rolls the success transaction back when the CAS finds nothing to move (marker included). */
class NotApplied {}

/**
 * Anomaly kind for a payment that succeeded, from the order side's outcome and whether the payment
 * had been closed first; null when nothing needs a person.
 */
export function anomalyKindFor(order: OrderPaidOutcome, wasClosed: boolean): string | null {
  switch (order) {
    case 'PAID':
    case 'ALREADY_APPLIED':
      return wasClosed ? 'PAID_AFTER_CLOSE' : null;
    case 'DUPLICATE_PAYMENT':
      return 'DUPLICATE_PAYMENT';
    case 'PAID_AFTER_CANCEL':
      return wasClosed ? 'PAID_AFTER_CLOSE_UNFULFILLABLE' : 'PAID_AFTER_CANCEL';
  }
}

/**
 * THE one path from "this payment is paid" to a PAID order, used by every entry: the notify (sync and
 * buffered), the active query, the expiry close that finds the trade paid, the sweeper,
 * reconciliation's repair and the wallet. One transaction:
 *
 * 0. the news must be the payment's: its channel and its amount (`mismatchOf`), else an anomaly;
 * 1. marker `t_uq_dipose('PAYMENT_SUCCEEDED', paymentNo)` first (a duplicate key means done), in one
 *    statement with the order's `('ORDER_PAID', orderNo)` (`DedupService.markAll`); when that statement
 *    meets an existing marker it wrote nothing, and the PAYMENT_SUCCEEDED marker is inserted alone
 *    (`runOnce`), the order side then inserting its own as before;
 * 2. payment CAS PENDING → SUCCESS (or CLOSED → SUCCESS: paid after our close);
 * 3. the order side, `OrderService.applyPaid(m, …)` (order CAS under its row lock, the ORDER_PAID
 *    marker kept only if the CAS won, wallet credit for a recharge), which answers PAID /
 *    ALREADY_APPLIED / DUPLICATE_PAYMENT / PAID_AFTER_CANCEL;
 * 4. the anomaly for that outcome, once (the marker makes the whole transaction once per payment);
 * 5. the `payment.succeeded` outbox event, for asynchronous subscribers only (no state depends on it);
 * 6. the caller's journal (e.g. the notify log row), then commit.
 *
 * A wrong amount or channel never pays: `applyIn`, the function that pays, checks both first
 * (`mismatchOf`) and records the anomaly (once per payment and kind) instead — so every entry, and
 * every dedup strategy, inherits the rule. A payment belongs to one channel, and only that channel's
 * news can pay it (a WeChat notify naming an Alipay payment is CHANNEL_MISMATCH).
 */
@Injectable()
export class PaymentSuccessService {
  private readonly logger = new Logger(PaymentSuccessService.name);

  constructor(
    private readonly tx: TransactionService,
    private readonly repo: PaymentRepository,
    private readonly dedup: DedupService,
    private readonly outbox: OutboxService,
    private readonly orders: OrderService,
    private readonly lateMoney: LateMoneyService,
  ) {}

  /**
   * Applies a gateway's "paid" for a payment of that gateway's channel.
   * @throws Error when the payment does not exist (a notify for it must be answered `fail`) or the
   *   database fails (nothing was applied; retry).
   */
  async applySuccess(input: SuccessInput): Promise<SuccessOutcome> {
    return (await this.apply(input)).outcome;
  }

  /**
   * The payment's own gateway answered PAID to our question (active query, the expiry close that
   * found the trade paid, the sweeper): `applySuccess` with that answer, on the payment's channel.
   */
  applyGatewayPaid(
    payment: Pick<Payment, 'paymentNo' | 'channel'>,
    paid: GatewayPaid,
    source: 'query' | 'sweeper',
  ): Promise<SuccessOutcome> {
    return this.applySuccess({
      paymentNo: payment.paymentNo,
      channel: payment.channel, // the router asked this payment's own gateway
      channelTradeNo: paid.tradeNo,
      amount: paid.amount,
      paidAt: paid.paidAt,
      source,
    });
  }

  /**
   * `applySuccess` with the details: the order side's outcome, the anomaly kind.
   * @param opts.payment the payment as the caller just read it (saves a read); SUCCESS there means
   *   SUCCESS (a payment moves to SUCCESS once and never leaves it).
   * @param opts.journal written in the same transaction when something was applied.
   */
  async apply(
    input: SuccessInput,
    opts: { payment?: Payment; journal?: SuccessJournal } = {},
  ): Promise<SuccessResult> {
    const payment = opts.payment ?? (await this.repo.findByPaymentNo(null, input.paymentNo));
    if (!payment) throw new Error(`payment ${input.paymentNo} not found`);
    if (payment.status === 'SUCCESS') return { outcome: 'duplicate' };
    try {
      const r = await this.tx.run(async (m) => {
        const r = await this.applyIn(m, input, payment);
        if (opts.journal && r.outcome === 'applied') await opts.journal(m, r);
        return r;
      });
      await this.lateMoney.afterCommit(r.autoRefundNo);
      return r;
    } catch (err) {
      if (err instanceof NotApplied) return { outcome: 'duplicate' };
      if (isDuplicateKey(err)) {
        // channel_trade_no already belongs to another payment: never pay twice for one trade
        await this.repo.recordAnomaly(
          null,
          input.paymentNo,
          'TRADE_NO_REUSED',
          { source: input.source, channelTradeNo: input.channelTradeNo },
          { once: true },
        );
        return { outcome: 'anomaly', anomaly: 'TRADE_NO_REUSED' };
      }
      throw err;
    }
  }

  /**
   * THE function that pays, inside the caller's transaction (the wallet debits in the same one; the
   * demonstration strategies bring their own `mark`). Its own checks come first, so every entry
   * inherits them: the news must name this payment, come from the payment's channel and carry its
   * amount — else the anomaly (CHANNEL_MISMATCH / AMOUNT_MISMATCH, once per payment and kind) is
   * written in `m` and nothing is paid. Then steps 1–5.
   * @param payment the payment row as read before (its number, order, user, channel and amount, which
   *   never change after insert, are what is checked and used).
   * @param opts.mark how the payment is marked SUCCESS in `m` (demonstrations only; default: the
   *   PAYMENT_SUCCEEDED marker, then CAS PENDING → SUCCESS, else CLOSED → SUCCESS).
   * @returns `duplicate` when the marker exists (or `mark` says so); throws NotApplied (rolls back)
   *   when the CAS finds the payment neither PENDING nor CLOSED.
   */
  async applyIn(
    m: EntityManager,
    input: SuccessInput,
    payment: PaidPayment,
    opts: { mark?: SuccessMark } = {},
  ): Promise<SuccessResult> {
    const kind = mismatchOf(input, payment);
    if (kind) {
      await this.repo.recordAnomaly(
        m,
        payment.paymentNo,
        kind,
        {
          source: input.source,
          expected: payment.amount,
          reported: input.amount,
          channel: payment.channel,
          reportedChannel: input.channel,
          channelTradeNo: input.channelTradeNo,
        },
        { once: true },
      );
      this.logger.warn(
        `payment ${payment.paymentNo}: ${kind} (${input.source} via ${input.channel} reported ${input.amount}, ` +
          `expected ${payment.amount} via ${payment.channel}); not paid`,
      );
      return { outcome: 'anomaly', anomaly: kind };
    }
    if (opts.mark) {
      const marked = await opts.mark(m, input);
      if (marked === 'duplicate') return { outcome: 'duplicate' };
      return { outcome: 'applied', ...(await this.settleOrder(m, payment, input, marked === 'was_closed')) };
    }
    const pay = async (mm: EntityManager, orderMarked: boolean) => {
      const set = { channel_trade_no: input.channelTradeNo, paid_at: input.paidAt };
      let wasClosed = false;
      if (!(await this.repo.cas(mm, input.paymentNo, ['PENDING'], 'SUCCESS', set))) {
        if (!(await this.repo.cas(mm, input.paymentNo, ['CLOSED'], 'SUCCESS', set))) throw new NotApplied();
        wasClosed = true;
      }
      const settled = await this.settleOrder(mm, payment, input, wasClosed, orderMarked);
      return { outcome: 'applied' as const, ...settled };
    };
    // both markers in one statement (the usual case: neither exists); if either does, the statement
    // wrote nothing and the marker-by-marker path below decides exactly as it always did
    const marks = [
      ['PAYMENT_SUCCEEDED', input.paymentNo],
      ['ORDER_PAID', payment.orderNo],
    ] as const;
    const res = (await this.dedup.markAll(m, marks))
      ? { status: 'done' as const, result: await pay(m, true) }
      : await this.dedup.runOnce('PAYMENT_SUCCEEDED', input.paymentNo, (mm) => pay(mm, false), {
          manager: m,
        });
    if (res.status === 'duplicate') return { outcome: 'duplicate' };
    // debug, not info: one record per apply was a measurable share of its CPU (issue 28); the notify's
    // t_callback_log row, the outbox event and oncepay_order_events_total carry the same fact
    this.logger.debug(`payment ${input.paymentNo} SUCCESS via ${input.source}: order ${res.result.order}`);
    return res.result;
  }

  /**
   * The order side for a payment that is SUCCESS but whose order is still PAYING or CREATED — only
   * data written before the order was paid in the payment's own transaction can look like this.
   * Steps 3–5 in a transaction of their own; the anomaly (if any) is recorded once per kind.
   */
  async settleAgain(payment: Payment, source: SuccessSource): Promise<OrderPaidOutcome> {
    let refundNo: string | null = null;
    const outcome = await this.tx.run(async (m) => {
      // the payment's lock first, as the refund's transactions take it (a late-money record needs it)
      await this.repo.lockForRefund(m, payment.paymentNo);
      const order = await this.orders.applyPaid(m, {
        orderNo: payment.orderNo,
        paymentNo: payment.paymentNo,
        amount: payment.amount,
        channel: payment.channel,
      });
      if (order === 'PAID') {
        await this.outbox.add(m, TOPICS.PAYMENT_SUCCEEDED, payment.paymentNo, {
          ...eventOf(payment, payment.channelTradeNo, payment.paidAt ?? new Date()),
          orderOutcome: order,
        });
      } else {
        const kind = anomalyKindFor(order, false);
        if (kind)
          refundNo = await this.lateMoney.recordIn(m, payment, kind, { source, order }, { once: true });
      }
      this.logger.warn(`payment ${payment.paymentNo} (SUCCESS) settled again via ${source}: order ${order}`);
      return order;
    });
    await this.lateMoney.afterCommit(refundNo);
    return outcome;
  }

  /** Steps 3–5 for a payment that has just become SUCCESS in `m` (only `applyIn` calls it). */
  private async settleOrder(
    m: EntityManager,
    payment: PaidPayment,
    input: SuccessInput,
    wasClosed: boolean,
    orderMarked = false,
  ): Promise<{ order: OrderPaidOutcome; autoRefundNo?: string }> {
    const order = await this.orders.applyPaid(
      m,
      {
        orderNo: payment.orderNo,
        paymentNo: payment.paymentNo,
        amount: payment.amount,
        channel: payment.channel,
      },
      { marked: orderMarked },
    );
    const kind = anomalyKindFor(order, wasClosed);
    let refundNo: string | null = null;
    if (kind) {
      this.logger.warn(`payment ${payment.paymentNo} succeeded: ${kind} (order ${payment.orderNo} ${order})`);
      // the anomaly and, for late money, its automatic refund (late-money.ts: the one rule)
      refundNo = await this.lateMoney.recordIn(m, payment, kind, {
        source: input.source,
        orderNo: payment.orderNo,
        orderOutcome: order,
        paymentWasClosed: wasClosed,
        channelTradeNo: input.channelTradeNo,
        amount: payment.amount,
      });
    }
    await this.outbox.add(m, TOPICS.PAYMENT_SUCCEEDED, payment.paymentNo, {
      ...eventOf(payment, input.channelTradeNo, input.paidAt),
      orderOutcome: order,
    });
    return refundNo ? { order, autoRefundNo: refundNo } : { order };
  }
}

function eventOf(p: PaidPayment, channelTradeNo: string | null, paidAt: Date): PaymentSucceededEvent {
  return {
    paymentNo: p.paymentNo,
    orderNo: p.orderNo,
    userId: p.userId,
    channel: p.channel,
    amount: p.amount,
    channelTradeNo,
    paidAt: paidAt.toISOString(),
  };
}
