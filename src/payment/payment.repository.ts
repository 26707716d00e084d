import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { casTransition } from '../idempotency';
import { Payment, PaymentChannel, PaymentStatus } from './entities/payment.entity';
import { PAYMENT_MACHINE } from './payment-state';
import { AnomalyRepository } from './anomaly/anomaly.repository';

export interface NewPayment {
  paymentNo: string;
  orderNo: string;
  userId: string;
  channel: PaymentChannel;
  amount: number;
  status: PaymentStatus;
  subject: string;
  expiresAt: Date;
  paidAt?: Date | null;
}

/** A SUCCESS payment as a refund sees it: `refunded` counts succeeded and pending refunds (the reservation). */
export interface RefundablePayment {
  paymentNo: string;
  channel: PaymentChannel;
  amount: number;
  refunded: number;
}

/**
 * t_payment (with its refund columns): the one way to it (anomalies: AnomalyRepository), with
 * purpose-named methods whose first parameter is the caller's manager (null: no transaction). Reads that
 * return entities by QueryBuilder / find, every write and the reads of a few columns by SQL.
 */
@Injectable()
export class PaymentRepository {
  constructor(
    private readonly ds: DataSource,
    private readonly anomalies: AnomalyRepository,
  ) {}

  private m(manager: EntityManager | null): EntityManager {
    return manager ?? this.ds.manager;
  }

  findByPaymentNo(
    manager: EntityManager | null,
    paymentNo: string,
    forUpdate = false,
  ): Promise<Payment | null> {
    const qb = this.m(manager)
      .getRepository(Payment)
      .createQueryBuilder('p')
      .where('p.payment_no = :paymentNo', {
        paymentNo,
      });
    if (forUpdate) qb.setLock('pessimistic_write');
    return qb.getOne();
  }

  findByChannelTradeNo(manager: EntityManager | null, channelTradeNo: string): Promise<Payment | null> {
    return this.m(manager).getRepository(Payment).findOne({ where: { channelTradeNo } });
  }

  /**
   * For the console's overview: per minute since `since`, by channel, the payments created and those that
   * succeeded (by paid_at).
   */
  async perMinuteSince(
    since: Date,
  ): Promise<Array<{ minute: string; channel: string; created: number; succeeded: number }>> {
    const rows: any[] = await this.ds.query(
      `SELECT minute, channel, SUM(created) AS created, SUM(succeeded) AS succeeded FROM (
         SELECT DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i') AS minute, channel, 1 AS created, 0 AS succeeded
           FROM t_payment WHERE created_at >= ?
         UNION ALL
         SELECT DATE_FORMAT(paid_at, '%Y-%m-%dT%H:%i'), channel, 0, 1
           FROM t_payment WHERE paid_at >= ? AND status = 'SUCCESS'
       ) x GROUP BY minute, channel ORDER BY minute`,
      [since, since],
    );
    return rows.map((r) => ({
      minute: r.minute,
      channel: r.channel,
      created: Number(r.created),
      succeeded: Number(r.succeeded),
    }));
  }

  findByOrder(manager: EntityManager | null, orderNo: string): Promise<Payment[]> {
    return this.m(manager)
      .getRepository(Payment)
      .find({ where: { orderNo }, order: { id: 'ASC' } });
  }

  findPendingByOrder(manager: EntityManager | null, orderNo: string): Promise<Payment[]> {
    return this.m(manager)
      .getRepository(Payment)
      .find({ where: { orderNo, status: 'PENDING' }, order: { id: 'ASC' } });
  }

  /**
   * CLOSED gateway payments (not wallet) closed at or after `since`, one keyset page by id after `afterId` (the
   * sweeper asks the gateway about those whose order was reopened). Served by idx_payment_closed.
   */
  findClosedSince(
    manager: EntityManager | null,
    since: Date,
    limit: number,
    afterId = 0,
  ): Promise<Payment[]> {
    return this.m(manager)
      .getRepository(Payment)
      .createQueryBuilder('p')
      .where("p.status = 'CLOSED' AND p.channel <> 'wallet' AND p.closed_at >= :since AND p.id > :afterId", {
        since,
        afterId,
      })
      .orderBy('p.id', 'ASC')
      .limit(limit)
      .getMany();
  }

  /** Gateway payments (Alipay, WeChat) that became SUCCESS with paid_at in [from, to) (reconciliation's reverse check). */
  findPaidBetween(manager: EntityManager | null, from: Date, to: Date): Promise<Payment[]> {
    return this.m(manager)
      .getRepository(Payment)
      .createQueryBuilder('p')
      .where("p.status = 'SUCCESS' AND p.channel <> 'wallet' AND p.paid_at >= :from AND p.paid_at < :to", {
        from,
        to,
      })
      .orderBy('p.paid_at', 'ASC')
      .getMany();
  }

  async insert(manager: EntityManager, p: NewPayment): Promise<void> {
    await manager.query(
      `INSERT INTO t_payment (payment_no, order_no, user_id, channel, amount, status, subject, expires_at, paid_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        p.paymentNo,
        p.orderNo,
        p.userId,
        p.channel,
        p.amount,
        p.status,
        p.subject,
        p.expiresAt,
        p.paidAt ?? null,
      ],
    );
  }

  async setQrCode(manager: EntityManager | null, paymentNo: string, qrCode: string): Promise<void> {
    await this.m(manager).query(`UPDATE t_payment SET qr_code = ? WHERE payment_no = ? AND qr_code IS NULL`, [
      qrCode,
      paymentNo,
    ]);
  }

  /** CAS on the payment's status; true iff this call made the transition. */
  cas(
    manager: EntityManager,
    paymentNo: string,
    from: PaymentStatus[],
    to: PaymentStatus,
    set: Record<string, unknown> = {},
  ): Promise<boolean> {
    return casTransition(manager, {
      table: 't_payment',
      idColumn: 'payment_no',
      id: paymentNo,
      machine: PAYMENT_MACHINE,
      from,
      to,
      set,
    });
  }

  /**
   * DEMONSTRATION ONLY — the `check_then_act` and `for_update` dedup strategies (src/callback/strategies,
   * refused in production). Marks the payment SUCCESS with no status guard and no state machine: a blind
   * write, which is what those demonstrations show. Nothing else may call it; the real path is `cas`.
   * @returns rows changed
   */
  async markSuccessUnguarded(
    manager: EntityManager,
    paymentNo: string,
    channelTradeNo: string | null,
    paidAt: Date,
  ): Promise<number> {
    const res = await manager.query(
      `UPDATE t_payment SET status = 'SUCCESS', channel_trade_no = ?, paid_at = ?, version = version + 1
        WHERE payment_no = ?`,
      [channelTradeNo, paidAt, paymentNo],
    );
    return Number(res.affectedRows ?? 0);
  }

  /**
   * THE check "refunded + amount ≤ paid" and the reservation, as one CAS on the payment row: true iff
   * the payment is SUCCESS and still has `amount` fen not refunded nor reserved by a pending refund.
   */
  async reserveRefund(manager: EntityManager, paymentNo: string, amount: number): Promise<boolean> {
    const res = await manager.query(
      `UPDATE t_payment SET refunded_amount = refunded_amount + ?
       WHERE payment_no = ? AND status = 'SUCCESS' AND refunded_amount + ? <= amount`,
      [amount, paymentNo, amount],
    );
    return Number(res.affectedRows) === 1;
  }

  /** Gives a failed refund's reservation back; call only under the refund's PENDING → FAILED CAS. */
  async releaseRefund(manager: EntityManager, paymentNo: string, amount: number): Promise<void> {
    const res = await manager.query(
      `UPDATE t_payment SET refunded_amount = refunded_amount - ? WHERE payment_no = ? AND refunded_amount >= ?`,
      [amount, paymentNo, amount],
    );
    if (Number(res.affectedRows) !== 1)
      throw new Error(`release of ${amount} on ${paymentNo}: nothing reserved`);
  }

  /** The order's SUCCESS payments with what is refunded or reserved of each, oldest first (no lock). */
  async findRefundableByOrder(manager: EntityManager | null, orderNo: string): Promise<RefundablePayment[]> {
    const rows: Array<Record<string, unknown>> = await this.m(manager).query(
      `SELECT payment_no, channel, amount, refunded_amount FROM t_payment
        WHERE order_no = ? AND status = 'SUCCESS' ORDER BY id`,
      [orderNo],
    );
    return rows.map((r) => ({
      paymentNo: String(r.payment_no),
      channel: r.channel as PaymentChannel,
      amount: Number(r.amount),
      refunded: Number(r.refunded_amount),
    }));
  }

  /**
   * Claims the payment row for a refund state change and returns its amount and what is refunded or
   * reserved of it: every refund state change of a payment does this first (one lock order). The
   * claim is a write (`version = version + 1`), not a `SELECT … FOR UPDATE`: on one server it takes
   * the same exclusive row lock, and on a multi-primary Galera cluster, where a read lock holds on
   * one node only, two refund changes of one payment on two nodes both write this row, so
   * certification lets one commit and rolls the other back (retried whole by TransactionService,
   * it then sees the first one's refund).
   */
  async lockForRefund(
    manager: EntityManager,
    paymentNo: string,
  ): Promise<{ amount: number; refunded: number }> {
    await manager.query('UPDATE t_payment SET version = version + 1 WHERE payment_no = ?', [paymentNo]);
    const rows = await manager.query('SELECT amount, refunded_amount FROM t_payment WHERE payment_no = ?', [
      paymentNo,
    ]);
    if (!rows.length) throw new Error(`payment ${paymentNo} not found`);
    return { amount: Number(rows[0].amount), refunded: Number(rows[0].refunded_amount) };
  }

  /**
   * Records an anomaly with its `anomaly.opened` event (AnomalyRepository.record, which owns the table).
   * @returns the new row's id, or null when `once` found it recorded already.
   */
  recordAnomaly(
    manager: EntityManager | null,
    paymentNo: string,
    kind: string,
    detail: unknown,
    opts: { once?: boolean } = {},
  ): Promise<string | null> {
    return this.anomalies.record(manager, paymentNo, kind, detail, opts);
  }
}
