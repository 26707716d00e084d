import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { casTransition } from '../idempotency';
import { Payment, PaymentChannel, PaymentStatus } from './entities/payment.entity';
import { PAYMENT_MACHINE } from './payment-state';

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
 * t_payment (with its refund columns) and t_payment_anomaly: the one way to these two tables, with
 * purpose-named methods whose first parameter is the caller's manager (null: no transaction). Reads that
 * return entities by QueryBuilder / find, every write and the reads of a few columns by SQL.
 */
@Injectable()
export class PaymentRepository {
  constructor(private readonly ds: DataSource) {}

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
   * Appends a row to t_payment_anomaly (inside `manager`'s transaction when given). With `once`,
   * only the first report of a kind for a payment is kept: the marker `t_uq_dipose(kind, paymentNo)`
   * is inserted in the same transaction (INSERT IGNORE), so re-sent notifies, repeated queries and
   * concurrent copies leave one row — what a person needs.
   */
  async recordAnomaly(
    manager: EntityManager | null,
    paymentNo: string,
    kind: string,
    detail: unknown,
    opts: { once?: boolean } = {},
  ): Promise<void> {
    const no = paymentNo.slice(0, 40);
    const k = kind.slice(0, 32);
    const text = typeof detail === 'string' ? detail : JSON.stringify(detail);
    const write = async (m: EntityManager) => {
      if (opts.once) {
        const res = await m.query(`INSERT IGNORE INTO t_uq_dipose (ref_type, ref_id) VALUES (?, ?)`, [k, no]);
        if (Number(res.affectedRows) !== 1) return;
      }
      await m.query(`INSERT INTO t_payment_anomaly (payment_no, kind, detail) VALUES (?, ?, ?)`, [
        no,
        k,
        text,
      ]);
    };
    if (manager) await write(manager);
    else if (opts.once) await this.ds.transaction('READ COMMITTED', write);
    else await write(this.ds.manager);
  }
}
