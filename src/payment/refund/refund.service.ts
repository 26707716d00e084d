import { Injectable, Logger } from '@nestjs/common';
import { AuthUser } from '../../common/auth/auth.decorators';
import { duplicateKeyName, isDuplicateKey } from '../../common/database/db-errors';
import { TransactionService } from '../../common/database/transaction.service';
import { DomainError, ErrorCode } from '../../common/errors';
import { IdempotencyContext, IdempotentReplay } from '../../idempotency';
import { Order, OrderRefundService } from '../../order';
import { CreateRefundDto, RefundResponse } from '../dto/refund.dto';
import { PaymentRepository } from '../payment.repository';
import { Refund } from './refund.entity';
import { RefundRepository } from './refund.repository';
import { RefundSettleService } from './refund-settle.service';
import { newRefundNo, REFUND_NO_PATTERN } from './refund-state';

const ORDER_NO = /^[A-Za-z0-9_]{1,32}$/;

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
   * @throws NOT_FOUND, ORDER_NOT_REFUNDABLE (not paid, or fully refunded), REFUND_EXCEEDS_PAID,
   *   INSUFFICIENT_BALANCE (a recharge whose credit was spent), IDEMPOTENCY_KEY_REUSED.
   */
  async create(
    admin: AuthUser,
    orderNo: string,
    dto: CreateRefundDto,
    ctx: IdempotencyContext | null,
  ): Promise<RefundResponse> {
    const order = ORDER_NO.test(orderNo) ? await this.orders.find(null, orderNo) : null;
    if (!order) throw new DomainError(ErrorCode.NOT_FOUND, `Order ${orderNo} not found`);
    if (ctx?.key) {
      const existing = await this.repo.findByRequesterKey(admin.userId, ctx.key);
      if (existing) this.replay(existing, ctx);
    }
    if (order.status !== 'PAID' && order.status !== 'PARTIALLY_REFUNDED') throw notRefundable(order);
    const payment = (await this.payments.findByOrder(null, orderNo)).find((p) => p.status === 'SUCCESS');
    if (!payment) throw notRefundable(order);

    const refundNo = newRefundNo();
    try {
      await this.tx.run(async (m) => {
        if (!(await this.repo.reserve(m, payment.paymentNo, dto.amount))) {
          const now = await this.repo.lockPayment(m, payment.paymentNo);
          throw new DomainError(
            ErrorCode.REFUND_EXCEEDS_PAID,
            'The refunds of this order would exceed what was paid',
            { paid: now.amount, refunded: now.refunded, available: now.amount - now.refunded },
          );
        }
        let walletDebit = 0;
        if (order.type === 'RECHARGE' && payment.channel !== 'wallet') {
          if (!(await this.orders.debitRecharge(m, order.userId, dto.amount))) {
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
      });
    } catch (err) {
      if (isDuplicateKey(err) && duplicateKeyName(err) === 'uq_refund_requester_idem' && ctx?.key) {
        const existing = await this.repo.findByRequesterKey(admin.userId, ctx.key);
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
    return this.toJson((await this.repo.findByRefundNo(null, refundNo))!);
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
    return (await this.repo.findByOrder(orderNo)).map((r) => this.toJson(r));
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
    order.status === 'REFUNDED' ? 'The order is already fully refunded' : 'Only a paid order can be refunded',
    { orderNo: order.orderNo, status: order.status },
  );
}
