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

/** t_payment access with purpose-named methods; a manager joins the caller's transaction. */
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
  findClosedSince(since: Date, limit: number, afterId = 0): Promise<Payment[]> {
    return this.ds
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
  findPaidBetween(from: Date, to: Date): Promise<Payment[]> {
    return this.ds
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

  async setQrCode(paymentNo: string, qrCode: string): Promise<void> {
    await this.ds.query(`UPDATE t_payment SET qr_code = ? WHERE payment_no = ? AND qr_code IS NULL`, [
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
