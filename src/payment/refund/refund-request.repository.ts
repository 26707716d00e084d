import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { casTransition } from '../../idempotency';
import { RefundRequest, RefundRequestStatus } from './refund-request.entity';
import { REFUND_REQUEST_MACHINE } from './refund-state';

export interface NewRefundRequest {
  requestNo: string;
  orderNo: string;
  userId: string;
  amount: number;
  reason: string;
  idempotencyKey: string | null;
  requestFingerprint: string | null;
}

/** t_refund_request: reads by QueryBuilder, writes by SQL, as RefundRepository. */
@Injectable()
export class RefundRequestRepository {
  constructor(private readonly ds: DataSource) {}

  private m(manager: EntityManager | null): EntityManager {
    return manager ?? this.ds.manager;
  }

  findByRequestNo(manager: EntityManager | null, requestNo: string): Promise<RefundRequest | null> {
    return this.m(manager)
      .getRepository(RefundRequest)
      .createQueryBuilder('q')
      .where('q.request_no = :requestNo', { requestNo })
      .getOne();
  }

  findOpenByOrder(manager: EntityManager | null, orderNo: string): Promise<RefundRequest | null> {
    return this.m(manager)
      .getRepository(RefundRequest)
      .findOne({ where: { orderNo, openFlag: 1 } });
  }

  findByUserKey(manager: EntityManager | null, userId: string, key: string): Promise<RefundRequest | null> {
    return this.m(manager)
      .getRepository(RefundRequest)
      .findOne({ where: { userId, idempotencyKey: key } });
  }

  /** Newest first, at most `limit`; a user's own when `userId` is given, every user's otherwise. */
  list(
    manager: EntityManager | null,
    q: { userId?: string; status?: RefundRequestStatus; limit: number },
  ): Promise<RefundRequest[]> {
    const qb = this.m(manager).getRepository(RefundRequest).createQueryBuilder('q');
    if (q.userId !== undefined) qb.andWhere('q.user_id = :userId', { userId: q.userId });
    if (q.status) qb.andWhere('q.status = :status', { status: q.status });
    return qb.orderBy('q.id', 'DESC').limit(q.limit).getMany();
  }

  /** Throws ER_DUP_ENTRY on uq_refund_request_open (an open request exists) or uq_refund_request_user_idem. */
  async insert(manager: EntityManager | null, r: NewRefundRequest): Promise<void> {
    await this.m(manager).query(
      `INSERT INTO t_refund_request (request_no, order_no, user_id, amount, reason, status, open_flag,
         idempotency_key, request_fingerprint)
       VALUES (?, ?, ?, ?, ?, 'OPEN', 1, ?, ?)`,
      [r.requestNo, r.orderNo, r.userId, r.amount, r.reason, r.idempotencyKey, r.requestFingerprint],
    );
  }

  /**
   * The decision, as one CAS OPEN → APPROVED | REJECTED that also clears `open_flag` (the order may get
   * a new request). True iff this call decided.
   */
  decide(
    manager: EntityManager,
    requestNo: string,
    to: 'APPROVED' | 'REJECTED',
    set: { decided_by: string; refund_no?: string; reject_reason?: string },
  ): Promise<boolean> {
    return casTransition(manager, {
      table: 't_refund_request',
      idColumn: 'request_no',
      id: requestNo,
      machine: REFUND_REQUEST_MACHINE,
      from: ['OPEN'],
      to,
      set: { ...set, open_flag: null, decided_at: new Date() },
    });
  }
}
