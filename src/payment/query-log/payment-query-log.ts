import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { QueryResult } from '../gateway/payment-gateway';

/** Who asked the gateway about a payment. */
export type QueryAsker = 'query' | 'sweeper' | 'close';

/** What the answer led to: the success path's outcome, or nothing concluded (asked again later). */
export type QueryLogOutcome = 'applied' | 'duplicate' | 'anomaly' | 'ask_again' | 'none' | 'error';

export interface QueryLogEntry {
  id: string;
  paymentNo: string;
  channel: string;
  source: QueryAsker;
  attempt: number | null;
  answer: QueryResult['status'];
  detail: string | null;
  outcome: QueryLogOutcome;
  askedAt: Date;
  answeredAt: Date;
}

interface Row {
  id: string | number;
  payment_no: string;
  channel: string;
  source: QueryAsker;
  attempt: number | null;
  answer: QueryResult['status'];
  detail: string | null;
  outcome: QueryLogOutcome;
  asked_at: Date;
  answered_at: Date;
}

/** The answer's facts worth keeping (never a raw body): PAID's trade number and amount, UNKNOWN's reason. */
function detailOf(q: QueryResult): string | null {
  if (q.status === 'PAID') return `trade ${q.tradeNo}, ${q.amount} fen, paid ${q.paidAt.toISOString()}`;
  if (q.status === 'UNKNOWN') return q.reason.slice(0, 255);
  return null;
}

/**
 * t_payment_query_log (issue 24): every question the payment module asks a gateway about a payment —
 * the active query job, the sweeper, the close that found the trade paid — with the answer's state, when
 * it came, and what it led to; the payment's timeline shows them. Written after the answer is acted on,
 * on its own (not in the success transaction: a log write never holds or fails the money's path); a
 * failed write is a warning and the question's work goes on.
 */
@Injectable()
export class PaymentQueryLog {
  private readonly logger = new Logger(PaymentQueryLog.name);

  constructor(private readonly dataSource: DataSource) {}

  async record(e: {
    paymentNo: string;
    channel: string;
    source: QueryAsker;
    attempt?: number;
    askedAt: Date;
    answeredAt: Date;
    answer: QueryResult;
    outcome: QueryLogOutcome;
  }): Promise<void> {
    try {
      await this.dataSource.query(
        `INSERT INTO t_payment_query_log
           (payment_no, channel, source, attempt, answer, detail, outcome, asked_at, answered_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          e.paymentNo,
          e.channel,
          e.source,
          e.attempt ?? null,
          e.answer.status,
          detailOf(e.answer),
          e.outcome,
          e.askedAt,
          e.answeredAt,
        ],
      );
    } catch (err) {
      this.logger.warn(`query log of ${e.paymentNo} not written: ${(err as Error).message}`);
    }
  }

  /** A payment's questions, oldest first (at most `limit`). */
  async findByPayment(paymentNo: string, limit = 500): Promise<QueryLogEntry[]> {
    const rows: Row[] = await this.dataSource.query(
      `SELECT id, payment_no, channel, source, attempt, answer, detail, outcome, asked_at, answered_at
         FROM t_payment_query_log WHERE payment_no = ? ORDER BY id LIMIT ?`,
      [paymentNo, limit],
    );
    return rows.map((r) => ({
      id: String(r.id),
      paymentNo: r.payment_no,
      channel: r.channel,
      source: r.source,
      attempt: r.attempt === null ? null : Number(r.attempt),
      answer: r.answer,
      detail: r.detail,
      outcome: r.outcome,
      askedAt: new Date(r.asked_at),
      answeredAt: new Date(r.answered_at),
    }));
  }
}
