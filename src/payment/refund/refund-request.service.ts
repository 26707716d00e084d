import { Injectable, Logger } from '@nestjs/common';
import { AuthUser } from '../../common/auth/auth.decorators';
import { duplicateKeyName, isDuplicateKey } from '../../common/database/db-errors';
import { TransactionService } from '../../common/database/transaction.service';
import { DomainError, ErrorCode } from '../../common/errors';
import { IdempotencyContext, IdempotentReplay } from '../../idempotency';
import {
  ApproveRefundRequestDto,
  CreateRefundRequestDto,
  ListRefundRequestsQuery,
  RefundRequestResponse,
  RejectRefundRequestDto,
} from '../dto/refund-request.dto';
import { RefundRequest } from './refund-request.entity';
import { RefundRequestRepository } from './refund-request.repository';
import { newRefundRequestNo, REFUND_REQUEST_NO_PATTERN } from './refund-state';
import { RefundService } from './refund.service';

/** Thrown inside the approval's transaction when the request was decided meanwhile: rolls the refund back. */
class AlreadyDecided {}

/**
 * User refund requests (issue 12). A buyer asks (`create`: one OPEN request per order, amount at most
 * what is left to refund); an admin decides once. `approve` is an ordinary admin refund
 * (`RefundService.create`, the one exactly-once money path) whose transaction also carries the
 * request's CAS OPEN → APPROVED: the refund exists iff the request is APPROVED, and two decisions
 * racing (approve × approve, approve × reject) end in exactly one. A request moves no money and
 * reserves nothing by itself.
 */
@Injectable()
export class RefundRequestService {
  private readonly logger = new Logger(RefundRequestService.name);

  constructor(
    private readonly tx: TransactionService,
    private readonly repo: RefundRequestRepository,
    private readonly refunds: RefundService,
  ) {}

  /**
   * @throws NOT_FOUND (no such order, or another user's), ORDER_NOT_REFUNDABLE, REFUND_EXCEEDS_PAID
   *   (more than is left to refund), REFUND_REQUEST_OPEN (the order has an open request),
   *   IDEMPOTENCY_KEY_REUSED.
   */
  async create(
    user: AuthUser,
    orderNo: string,
    dto: CreateRefundRequestDto,
    ctx: IdempotencyContext | null,
  ): Promise<RefundRequestResponse> {
    if (ctx?.key) {
      const existing = await this.repo.findByUserKey(null, user.userId, ctx.key);
      if (existing) this.replay(existing, ctx);
    }
    const target = await this.refunds.target(orderNo, user.userId);
    const amount = dto.amount ?? target.available;
    if (amount < 1 || amount > target.available) {
      throw new DomainError(
        ErrorCode.REFUND_EXCEEDS_PAID,
        target.available > 0
          ? 'The amount asked for is more than is left to refund'
          : 'Everything paid is refunded or being refunded',
        { paid: target.payment.amount, refunded: target.payment.refunded, available: target.available },
      );
    }
    const requestNo = newRefundRequestNo();
    try {
      await this.repo.insert(null, {
        requestNo,
        orderNo,
        userId: user.userId,
        amount,
        reason: dto.reason,
        idempotencyKey: ctx?.key ?? null,
        requestFingerprint: ctx?.fingerprint ?? null,
      });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      const key = duplicateKeyName(err);
      if (key === 'uq_refund_request_user_idem' && ctx?.key) {
        const existing = await this.repo.findByUserKey(null, user.userId, ctx.key);
        if (existing) this.replay(existing, ctx);
      }
      if (key === 'uq_refund_request_open') {
        const open = await this.repo.findOpenByOrder(null, orderNo);
        throw new DomainError(
          ErrorCode.REFUND_REQUEST_OPEN,
          'This order already has an open refund request; wait for its decision',
          { orderNo, requestNo: open?.requestNo ?? null },
        );
      }
      throw err;
    }
    this.logger.log(`refund request ${requestNo} OPEN: order ${orderNo}, ${amount} fen`);
    return this.toJson((await this.repo.findByRequestNo(null, requestNo))!);
  }

  /**
   * Creates the request's refund and marks it APPROVED, in one transaction. Approving an APPROVED
   * request answers it as it is (idempotent); a REJECTED one is 409 REFUND_REQUEST_DECIDED.
   * @throws NOT_FOUND, REFUND_REQUEST_DECIDED, and the refund's own refusals (ORDER_NOT_REFUNDABLE,
   *   REFUND_EXCEEDS_PAID, INSUFFICIENT_BALANCE) — the request then stays OPEN, to be rejected.
   */
  async approve(
    admin: AuthUser,
    requestNo: string,
    dto: ApproveRefundRequestDto,
  ): Promise<RefundRequestResponse> {
    const r = await this.find(requestNo);
    if (r.status !== 'OPEN') return this.decidedAnswer(r, 'APPROVED');
    try {
      await this.refunds.create(
        admin,
        r.orderNo,
        { amount: r.amount, reason: r.reason, restock: dto?.restock ?? false },
        null,
        {
          within: async (m, refundNo) => {
            const won = await this.repo.decide(m, requestNo, 'APPROVED', {
              decided_by: admin.userId,
              refund_no: refundNo,
            });
            if (!won) throw new AlreadyDecided();
          },
        },
      );
    } catch (err) {
      // decided meanwhile (another approval took the money, a rejection won): answer by what it is now
      const now = await this.find(requestNo);
      if (now.status !== 'OPEN') return this.decidedAnswer(now, 'APPROVED');
      if (err instanceof AlreadyDecided)
        throw new Error(`refund request ${requestNo} lost its CAS yet is OPEN`);
      throw err;
    }
    const done = await this.find(requestNo);
    this.logger.log(`refund request ${requestNo} APPROVED by ${admin.userId}: refund ${done.refundNo}`);
    return this.toJson(done);
  }

  /**
   * Rejects an OPEN request with the admin's reason. Rejecting a REJECTED request answers it as it is;
   * an APPROVED one is 409 REFUND_REQUEST_DECIDED.
   */
  async reject(
    admin: AuthUser,
    requestNo: string,
    dto: RejectRefundRequestDto,
  ): Promise<RefundRequestResponse> {
    const r = await this.find(requestNo);
    if (r.status === 'OPEN') {
      await this.tx.run((m) =>
        this.repo.decide(m, requestNo, 'REJECTED', { decided_by: admin.userId, reject_reason: dto.reason }),
      );
    }
    return this.decidedAnswer(await this.find(requestNo), 'REJECTED');
  }

  /** One request, for its owner or an admin (others: 404). */
  async get(user: AuthUser, requestNo: string): Promise<RefundRequestResponse> {
    const r = await this.find(requestNo);
    if (user.role !== 'admin' && r.userId !== user.userId) throw notFound(requestNo);
    return this.toJson(r);
  }

  /** Newest first: an admin sees every user's requests (the review queue: `status=OPEN`), a user their own. */
  async list(user: AuthUser, q: ListRefundRequestsQuery): Promise<RefundRequestResponse[]> {
    const rows = await this.repo.list(null, {
      userId: user.role === 'admin' ? undefined : user.userId,
      status: q.status,
      limit: q.limit ?? 50,
    });
    return rows.map((r) => this.toJson(r));
  }

  toJson(r: RefundRequest): RefundRequestResponse {
    return {
      requestNo: r.requestNo,
      orderNo: r.orderNo,
      userId: r.userId,
      amount: r.amount,
      reason: r.reason,
      status: r.status,
      refundNo: r.refundNo,
      rejectReason: r.rejectReason,
      createdAt: r.createdAt.toISOString(),
      decidedAt: r.decidedAt ? r.decidedAt.toISOString() : null,
    };
  }

  private async find(requestNo: string): Promise<RefundRequest> {
    const r = REFUND_REQUEST_NO_PATTERN.test(requestNo)
      ? await this.repo.findByRequestNo(null, requestNo)
      : null;
    if (!r) throw notFound(requestNo);
    return r;
  }

  /** A decided request: the decision asked for again is answered as it stands; the other one is 409. */
  private decidedAnswer(r: RefundRequest, asked: 'APPROVED' | 'REJECTED'): RefundRequestResponse {
    if (r.status === asked) return this.toJson(r);
    throw new DomainError(ErrorCode.REFUND_REQUEST_DECIDED, `This refund request is already ${r.status}`, {
      requestNo: r.requestNo,
      status: r.status,
      refundNo: r.refundNo,
    });
  }

  /** The key's row outlived its Redis record: same request → replay it, other → 422. */
  private replay(existing: RefundRequest, ctx: IdempotencyContext): never {
    if (existing.requestFingerprint !== ctx.fingerprint) {
      throw new DomainError(
        ErrorCode.IDEMPOTENCY_KEY_REUSED,
        'This Idempotency-Key was used with a different request; use a new key for a new operation',
      );
    }
    throw new IdempotentReplay(201, this.toJson(existing));
  }
}

function notFound(requestNo: string): DomainError {
  return new DomainError(ErrorCode.NOT_FOUND, `Refund request ${requestNo} not found`);
}
