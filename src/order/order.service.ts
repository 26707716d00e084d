import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { DomainError, ErrorCode } from '../common/errors';
import { TransactionService } from '../common/database/transaction.service';
import { ReplicaReads } from '../common/database/replica-reads';
import { OrderCancelledEvent, TOPICS } from '../common/events/payment-events';
import { OutboxService } from '../common/outbox/outbox.service';
import { DedupService } from '../idempotency';
import { OrderPageResponse, OrderResponse } from './dto/order-response.dto';
import { Order } from './entities/order.entity';
import { CatalogService } from './catalog.service';
import { ORDER_NO_PATTERN } from './order-no';
import { OrderMetrics } from './order.metrics';
import { OrderRepository } from './order.repository';
import { OrderStatus, wasPaid } from './order-state';
import { WalletService } from '../wallet';

/**
 * What the order side of a successful payment came to (`applyPaid`):
 * - `PAID`: this call moved the order CREATED|PAYING → PAID (and credited a recharge);
 * - `ALREADY_APPLIED`: the order is already PAID by this very payment (a repair re-running it);
 * - `DUPLICATE_PAYMENT`: the order is PAID by another payment (wallet, an earlier attempt);
 * - `PAID_AFTER_CANCEL`: the order is CANCELLED and cannot take the money.
 * The caller (the payment module) records the anomaly, once, from this outcome.
 */
export type OrderPaidOutcome = 'PAID' | 'ALREADY_APPLIED' | 'DUPLICATE_PAYMENT' | 'PAID_AFTER_CANCEL';

/** What the order became once its payment was closed unpaid (`settleAfterPaymentClosed`). */
export type OrderAfterCloseOutcome = 'REOPENED' | 'CANCELLED' | 'UNCHANGED';

/**
 * Orders after submission: read, list, cancel, expire, and the transitions the payment module
 * drives inside its own transactions (markPaying, applyPaid, settleAfterPaymentClosed). Submission
 * itself is OrderSubmitService. Cancelling an order whose payment is in flight is orchestrated by
 * the payment module (it closes the trade first, then calls settleAfterPaymentClosed); this module
 * never calls the payment module.
 *
 * Every status change is a CAS through ORDER_MACHINE (`UPDATE ... WHERE order_no=? AND status IN
 * (...)`, the row count says who won); stock is released in the same transaction as the
 * cancellation that justifies it. Methods taking a manager join the caller's transaction; `null`
 * runs them in a transaction of their own.
 */
@Injectable()
export class OrderService {
  private readonly logger = new Logger(OrderService.name);

  constructor(
    private readonly tx: TransactionService,
    private readonly repo: OrderRepository,
    private readonly replica: ReplicaReads,
    private readonly catalog: CatalogService,
    private readonly wallet: WalletService,
    private readonly dedup: DedupService,
    private readonly metrics: OrderMetrics,
    private readonly outbox: OutboxService,
  ) {}

  // ---- read --------------------------------------------------------------------------------------

  /**
   * The user's order with its items.
   * @throws DomainError NOT_FOUND when it does not exist or belongs to someone else (no difference
   *   is visible to the caller, so order numbers cannot be probed).
   */
  async getOwnedOrder(userId: string, orderNo: string): Promise<Order> {
    const order = ORDER_NO_PATTERN.test(orderNo) ? await this.repo.findByOrderNo(null, orderNo) : null;
    if (!order || order.userId !== userId) {
      throw new DomainError(ErrorCode.NOT_FOUND, `Order ${orderNo} not found`);
    }
    return order;
  }

  /**
   * The order with its items, or null; no ownership check (for trusted callers such as the payment
   * module). With a manager it reads inside that transaction.
   */
  async findByOrderNo(manager: EntityManager | null, orderNo: string): Promise<Order | null> {
    if (!ORDER_NO_PATTERN.test(orderNo)) return null;
    return this.repo.findByOrderNo(manager, orderNo);
  }

  /**
   * A page of the user's orders, newest first, with an opaque keyset cursor. Read from a replica when
   * there is one (may be a few seconds stale; the list gates no write).
   */
  async list(
    userId: string,
    q: { status?: OrderStatus; limit?: number; cursor?: string },
  ): Promise<OrderPageResponse> {
    const limit = q.limit ?? 20;
    const beforeId = q.cursor ? decodeCursor(q.cursor) : null;
    const rows = await this.replica.run((m) =>
      this.repo.listByUser(m, userId, q.status, beforeId, limit + 1),
    );
    const page = rows.slice(0, limit);
    return {
      items: page.map((o) => this.toOrderJson(o)),
      nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1].id) : null,
    };
  }

  // ---- cancel / expire ---------------------------------------------------------------------------

  /**
   * User cancel: CAS CREATED → CANCELLED releasing stock in one transaction. Cancelling a cancelled
   * order answers it as it is (idempotent). A PAYING order is refused here with
   * `ORDER_NOT_CANCELLABLE` and `details.status = 'PAYING'`: the payment module's cancel closes the
   * trade at the gateway first and then settles the order (see settleAfterPaymentClosed).
   * @throws NOT_FOUND (not the caller's), ORDER_NOT_CANCELLABLE (PAYING or PAID).
   */
  async cancel(userId: string, orderNo: string): Promise<OrderResponse> {
    await this.getOwnedOrder(userId, orderNo);
    const current = await this.tx.run(async (m) => {
      if (await this.cancelFrom(m, orderNo, ['CREATED'])) this.metrics.inc('cancelled_by_user');
      return (await this.repo.findByOrderNo(m, orderNo))!;
    });
    if (current.status === 'CANCELLED') return this.toOrderJson(current);
    throw new DomainError(
      ErrorCode.ORDER_NOT_CANCELLABLE,
      wasPaid(current.status)
        ? 'The order is paid and cannot be cancelled'
        : 'A payment of this order is in progress; it cannot be cancelled now',
      { orderNo, status: current.status },
    );
  }

  /**
   * Expiry (delayed job or sweep): cancels the order if it is still CREATED and past expires_at,
   * releasing its stock. Safe to run any number of times, on any instance, at once.
   * @returns true if this call cancelled it.
   */
  async expire(orderNo: string, now = new Date()): Promise<boolean> {
    const order = await this.repo.findByOrderNo(null, orderNo);
    if (!order || order.status !== 'CREATED') return false;
    if (order.expiresAt.getTime() > now.getTime()) return false; // early (clock skew): the sweep will come
    const won = await this.tx.run((m) => this.cancelFrom(m, orderNo, ['CREATED'], 'expired'));
    if (won) {
      this.metrics.inc('expired');
      this.logger.log(`order ${orderNo} expired and was cancelled`);
    }
    return won;
  }

  /**
   * CAS `from` → CANCELLED and, if this call won, give the stock back and write the `order.cancelled`
   * outbox event (same transaction).
   */
  async cancelFrom(
    m: EntityManager,
    orderNo: string,
    from: OrderStatus[],
    reason: OrderCancelledEvent['reason'] = 'user',
  ): Promise<boolean> {
    const cancelledAt = new Date();
    const won = await this.repo.cas(m, orderNo, from, 'CANCELLED', { cancelled_at: cancelledAt });
    if (!won) return false;
    const order = (await this.repo.findByOrderNo(m, orderNo))!;
    const items = [...(order.items ?? [])].sort((a, b) => a.productId - b.productId);
    for (const i of items) await this.catalog.releaseStock(m, i.productId, i.quantity);
    const event: OrderCancelledEvent = {
      orderNo,
      userId: order.userId,
      from: from.length === 1 ? from[0] : from.join('|'),
      reason,
      totalAmount: order.totalAmount,
      cancelledAt: cancelledAt.toISOString(),
    };
    await this.outbox.add(m, TOPICS.ORDER_CANCELLED, orderNo, event);
    return true;
  }

  // ---- transitions driven by the payment module ----------------------------------------------

  /**
   * CAS CREATED → PAYING (a gateway payment was started).
   * @returns true iff this call moved the order; false if it was not CREATED (read it to learn why).
   */
  async markPaying(manager: EntityManager | null, orderNo: string): Promise<boolean> {
    return this.inTx(manager, (m) => this.repo.cas(m, orderNo, ['CREATED'], 'PAYING'));
  }

  /**
   * The order rule after a payment of it was closed unpaid, inside the caller's (the close's)
   * transaction, so a reader sees the payment CLOSED and the order settled together. Only a PAYING
   * order with no other pending payment moves: CANCELLED (stock released) when `cancel` is asked (a
   * user cancel) or the order is past expires_at, else back to CREATED so it may be paid again.
   */
  async settleAfterPaymentClosed(
    m: EntityManager,
    orderNo: string,
    opts: { othersPending: boolean; cancel: boolean },
  ): Promise<OrderAfterCloseOutcome> {
    if (opts.othersPending) return 'UNCHANGED';
    const order = await this.repo.lockForPayment(m, orderNo);
    if (order?.status !== 'PAYING') return 'UNCHANGED';
    if (opts.cancel || order.expiresAt.getTime() <= Date.now()) {
      if (!(await this.cancelFrom(m, orderNo, ['PAYING'], opts.cancel ? 'user' : 'expired'))) {
        return 'UNCHANGED';
      }
      this.metrics.inc(opts.cancel ? 'cancelled_by_user' : 'expired');
      return 'CANCELLED';
    }
    return (await this.repo.cas(m, orderNo, ['PAYING'], 'CREATED')) ? 'REOPENED' : 'UNCHANGED';
  }

  /**
   * The order side of a successful payment, inside the caller's (the payment's) transaction.
   *
   * The happy path is three statements and no read: CAS CREATED|PAYING → PAID (recording `paid_by`;
   * the UPDATE takes the order row's lock, as `SELECT … FOR UPDATE` did before it), marker
   * `t_uq_dipose('ORDER_PAID', orderNo)`, and the wallet credit of a RECHARGE order
   * (`wallet.creditRecharge` after one read of the order, under the lock the CAS took: nothing for a
   * GOODS order; `clearing:<channel>` → wallet, posted as a journal, for a RECHARGE). A PAID order never
   * goes back to CREATED or PAYING (ORDER_MACHINE), so a CAS that wins finds no marker; a marker that
   * exists anyway is a broken invariant and rolls the caller's transaction back.
   *
   * Only when the CAS finds nothing to move is the row read, under its lock, to say why: CANCELLED,
   * already PAID by this payment or by another one, or missing. Nothing is written for those.
   * @param opts.marked the caller has already inserted `t_uq_dipose('ORDER_PAID', orderNo)` in `m`
   *   (the payment's one multi-row marker insert, `DedupService.markAll`): a CAS that wins credits
   *   under it, one that does not takes it back (`unmark`), so the marker exists iff the order is PAID.
   * @throws NOT_FOUND when the order does not exist (the caller's transaction rolls back).
   */
  async applyPaid(
    m: EntityManager,
    p: { orderNo: string; paymentNo: string; amount: number; channel: string },
    opts: { marked?: boolean } = {},
  ): Promise<OrderPaidOutcome> {
    const won = await this.repo.cas(m, p.orderNo, ['CREATED', 'PAYING'], 'PAID', {
      paid_at: new Date(),
      paid_by: p.paymentNo,
    });
    if (won) {
      if (opts.marked) {
        await this.creditRechargeOf(m, p);
      } else {
        const res = await this.dedup.runOnce('ORDER_PAID', p.orderNo, (mm) => this.creditRechargeOf(mm, p), {
          manager: m,
        });
        if (res.status === 'duplicate') {
          throw new Error(`order ${p.orderNo}: ORDER_PAID marker exists for an order that was not PAID`);
        }
      }
      this.metrics.inc('paid');
      return 'PAID';
    }
    // the caller's marker stands for a PAID transition that did not happen here: taken back
    if (opts.marked) await this.dedup.unmark(m, 'ORDER_PAID', p.orderNo);
    const order = await this.repo.lockForPayment(m, p.orderNo);
    if (!order) {
      throw new DomainError(ErrorCode.NOT_FOUND, `Order ${p.orderNo} not found`, { orderNo: p.orderNo });
    }
    if (order.status === 'CANCELLED') {
      this.metrics.inc('paid_after_cancel');
      return 'PAID_AFTER_CANCEL';
    }
    if (wasPaid(order.status)) return order.paidBy === p.paymentNo ? 'ALREADY_APPLIED' : 'DUPLICATE_PAYMENT';
    // CREATED or PAYING now, yet the CAS a moment ago found neither: nothing moves an order back
    throw new Error(`order ${p.orderNo} is ${order.status} after its CAS to PAID found nothing to move`);
  }

  /** A RECHARGE order's credit to its user's wallet, under its ORDER_PAID marker; nothing for GOODS. */
  private async creditRechargeOf(
    m: EntityManager,
    p: { orderNo: string; paymentNo: string; channel: string },
  ): Promise<void> {
    const o = await this.repo.lockForPayment(m, p.orderNo);
    if (o?.type !== 'RECHARGE' || o.totalAmount <= 0) return;
    await this.wallet.creditRecharge(m, {
      userId: o.userId,
      amount: o.totalAmount,
      paymentNo: p.paymentNo,
      channel: p.channel,
    });
  }

  /**
   * Orders in PAYING whose last change is older than `olderThanMs`, one keyset page by id after
   * `afterId`: what the payment module's sweeper queries the gateway about. Paging (instead of always
   * the oldest N) lets a sweep reach every stuck order even when hundreds are merely waiting to expire.
   */
  async findStuckPaying(
    olderThanMs: number,
    limit: number,
    afterId = 0,
  ): Promise<Array<{ id: number; orderNo: string; userId: string }>> {
    return this.repo.findPayingUpdatedBefore(null, new Date(Date.now() - olderThanMs), limit, afterId);
  }

  private inTx<T>(manager: EntityManager | null, work: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.tx.run(work, manager ? { manager } : {});
  }

  // ---- JSON --------------------------------------------------------------------------------------

  /** The public order JSON (DESIGN.md §6); optional timestamps appear only once set. */
  toOrderJson(order: Order): OrderResponse {
    const json: OrderResponse = {
      orderNo: order.orderNo,
      type: order.type,
      status: order.status,
      items: (order.items ?? []).map((i) => ({
        productId: i.productId,
        sku: i.sku,
        name: i.name,
        quantity: i.quantity,
        unitPrice: i.unitPrice,
      })),
      totalAmount: order.totalAmount,
      currency: order.currency,
      createdAt: order.createdAt.toISOString(),
      expiresAt: order.expiresAt.toISOString(),
    };
    if (order.remark !== null && order.remark !== undefined) json.remark = order.remark;
    if (order.paidAt) json.paidAt = order.paidAt.toISOString();
    if (order.cancelledAt) json.cancelledAt = order.cancelledAt.toISOString();
    return json;
  }
}

function encodeCursor(id: number): string {
  return Buffer.from(JSON.stringify({ id })).toString('base64url');
}

function decodeCursor(cursor: string): number {
  try {
    const { id } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { id: unknown };
    if (typeof id === 'number' && Number.isSafeInteger(id) && id > 0) return id;
  } catch {
    // fall through
  }
  throw new DomainError(ErrorCode.VALIDATION_FAILED, 'cursor is not valid', { cursor });
}
