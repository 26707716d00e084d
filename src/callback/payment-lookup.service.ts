import { Injectable } from '@nestjs/common';
import { DomainError, ErrorCode } from '../common/errors';
import { OrderService } from '../order';
import { type Payment, PaymentFacts, PaymentQueryLog } from '../payment';
import { CallbackLogRepository } from './callback-log.repository';
import {
  AdminPaymentDto,
  FindPaymentsQuery,
  PaymentTimelineDto,
  TimelineEntryDto,
} from './dto/admin-payments.dto';

const PAYMENT_NO = /^[A-Za-z0-9_]{1,40}$/;

/**
 * Support's one view of "I paid, where is my order?": find the payments by order, payment or gateway
 * trade number, and one payment's timeline — every notify received with what became of it, every
 * question asked of the gateway with its answer, the payment's and the order's state changes, its
 * refunds and anomalies. Reads only (through the payment
 * and order modules' faces, and the callback log this module owns); never a raw body, key or signature.
 */
@Injectable()
export class PaymentLookupService {
  constructor(
    private readonly facts: PaymentFacts,
    private readonly orders: OrderService,
    private readonly log: CallbackLogRepository,
    private readonly queries: PaymentQueryLog,
  ) {}

  /** @throws VALIDATION_FAILED without exactly one of the three numbers, NOT_FOUND when nothing matches. */
  async find(q: FindPaymentsQuery): Promise<AdminPaymentDto[]> {
    const given = [q.orderNo, q.paymentNo, q.channelTradeNo].filter((v) => v !== undefined);
    if (given.length !== 1) {
      throw new DomainError(
        ErrorCode.VALIDATION_FAILED,
        'Give exactly one of orderNo, paymentNo, channelTradeNo',
        { errors: ['exactly one of orderNo, paymentNo, channelTradeNo is required'] },
      );
    }
    let found: Payment[];
    if (q.orderNo) found = await this.facts.paymentsOfOrder(q.orderNo);
    else if (q.paymentNo) found = [await this.facts.payment(q.paymentNo)].filter((p) => !!p);
    else found = [await this.facts.paymentByTradeNo(q.channelTradeNo!)].filter((p) => !!p);
    if (!found.length) throw new DomainError(ErrorCode.NOT_FOUND, `No payment matches ${given[0]}`);
    const order = await this.orders.findByOrderNo(null, found[0].orderNo);
    return found.map((p) => toDto(p, order?.status ?? null));
  }

  async timeline(paymentNo: string): Promise<PaymentTimelineDto> {
    const p = PAYMENT_NO.test(paymentNo) ? await this.facts.payment(paymentNo) : null;
    if (!p) throw new DomainError(ErrorCode.NOT_FOUND, `Payment ${paymentNo} not found`);
    const [order, notifies, queries, refunds, anomalies] = await Promise.all([
      this.orders.findByOrderNo(null, p.orderNo),
      this.log.findByTrade(p.paymentNo),
      this.queries.findByPayment(p.paymentNo),
      this.facts.refundsOfOrder(p.orderNo),
      this.facts.anomalies({ paymentNo: p.paymentNo, limit: 100 }),
    ]);
    const t: Array<TimelineEntryDto & { seq: number }> = [];
    const add = (at: Date | null, type: string, title: string, detail: Record<string, unknown> = {}) => {
      if (at) t.push({ at: at.toISOString(), type, title, detail, seq: t.length });
    };
    add(p.createdAt, 'payment.created', `${p.channel} payment of ${p.amount} fen started`, {
      channel: p.channel,
      amount: p.amount,
      expiresAt: p.expiresAt.toISOString(),
    });
    for (const n of notifies) {
      add(
        n.receivedAt,
        'notify',
        `${n.channel} notify ${n.tradeStatus ?? ''} → ${n.outcome}`.replace('  ', ' '),
        {
          notifyId: n.notifyId,
          tradeStatus: n.tradeStatus,
          verified: n.verified,
          outcome: n.outcome,
          detail: n.detail,
          attempts: n.attempts,
          processedAt: n.appliedAt?.toISOString() ?? null,
        },
      );
    }
    for (const q of queries) {
      const who = q.source === 'query' ? `query ${q.attempt ?? ''}`.trim() : `${q.source} query`;
      const led = q.outcome === 'ask_again' || q.outcome === 'none' ? '' : ` (${q.outcome})`;
      add(q.askedAt, 'query', `${who} asked ${q.channel} → ${q.answer}${led}`, {
        source: q.source,
        attempt: q.attempt,
        answer: q.answer,
        answerDetail: q.detail,
        outcome: q.outcome,
        answeredAt: q.answeredAt.toISOString(),
      });
    }
    if (p.status === 'SUCCESS' && p.paidAt) {
      // the gateway's payment time has whole seconds: never shown before the payment it pays
      const at = p.paidAt < p.createdAt ? p.createdAt : p.paidAt;
      add(at, 'payment.succeeded', `paid (${p.channelTradeNo ?? 'no trade number'})`, {
        channelTradeNo: p.channelTradeNo,
        gatewayPaidAt: p.paidAt.toISOString(),
      });
    }
    add(p.closedAt, 'payment.closed', 'closed at the gateway', {});
    if (order) {
      if (order.paidBy === p.paymentNo)
        add(order.paidAt, 'order.paid', `order ${order.orderNo} PAID by this payment`);
      else if (order.paidAt)
        add(
          order.paidAt,
          'order.paid',
          `order ${order.orderNo} PAID by ${order.paidBy ?? 'another payment'}`,
          {
            paidBy: order.paidBy,
          },
        );
      add(order.cancelledAt, 'order.cancelled', `order ${order.orderNo} CANCELLED`);
    }
    for (const r of refunds.filter((x) => x.paymentNo === p.paymentNo)) {
      const d = { refundNo: r.refundNo, amount: r.amount, reason: r.reason, requestedBy: r.requestedBy };
      add(
        r.createdAt,
        'refund.created',
        `refund ${r.refundNo} of ${r.amount} fen asked (${r.requestedBy})`,
        d,
      );
      add(r.succeededAt, 'refund.succeeded', `refund ${r.refundNo} SUCCEEDED`, d);
      add(r.failedAt, 'refund.failed', `refund ${r.refundNo} FAILED: ${r.failedReason ?? ''}`, {
        ...d,
        failedReason: r.failedReason,
      });
    }
    for (const a of anomalies) {
      const d = { id: a.id, kind: a.kind, refundNo: a.refundNo };
      add(a.createdAt, 'anomaly.opened', `anomaly ${a.kind} (#${a.id})`, d);
      if (a.status === 'AUTO_REFUNDED')
        add(a.resolvedAt, 'anomaly.auto_refunded', `anomaly #${a.id} AUTO_REFUNDED`, d);
      if (a.status === 'RESOLVED')
        add(
          a.resolvedAt,
          'anomaly.resolved',
          `anomaly #${a.id} RESOLVED by ${a.resolvedBy}: ${a.resolutionNote}`,
          {
            ...d,
            resolvedBy: a.resolvedBy,
            note: a.resolutionNote,
          },
        );
    }
    t.sort((a, b) => a.at.localeCompare(b.at) || a.seq - b.seq);
    return {
      payment: toDto(p, order?.status ?? null),
      timeline: t.map(({ seq: _seq, ...e }) => e),
      notes: [
        'Every question asked of the gateway (the query job, the sweeper, a close that found the trade paid) ' +
          'is a query entry with its answer; a reconciliation is not listed per payment: what it changed is ' +
          '(payment.succeeded), and its runs are in GET /v1/admin/reconciliations.',
      ],
    };
  }
}

function toDto(p: Payment, orderStatus: string | null): AdminPaymentDto {
  return {
    paymentNo: p.paymentNo,
    orderNo: p.orderNo,
    userId: p.userId,
    channel: p.channel,
    amount: p.amount,
    status: p.status,
    channelTradeNo: p.channelTradeNo,
    orderStatus,
    createdAt: p.createdAt.toISOString(),
    paidAt: p.paidAt ? p.paidAt.toISOString() : null,
    closedAt: p.closedAt ? p.closedAt.toISOString() : null,
    expiresAt: p.expiresAt.toISOString(),
  };
}
