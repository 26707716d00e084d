import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AuthUser } from '../../common/auth/auth.decorators';
import { duplicateKeyName, isDatabaseUnavailable, isDuplicateKey } from '../../common/database/db-errors';
import { TransactionService } from '../../common/database/transaction.service';
import { DomainError, ErrorCode } from '../../common/errors';
import { IdempotencyContext, IdempotentReplay } from '../../idempotency';
import { Order, OrderRefundService } from '../../order';
import { CreateRefundDto, RefundResponse } from '../dto/refund.dto';
import { Refund } from './refund.entity';
import { PaymentRepository, RefundablePayment } from '../payment.repository';
import { RefundRepository } from './refund.repository';
import { RefundSettleService } from './refund-settle.service';
import { newRefundNo, REFUND_NO_PATTERN } from './refund-state';

const ORDER_NO = /^[A-Za-z0-9_]{1,32}$/;

/** What a refund of an order would take money from (`RefundService.target`). */
export interface RefundTarget {
  order: Order;
  payment: RefundablePayment;
  /** fen neither refunded nor reserved, as read (the reservation CAS decides) */
  available: number;
  /** the payment paid the order (false: money taken after a cancel, which the order never held) */
  paidByPayment: boolean;
}

/**
 * Refund requests and reads (the API side). `create`: one transaction reserves the amount on the
 * payment (`refunded + amount ≤ paid`, one CAS), takes a RECHARGE order's credit back from the wallet
 * (409 INSUFFICIENT_BALANCE otherwise) and inserts the refund with its number; only after that commit
 * is the gateway called (RefundSettleService), so every retry finds the number to reuse.
 */
@Injectable()
export class RefundService {
  private readonly logger = new Logger(RefundService.name);

  constructor(
    private readonly tx: TransactionService,
    private readonly repo: RefundRepository,
    private readonly payments: PaymentRepository,
    private readonly orders: OrderRefundService,
    private readonly settle: RefundSettleService,
  ) {}

  /**
   * THE rule "which payment a refund of this order takes money from" (admin refunds and user requests):
   * - a PAID or PARTIALLY_REFUNDED order: the payment that paid it;
   * - a CANCELLED order: its oldest SUCCESS payment with money left (else its first, all refunded) —
   *   money taken after the cancel (PAID_AFTER_CANCEL / PAID_AFTER_CLOSE_UNFULFILLABLE), which the
   *   order never held;
   * - anything else (CREATED, PAYING, REFUNDED, or a cancelled order that took no money): none.
   * `available` is what is neither refunded nor reserved by a pending refund, as read now (the CAS
   * at creation is what decides).
   * With `paymentNo`, that payment of the order, whatever the order's state, if it is SUCCESS (a second
   * payment of a paid order: DUPLICATE_PAYMENT).
   * @param ownerId when given, an order of another user is NOT_FOUND (as every user route answers).
   * @throws NOT_FOUND (also a `paymentNo` that is not this order's), ORDER_NOT_REFUNDABLE
   */
  async target(orderNo: string, ownerId?: string, paymentNo?: string): Promise<RefundTarget> {
    const order = ORDER_NO.test(orderNo) ? await this.orders.find(null, orderNo) : null;
    if (!order || (ownerId !== undefined && order.userId !== ownerId)) {
      throw new DomainError(ErrorCode.NOT_FOUND, `Order ${orderNo} not found`);
    }
    const paid = await this.payments.findRefundableByOrder(null, orderNo);
    let payment: RefundablePayment | undefined;
    if (paymentNo !== undefined) {
      payment = paid.find((p) => p.paymentNo === paymentNo);
      if (!payment) {
        const any = (await this.payments.findByOrder(null, orderNo)).find((p) => p.paymentNo === paymentNo);
        if (!any)
          throw new DomainError(ErrorCode.NOT_FOUND, `Payment ${paymentNo} of order ${orderNo} not found`);
        throw new DomainError(ErrorCode.ORDER_NOT_REFUNDABLE, 'Only a successful payment can be refunded', {
          orderNo,
          status: order.status,
          paymentNo,
          paymentStatus: any.status,
        });
      }
    } else if (order.status === 'PAID' || order.status === 'PARTIALLY_REFUNDED') {
      payment = paid.find((p) => this.orders.paidByPayment(order, p.paymentNo));
    } else if (order.status === 'CANCELLED') {
      // money left on one of them; else the first, so the reservation answers REFUND_EXCEEDS_PAID
      payment = paid.find((p) => p.refunded < p.amount) ?? paid[0];
    }
    if (!payment) throw notRefundable(order);
    return {
      order,
      payment,
      available: payment.amount - payment.refunded,
      paidByPayment: this.orders.paidByPayment(order, payment.paymentNo),
    };
  }

  /**
   * @param opts.within runs inside the creating transaction after the refund row is inserted (a refund
   *   request's approval CAS): if it throws, nothing is created.
   * @throws NOT_FOUND, ORDER_NOT_REFUNDABLE (not paid, or fully refunded), REFUND_EXCEEDS_PAID,
   *   INSUFFICIENT_BALANCE (a recharge whose credit was spent), IDEMPOTENCY_KEY_REUSED.
   */
  async create(
    admin: AuthUser,
    orderNo: string,
    dto: CreateRefundDto,
    ctx: IdempotencyContext | null,
    opts: { within?: (m: EntityManager, refundNo: string) => Promise<void> } = {},
  ): Promise<RefundResponse> {
    if (ctx?.key) {
      // a replay answers before the order's state is read: the order may be REFUNDED by this very refund
      if (!ORDER_NO.test(orderNo) || !(await this.orders.find(null, orderNo))) {
        throw new DomainError(ErrorCode.NOT_FOUND, `Order ${orderNo} not found`);
      }
      const existing = await this.repo.findByRequesterKey(null, admin.userId, ctx.key);
      if (existing) this.replay(existing, ctx);
    }
    const { order, payment, paidByPayment } = await this.target(orderNo, undefined, dto.paymentNo);

    const refundNo = newRefundNo();
    try {
      await this.tx.run(
        async (m) => {
          if (!(await this.payments.reserveRefund(m, payment.paymentNo, dto.amount))) {
            const now = await this.payments.lockForRefund(m, payment.paymentNo);
            throw new DomainError(
              ErrorCode.REFUND_EXCEEDS_PAID,
              'The refunds of this order would exceed what was paid',
              { paid: now.amount, refunded: now.refunded, available: now.amount - now.refunded },
            );
          }
          // a restock returns the whole order: only the refund that leaves nothing of the order's payment
          // may ask for it (a refund names an amount, not items; 1 fen must not return 5 units)
          const restock = (dto.restock ?? false) && paidByPayment && order.type === 'GOODS';
          if (restock) {
            const now = await this.payments.lockForRefund(m, payment.paymentNo);
            if (now.refunded < now.amount) {
              throw new DomainError(
                ErrorCode.PARTIAL_RESTOCK,
                'restock returns the whole order: only a refund of everything left may ask for it',
                { amount: dto.amount, available: now.amount - now.refunded + dto.amount },
              );
            }
          }
          let walletDebit = 0;
          // a recharge credited the wallet when it paid the order; money taken after a cancel never did
          if (order.type === 'RECHARGE' && payment.channel !== 'wallet' && paidByPayment) {
            const move = { userId: order.userId, amount: dto.amount, refundNo, channel: payment.channel };
            if (!(await this.orders.debitRecharge(m, move))) {
              throw new DomainError(
                ErrorCode.INSUFFICIENT_BALANCE,
                "The wallet no longer holds this recharge's credit",
                { orderNo, amount: dto.amount },
              );
            }
            walletDebit = dto.amount;
          }
          await this.repo.insert(m, {
            refundNo,
            paymentNo: payment.paymentNo,
            orderNo,
            userId: order.userId,
            channel: payment.channel,
            amount: dto.amount,
            reason: dto.reason,
            restock: dto.restock ?? false,
            walletDebit,
            requestedBy: admin.userId,
            idempotencyKey: ctx?.key ?? null,
            requestFingerprint: ctx?.fingerprint ?? null,
          });
          if (opts.within) await opts.within(m, refundNo);
        },
        {
          // a COMMIT without an answer: the refund's number says on a fresh connection whether it exists
          confirm: {
            committed: async (m) => (await this.repo.findByRefundNo(m, refundNo)) !== null,
            details: { refundNo, orderNo },
          },
        },
      );
    } catch (err) {
      if (isDuplicateKey(err) && duplicateKeyName(err) === 'uq_refund_requester_idem' && ctx?.key) {
        const existing = await this.repo.findByRequesterKey(null, admin.userId, ctx.key);
        if (existing) this.replay(existing, ctx);
      }
      throw err;
    }
    // the number is stored: call the gateway now; whatever happens, the refund is settled later if not now
    await this.settle.attempt(refundNo).catch((err: Error) => {
      this.logger.warn(
        `refund ${refundNo}: first gateway call failed (${err.message}); the query settles it`,
      );
    });
    return this.toJson(await this.readBack(refundNo, orderNo));
  }

  /**
   * The refund as it is now, after its commit (and maybe the gateway's refund). Committed work must
   * never be answered "503, retry": a read that fails is tried again on fresh connections, and if it
   * still cannot be read the answer is OUTCOME_UNKNOWN naming the refund (it exists; its status is
   * GET /v1/refunds/{refundNo}), which the guards answer by holding on.
   */
  private async readBack(refundNo: string, orderNo: string): Promise<Refund> {
    let last: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const r = await this.repo.findByRefundNo(null, refundNo);
        if (r) return r;
        last = new Error(`refund ${refundNo} not found after its commit`);
      } catch (err) {
        if (!isDatabaseUnavailable(err)) throw err;
        last = err;
      }
    }
    this.logger.error(`refund ${refundNo} committed but unreadable: ${(last as Error).message}`);
    throw new DomainError(
      ErrorCode.OUTCOME_UNKNOWN,
      `Refund ${refundNo} was created but could not be read back; GET /v1/refunds/${refundNo} for its status`,
      { reason: 'OUTCOME_UNKNOWN', refundNo, orderNo, committed: true },
    );
  }

  /** One refund, for its order's owner or an admin (others: 404). */
  async get(user: AuthUser, refundNo: string): Promise<RefundResponse> {
    const r = REFUND_NO_PATTERN.test(refundNo) ? await this.repo.findByRefundNo(null, refundNo) : null;
    if (!r || (user.role !== 'admin' && r.userId !== user.userId)) {
      throw new DomainError(ErrorCode.NOT_FOUND, `Refund ${refundNo} not found`);
    }
    return this.toJson(r);
  }

  /** The refunds of an order, oldest first, for its owner or an admin (others: 404). */
  async listForOrder(user: AuthUser, orderNo: string): Promise<RefundResponse[]> {
    const order = ORDER_NO.test(orderNo) ? await this.orders.find(null, orderNo) : null;
    if (!order || (user.role !== 'admin' && order.userId !== user.userId)) {
      throw new DomainError(ErrorCode.NOT_FOUND, `Order ${orderNo} not found`);
    }
    return (await this.repo.findByOrder(null, orderNo)).map((r) => this.toJson(r));
  }

  toJson(r: Refund): RefundResponse {
    return {
      refundNo: r.refundNo,
      orderNo: r.orderNo,
      paymentNo: r.paymentNo,
      amount: r.amount,
      status: r.status,
      reason: r.reason,
      restock: r.restock,
      createdAt: r.createdAt.toISOString(),
      succeededAt: r.succeededAt ? r.succeededAt.toISOString() : null,
      failedReason: r.failedReason,
    };
  }

  /** The key's row outlived its Redis record: same request → replay the refund, other → 422. */
  private replay(existing: Refund, ctx: IdempotencyContext): never {
    if (existing.requestFingerprint !== ctx.fingerprint) {
      throw new DomainError(
        ErrorCode.IDEMPOTENCY_KEY_REUSED,
        'This Idempotency-Key was used with a different request; use a new key for a new operation',
      );
    }
    throw new IdempotentReplay(201, this.toJson(existing));
  }
}

function notRefundable(order: Order): DomainError {
  return new DomainError(
    ErrorCode.ORDER_NOT_REFUNDABLE,
    order.status === 'REFUNDED'
      ? 'The order is already fully refunded'
      : order.status === 'CANCELLED'
        ? 'This cancelled order holds no money to refund'
        : 'Only a paid order can be refunded',
    { orderNo: order.orderNo, status: order.status },
  );
}
