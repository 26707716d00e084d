import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { casTransition } from '../../idempotency';
import { PaymentChannel } from '../entities/payment.entity';
import { Refund, RefundStatus } from './refund.entity';
import { REFUND_MACHINE } from './refund-state';

export interface NewRefund {
  refundNo: string;
  paymentNo: string;
  orderNo: string;
  userId: string;
  channel: PaymentChannel;
  amount: number;
  reason: string;
  restock: boolean;
  walletDebit: number;
  requestedBy: string;
  idempotencyKey: string | null;
  requestFingerprint: string | null;
}

/** A SUCCESS payment as a refund sees it: `refunded` counts succeeded and pending refunds (the reservation). */
export interface RefundablePayment {
  paymentNo: string;
  channel: PaymentChannel;
  amount: number;
  refunded: number;
}

/**
 * t_refund and the refund columns of t_payment. Reads by QueryBuilder (entity mapping), writes by
 * SQL, as in PaymentRepository; a manager joins the caller's transaction.
 */
@Injectable()
export class RefundRepository {
  constructor(private readonly ds: DataSource) {}

  private m(manager: EntityManager | null): EntityManager {
    return manager ?? this.ds.manager;
  }

  findByRefundNo(manager: EntityManager | null, refundNo: string): Promise<Refund | null> {
    return this.m(manager)
      .getRepository(Refund)
      .createQueryBuilder('r')
      .where('r.refund_no = :refundNo', { refundNo })
      .getOne();
  }

  findByOrder(orderNo: string): Promise<Refund[]> {
    return this.ds.getRepository(Refund).find({ where: { orderNo }, order: { id: 'ASC' } });
  }

  findByRequesterKey(requestedBy: string, key: string): Promise<Refund | null> {
    return this.ds.getRepository(Refund).findOne({ where: { requestedBy, idempotencyKey: key } });
  }

  /** PENDING refunds untouched since `before`, one keyset page by id after `afterId` (the sweeper). */
  findPendingBefore(before: Date, limit: number, afterId: number): Promise<Refund[]> {
    return this.ds
      .getRepository(Refund)
      .createQueryBuilder('r')
      .where("r.status = 'PENDING' AND r.updated_at < :before AND r.id > :afterId", { before, afterId })
      .orderBy('r.id', 'ASC')
      .limit(limit)
      .getMany();
  }

  /** Succeeded refunds of a day by succeeded_at in [from, to) (reconciliation's reverse check). */
  findSucceededBetween(from: Date, to: Date): Promise<Refund[]> {
    return this.ds
      .getRepository(Refund)
      .createQueryBuilder('r')
      .where(
        "r.status = 'SUCCEEDED' AND r.channel <> 'wallet' AND r.succeeded_at >= :from AND r.succeeded_at < :to",
        {
          from,
          to,
        },
      )
      .getMany();
  }

  async insert(manager: EntityManager, r: NewRefund): Promise<void> {
    await manager.query(
      `INSERT INTO t_refund (refund_no, payment_no, order_no, user_id, channel, amount, status, reason, restock,
         wallet_debit, attempts, requested_by, idempotency_key, request_fingerprint)
       VALUES (?, ?, ?, ?, ?, ?, 'PENDING', ?, ?, ?, 0, ?, ?, ?)`,
      [
        r.refundNo,
        r.paymentNo,
        r.orderNo,
        r.userId,
        r.channel,
        r.amount,
        r.reason,
        r.restock ? 1 : 0,
        r.walletDebit,
        r.requestedBy,
        r.idempotencyKey,
        r.requestFingerprint,
      ],
    );
  }

  /**
   * THE check "refunded + amount ≤ paid" and the reservation, as one CAS on the payment row: true iff
   * the payment is SUCCESS and still has `amount` fen not refunded nor reserved by a pending refund.
   */
  async reserve(manager: EntityManager, paymentNo: string, amount: number): Promise<boolean> {
    const res = await manager.query(
      `UPDATE t_payment SET refunded_amount = refunded_amount + ?
       WHERE payment_no = ? AND status = 'SUCCESS' AND refunded_amount + ? <= amount`,
      [amount, paymentNo, amount],
    );
    return Number(res.affectedRows) === 1;
  }

  /** Gives a failed refund's reservation back; call only under the refund's PENDING → FAILED CAS. */
  async release(manager: EntityManager, paymentNo: string, amount: number): Promise<void> {
    const res = await manager.query(
      `UPDATE t_payment SET refunded_amount = refunded_amount - ? WHERE payment_no = ? AND refunded_amount >= ?`,
      [amount, paymentNo, amount],
    );
    if (Number(res.affectedRows) !== 1)
      throw new Error(`release of ${amount} on ${paymentNo}: nothing reserved`);
  }

  /** The order's SUCCESS payments with what is refunded or reserved of each, oldest first (no lock). */
  async successPayments(orderNo: string): Promise<RefundablePayment[]> {
    const rows: Array<Record<string, unknown>> = await this.ds.query(
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

  /** The order's payments (number and status), any status. */
  async paymentsOf(orderNo: string): Promise<Array<{ paymentNo: string; status: string }>> {
    const rows: Array<Record<string, unknown>> = await this.ds.query(
      'SELECT payment_no, status FROM t_payment WHERE order_no = ? ORDER BY id',
      [orderNo],
    );
    return rows.map((r) => ({ paymentNo: String(r.payment_no), status: String(r.status) }));
  }

  /** Locks the payment row: every refund state change of a payment takes this lock first (one lock order). */
  async lockPayment(
    manager: EntityManager,
    paymentNo: string,
  ): Promise<{ amount: number; refunded: number }> {
    const rows = await manager.query(
      'SELECT amount, refunded_amount FROM t_payment WHERE payment_no = ? FOR UPDATE',
      [paymentNo],
    );
    if (!rows.length) throw new Error(`payment ${paymentNo} not found`);
    return { amount: Number(rows[0].amount), refunded: Number(rows[0].refunded_amount) };
  }

  /** The payment's succeeded refunds in fen, read under the payment lock (a locking read: latest rows). */
  async succeededTotal(manager: EntityManager, paymentNo: string): Promise<number> {
    const rows = await manager.query(
      `SELECT COALESCE(SUM(amount), 0) AS s FROM t_refund WHERE payment_no = ? AND status = 'SUCCEEDED'
       LOCK IN SHARE MODE`,
      [paymentNo],
    );
    return Number(rows[0].s);
  }

  async bumpAttempts(refundNo: string): Promise<void> {
    await this.ds.query(`UPDATE t_refund SET attempts = attempts + 1 WHERE refund_no = ?`, [refundNo]);
  }

  /** CAS on the refund's status; true iff this call made the transition. */
  cas(
    manager: EntityManager,
    refundNo: string,
    from: RefundStatus[],
    to: RefundStatus,
    set: Record<string, unknown> = {},
  ): Promise<boolean> {
    return casTransition(manager, {
      table: 't_refund',
      idColumn: 'refund_no',
      id: refundNo,
      machine: REFUND_MACHINE,
      from,
      to,
      set,
    });
  }
}
