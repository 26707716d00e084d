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

/**
 * t_refund. Reads by QueryBuilder (entity mapping), writes by SQL, as in PaymentRepository (which owns
 * the refund columns of t_payment: the reservation, its release, the payment lock); a manager joins the
 * caller's transaction.
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

  /** For the console's overview: refunds that succeeded per minute since `since`, by channel. */
  async succeededPerMinuteSince(
    since: Date,
  ): Promise<Array<{ minute: string; channel: string; refunds: number; amount: number }>> {
    const rows: any[] = await this.ds.query(
      `SELECT DATE_FORMAT(succeeded_at, '%Y-%m-%dT%H:%i') AS minute, channel, COUNT(*) AS refunds,
         SUM(amount) AS amount
       FROM t_refund WHERE succeeded_at >= ? AND status = 'SUCCEEDED' GROUP BY minute, channel ORDER BY minute`,
      [since],
    );
    return rows.map((r) => ({
      minute: r.minute,
      channel: r.channel,
      refunds: Number(r.refunds),
      amount: Number(r.amount),
    }));
  }

  findByOrder(manager: EntityManager | null, orderNo: string): Promise<Refund[]> {
    return this.m(manager)
      .getRepository(Refund)
      .find({ where: { orderNo }, order: { id: 'ASC' } });
  }

  findByRequesterKey(
    manager: EntityManager | null,
    requestedBy: string,
    key: string,
  ): Promise<Refund | null> {
    return this.m(manager)
      .getRepository(Refund)
      .findOne({ where: { requestedBy, idempotencyKey: key } });
  }

  /** PENDING refunds untouched since `before`, one keyset page by id after `afterId` (the sweeper). */
  findPendingBefore(
    manager: EntityManager | null,
    before: Date,
    limit: number,
    afterId: number,
  ): Promise<Refund[]> {
    return this.m(manager)
      .getRepository(Refund)
      .createQueryBuilder('r')
      .where("r.status = 'PENDING' AND r.updated_at < :before AND r.id > :afterId", { before, afterId })
      .orderBy('r.id', 'ASC')
      .limit(limit)
      .getMany();
  }

  /** Succeeded refunds of a day by succeeded_at in [from, to) (reconciliation's reverse check). */
  findSucceededBetween(manager: EntityManager | null, from: Date, to: Date): Promise<Refund[]> {
    return this.m(manager)
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
   * The payment's succeeded refunds in fen, read after the payment row's claim
   * (`PaymentRepository.lockForRefund`, a write): every refund that succeeded before committed first
   * (one server: it held the row's lock; Galera: certification ordered it first, or this transaction
   * was rolled back and retried), so a READ COMMITTED read sees it. No `LOCK IN SHARE MODE`: on
   * multi-primary it would hold on this node only and guard nothing.
   */
  async succeededTotal(manager: EntityManager, paymentNo: string): Promise<number> {
    const rows = await manager.query(
      `SELECT COALESCE(SUM(amount), 0) AS s FROM t_refund WHERE payment_no = ? AND status = 'SUCCEEDED'`,
      [paymentNo],
    );
    return Number(rows[0].s);
  }

  async bumpAttempts(manager: EntityManager | null, refundNo: string): Promise<void> {
    await this.m(manager).query(`UPDATE t_refund SET attempts = attempts + 1 WHERE refund_no = ?`, [
      refundNo,
    ]);
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
