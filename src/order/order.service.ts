import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { DomainError, ErrorCode } from '../common/errors';
import { TransactionService } from '../common/database/transaction.service';
import type { PaymentSucceededEvent } from '../common/events/payment-events';
import { casTransition, DedupService } from '../idempotency';
import { OrderPageResponse, OrderResponse } from './dto/order-response.dto';
import { Order } from './entities/order.entity';
import { CatalogService } from './catalog.service';
import { ORDER_NO_PATTERN } from './order-no';
import { OrderMetrics } from './order.metrics';
import { OrderRepository } from './order.repository';
import { ORDER_MACHINE, OrderStatus, wasPaid } from './order-state';
import { WalletService } from './wallet.service';
import { OrderCancelHooks } from './order-cancel-hooks';

/** What `applyPaymentSucceeded` did; the caller records an anomaly for `paid_after_cancel`. */
export interface ApplyPaymentOutcome {
  outcome: 'applied' | 'duplicate' | 'already_paid' | 'paid_after_cancel';
}

/** Thrown inside the ORDER_PAID transaction to roll back its marker when nothing may be applied. */
class NothingToApply {
  constructor(readonly outcome: ApplyPaymentOutcome['outcome']) {}
}

/**
 * Orders after submission: read, list, cancel, expire, and the transitions the payment module
 * drives (markPaying, reopen, markPaid, cancelAfterPaymentClosed, applyPaymentSucceeded). Submission
 * itself is OrderSubmitService.
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
    private readonly catalog: CatalogService,
    private readonly wallet: WalletService,
    private readonly dedup: DedupService,
    private readonly metrics: OrderMetrics,
    private readonly cancelHooks: OrderCancelHooks,
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

  /** A page of the user's orders, newest first, with an opaque keyset cursor. */
  async list(
    userId: string,
    q: { status?: OrderStatus; limit?: number; cursor?: string },
  ): Promise<OrderPageResponse> {
    const limit = q.limit ?? 20;
    const beforeId = q.cursor ? decodeCursor(q.cursor) : null;
    const rows = await this.repo.listByUser(userId, q.status, beforeId, limit + 1);
    const page = rows.slice(0, limit);
    return {
      items: page.map((o) => this.toOrderJson(o)),
      nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1].id) : null,
    };
  }

  // ---- cancel / expire ---------------------------------------------------------------------------

  /**
   * User cancel: CAS CREATED → CANCELLED releasing stock in one transaction. Cancelling a cancelled
   * order answers it as it is (idempotent).
   * @throws NOT_FOUND (not the caller's), ORDER_NOT_CANCELLABLE (PAYING or PAID).
   */
  async cancel(userId: string, orderNo: string): Promise<OrderResponse> {
    await this.getOwnedOrder(userId, orderNo);
    for (let attempt = 1; attempt <= 3; attempt++) {
      const current = await this.tx.run(async (m) => {
        if (await this.cancelFrom(m, orderNo, ['CREATED'])) {
          this.metrics.inc('cancelled_by_user');
          return null;
        }
        return (await this.repo.findByOrderNo(m, orderNo))!;
      });
      if (!current || current.status === 'CANCELLED') {
        return this.toOrderJson((await this.repo.findByOrderNo(null, orderNo))!);
      }
      if (current.status === 'PAYING') {
        // close the payment at the gateway first (PAYING → CANCELLED only after the trade is closed)
        const closed = await this.cancelHooks.closePayments(orderNo);
        if (closed === 'closed' || closed === 'paid') continue; // re-read: CREATED again, or PAID
        // nothing pending: a concurrent cancel may have closed it meanwhile; re-read unless still PAYING
        if (closed === 'none' && (await this.repo.findByOrderNo(null, orderNo))?.status !== 'PAYING')
          continue;
        throw new DomainError(
          ErrorCode.ORDER_NOT_CANCELLABLE,
          closed === 'retry'
            ? 'The payment could not be closed at the gateway yet; retry the cancel shortly'
            : 'A payment of this order is in progress; it cannot be cancelled now',
          { orderNo, status: current.status },
          closed === 'retry' ? { 'Retry-After': '5' } : undefined,
        );
      }
      if (wasPaid(current.status)) {
        throw new DomainError(ErrorCode.ORDER_NOT_CANCELLABLE, 'The order is paid and cannot be cancelled', {
          orderNo,
          status: current.status,
        });
      }
      // CREATED again (a payment was closed meanwhile): try the CAS once more
    }
    throw new DomainError(ErrorCode.CONFLICT, 'The order keeps changing; retry', { orderNo });
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
    const won = await this.tx.run((m) => this.cancelFrom(m, orderNo, ['CREATED']));
    if (won) {
      this.metrics.inc('expired');
      this.logger.log(`order ${orderNo} expired and was cancelled`);
    }
    return won;
  }

  /** CAS `from` → CANCELLED and, if this call won, give the stock back (same transaction). */
  async cancelFrom(m: EntityManager, orderNo: string, from: OrderStatus[]): Promise<boolean> {
    const won = await this.cas(m, orderNo, from, 'CANCELLED', { cancelled_at: new Date() });
    if (!won) return false;
    const order = (await this.repo.findByOrderNo(m, orderNo))!;
    const items = [...(order.items ?? [])].sort((a, b) => a.productId - b.productId);
    for (const i of items) await this.catalog.releaseStock(m, i.productId, i.quantity);
    return true;
  }

  // ---- transitions driven by the payment module ----------------------------------------------

  /**
   * CAS CREATED → PAYING (a gateway payment was started).
   * @returns true iff this call moved the order; false if it was not CREATED (read it to learn why).
   */
  async markPaying(manager: EntityManager | null, orderNo: string): Promise<boolean> {
    return this.inTx(manager, (m) => this.cas(m, orderNo, ['CREATED'], 'PAYING'));
  }

  /**
   * CAS PAYING → CREATED: the payment was closed unpaid and the order may be paid again. If the
   * order is already past expires_at, the expiry sweep cancels it on its next run.
   * @returns true iff this call moved the order.
   */
  async reopen(manager: EntityManager | null, orderNo: string): Promise<boolean> {
    return this.inTx(manager, (m) => this.cas(m, orderNo, ['PAYING'], 'CREATED'));
  }

  /**
   * CAS PAYING → CANCELLED and release the stock, in one transaction: the order expired while a
   * payment was open, and the gateway trade has been closed. Call only after the close succeeded.
   * @returns true iff this call cancelled it.
   */
  async cancelAfterPaymentClosed(manager: EntityManager | null, orderNo: string): Promise<boolean> {
    return this.inTx(manager, (m) => this.cancelFrom(m, orderNo, ['PAYING']));
  }

  /**
   * CAS `from` → PAID, setting paid_at. Does not credit anything: for gateway payments use
   * `applyPaymentSucceeded`; the wallet channel calls this inside its own debit transaction.
   * @returns true iff this call marked it paid.
   */
  async markPaid(
    manager: EntityManager | null,
    orderNo: string,
    from: ('CREATED' | 'PAYING')[],
  ): Promise<boolean> {
    const now = new Date();
    return this.inTx(manager, (m) => this.cas(m, orderNo, from, 'PAID', { paid_at: now }));
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
    return this.repo.findPayingUpdatedBefore(new Date(Date.now() - olderThanMs), limit, afterId);
  }

  /**
   * The order side of a successful payment, exactly once per order, in one transaction:
   * marker `t_uq_dipose('ORDER_PAID', orderNo)` first, then CAS CREATED|PAYING → PAID, then for a
   * RECHARGE order `wallet.credit(userId, totalAmount)`.
   *
   * - `applied`: this call did it. `duplicate`: the marker existed (done before, or by a concurrent call).
   * - `already_paid`: the order was PAID by another path (e.g. wallet); marker kept, nothing credited.
   * - `paid_after_cancel`: the order is CANCELLED; nothing is written here (the marker is rolled back
   *   so every retry gives the same answer) and the caller records the anomaly.
   * @throws NOT_FOUND when the order does not exist (a retry cannot fix it).
   */
  async applyPaymentSucceeded(event: PaymentSucceededEvent): Promise<ApplyPaymentOutcome> {
    // the usual repeat (the outbox consumer after the success path's direct kick) ends on a plain read,
    // without a write transaction; a race past this read still ends at the marker's unique key
    if (await this.dedup.isDone('ORDER_PAID', event.orderNo)) return { outcome: 'duplicate' };
    try {
      const result: ApplyPaymentOutcome = await this.tx.run(async (outer) => {
        const res = await this.dedup.runOnce(
          'ORDER_PAID',
          event.orderNo,
          async (m): Promise<ApplyPaymentOutcome['outcome']> => {
            const order = await this.repo.findByOrderNo(m, event.orderNo, { forUpdate: true });
            if (!order) {
              throw new DomainError(ErrorCode.NOT_FOUND, `Order ${event.orderNo} not found`, {
                orderNo: event.orderNo,
              });
            }
            if (order.status === 'CANCELLED') throw new NothingToApply('paid_after_cancel');
            if (wasPaid(order.status)) return 'already_paid';
            if (event.amount !== order.totalAmount) {
              this.logger.warn(
                `payment ${event.paymentNo} amount ${event.amount} differs from order ${order.orderNo} total ${order.totalAmount}`,
              );
            }
            if (!(await this.cas(m, order.orderNo, ['CREATED', 'PAYING'], 'PAID', { paid_at: new Date() }))) {
              throw new Error(`order ${order.orderNo} changed under its row lock`);
            }
            if (order.type === 'RECHARGE') await this.wallet.credit(m, order.userId, order.totalAmount);
            return 'applied';
          },
          { manager: outer },
        );
        return { outcome: res.status === 'duplicate' ? 'duplicate' : res.result };
      });
      if (result.outcome === 'applied') this.metrics.inc('paid');
      return result;
    } catch (err) {
      if (err instanceof NothingToApply) {
        this.metrics.inc('paid_after_cancel');
        return { outcome: err.outcome };
      }
      throw err;
    }
  }

  private cas(
    m: EntityManager,
    orderNo: string,
    from: OrderStatus[],
    to: OrderStatus,
    set: Record<string, unknown> = {},
  ): Promise<boolean> {
    return casTransition(m, {
      table: 't_order',
      idColumn: 'order_no',
      id: orderNo,
      machine: ORDER_MACHINE,
      from,
      to,
      set: { ...set, updated_at: new Date() },
    });
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
