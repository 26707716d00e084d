import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { EntityManager } from 'typeorm';
import { orderConfig } from '../config/configuration';
import { DomainError, ErrorCode } from '../common/errors';
import { duplicateKeyName, isDuplicateKey } from '../common/database/db-errors';
import { TransactionService } from '../common/database/transaction.service';
import { IdempotencyContext, IdempotentReplay } from '../idempotency';
import { CreateOrderDto } from './dto/create-order.dto';
import { OrderResponse } from './dto/order-response.dto';
import { Order } from './entities/order.entity';
import { OrderItem } from './entities/order-item.entity';
import { CatalogService } from './catalog.service';
import { newOrderNo } from './order-no';
import { OrderExpiryScheduler } from './order-expiry.scheduler';
import { OrderMetrics } from './order.metrics';
import { OrderRepository } from './order.repository';
import { OrderService } from './order.service';
import { OrderStatus, OrderType } from './order-state';
import { UserRowMissing, WalletService } from '../wallet';

type Line = Omit<OrderItem, 'id' | 'orderId'>;

/**
 * Order submission (POST /v1/orders, POST /v1/recharges), behind @IdempotentSubmit. One
 * transaction per submit: the order row (carrying the Idempotency-Key under
 * UNIQUE(user_id, idempotency_key)), the stock, the items. The expiry job is scheduled after commit.
 */
@Injectable()
export class OrderSubmitService {
  constructor(
    private readonly tx: TransactionService,
    private readonly repo: OrderRepository,
    private readonly wallet: WalletService,
    private readonly catalog: CatalogService,
    private readonly orders: OrderService,
    private readonly expiry: OrderExpiryScheduler,
    private readonly metrics: OrderMetrics,
    @Inject(orderConfig.KEY) private readonly cfg: ConfigType<typeof orderConfig>,
  ) {}

  /**
   * Creates a GOODS order: lines with the same product are merged, prices come from the catalog,
   * stock is taken per product in ascending id order (`stock >= ?`), all in one transaction.
   * @throws NOT_FOUND (details.productId) for an unknown product, OUT_OF_STOCK (details.productId).
   * @throws IdempotentReplay / IDEMPOTENCY_KEY_REUSED when the Idempotency-Key is already on a row.
   */
  async submitGoods(
    userId: string,
    dto: CreateOrderDto,
    ctx: IdempotencyContext | null,
  ): Promise<OrderResponse> {
    const merged = new Map<number, number>();
    for (const l of dto.items) merged.set(l.productId, (merged.get(l.productId) ?? 0) + l.quantity);
    const wanted = [...merged.entries()].sort(([a], [b]) => a - b);
    // the quantity cap holds per product after merging (50 lines × 999 of one product are not 49,950)
    for (const [productId, quantity] of wanted) {
      if (quantity > this.cfg.maxLineQuantity) {
        throw new DomainError(
          ErrorCode.VALIDATION_FAILED,
          `At most ${this.cfg.maxLineQuantity} of one product per order`,
          { productId, quantity, max: this.cfg.maxLineQuantity },
        );
      }
    }

    return this.create(userId, 'GOODS', dto.remark ?? null, ctx, async (m) => {
      const products = await this.catalog.findByIds(
        m,
        wanted.map(([id]) => id),
      );
      const lines: Line[] = wanted.map(([productId, quantity]) => {
        const p = products.get(productId);
        if (!p) {
          throw new DomainError(ErrorCode.NOT_FOUND, `Product ${productId} not found`, { productId });
        }
        return { productId, sku: p.sku, name: p.name, quantity, unitPrice: p.price };
      });
      const total = lines.reduce((sum, l) => sum + l.unitPrice * l.quantity, 0);
      return {
        lines,
        total,
        // runs after the order row is inserted, in ascending product id order (no deadlocks)
        takeStock: async () => {
          for (const l of lines) {
            if (!(await this.catalog.takeStock(m, l.productId, l.quantity))) {
              this.metrics.inc('out_of_stock');
              throw new DomainError(ErrorCode.OUT_OF_STOCK, `Not enough stock for product ${l.productId}`, {
                productId: l.productId,
                requested: l.quantity,
              });
            }
          }
        },
      };
    });
  }

  /** Creates a RECHARGE order (no items) for `amount` fen; paying it credits the wallet. */
  async submitRecharge(
    userId: string,
    amount: number,
    ctx: IdempotencyContext | null,
  ): Promise<OrderResponse> {
    return this.create(userId, 'RECHARGE', null, ctx, async () => ({
      lines: [],
      total: amount,
      takeStock: async () => undefined,
    }));
  }

  private async create(
    userId: string,
    type: OrderType,
    remark: string | null,
    ctx: IdempotencyContext | null,
    prepare: (m: EntityManager) => Promise<{ lines: Line[]; total: number; takeStock: () => Promise<void> }>,
  ): Promise<OrderResponse> {
    for (let attempt = 1; ; attempt++) {
      const now = new Date();
      const order = new Order();
      Object.assign(order, {
        orderNo: newOrderNo(now),
        userId,
        type,
        status: 'CREATED' as OrderStatus,
        remark,
        currency: 'CNY',
        version: 0,
        idempotencyKey: ctx?.key ?? null,
        requestFingerprint: ctx?.fingerprint ?? null,
        expiresAt: new Date(now.getTime() + this.cfg.ttlMs),
        paidAt: null,
        paidBy: null,
        cancelledAt: null,
        createdAt: now,
        updatedAt: now,
      });
      try {
        // outside the transaction (see ensureRow); free once the row is known to exist
        await this.wallet.ensureRow(userId, now);
        await this.tx.run(async (m) => {
          const { lines, total, takeStock } = await prepare(m);
          if (!Number.isSafeInteger(total) || total <= 0) {
            throw new DomainError(ErrorCode.VALIDATION_FAILED, 'Order total is out of range');
          }
          if (total > this.cfg.maxTotal) {
            throw new DomainError(ErrorCode.ORDER_TOTAL_TOO_LARGE, `Order total above ${this.cfg.maxTotal}`, {
              totalAmount: total,
              max: this.cfg.maxTotal,
            });
          }
          order.totalAmount = total;
          await this.wallet.lockForSubmit(m, userId);
          // the order row first: a concurrent retry of the same Idempotency-Key waits on its unique key
          order.id = await this.repo.insertOrder(m, { ...order, now });
          // counted after the insert (a keyed retry above replays instead), under the user's lock
          if ((await this.repo.countUnpaid(m, userId)) > this.cfg.maxUnpaid) {
            throw new DomainError(
              ErrorCode.TOO_MANY_UNPAID_ORDERS,
              `At most ${this.cfg.maxUnpaid} unpaid orders at once; pay or cancel one first`,
              { max: this.cfg.maxUnpaid },
            );
          }
          await takeStock();
          await this.repo.insertItems(m, order.id, lines);
          order.items = lines.map((l) => ({ ...l, id: 0, orderId: order.id }));
        }, this.confirmOrder(order.orderNo));
      } catch (err) {
        if (err instanceof UserRowMissing && attempt < 3) continue; // forgotten: made again next attempt
        if (!isDuplicateKey(err)) throw err;
        const key = duplicateKeyName(err);
        if (key === 'uq_order_user_idem' && ctx?.key) return this.replayKeyed(userId, ctx);
        if (key === 'uq_order_no' && attempt < 3) continue; // 1 in 10^12 within one millisecond
        throw err;
      }
      this.metrics.inc(type === 'GOODS' ? 'created_goods' : 'created_recharge');
      this.expiry.schedule(order.orderNo, this.cfg.ttlMs);
      return this.orders.toOrderJson(order);
    }
  }

  /**
   * A COMMIT that got no answer is settled by looking for the order's number (made before the
   * transaction) on a fresh connection: there → the submit succeeded; absent → nothing was written.
   */
  private confirmOrder(orderNo: string) {
    return {
      confirm: {
        committed: async (m: EntityManager) => (await this.repo.findByOrderNo(m, orderNo)) !== null,
        details: { orderNo },
      },
    };
  }

  /** Redis lost the key's record but the row kept it: same request → replay, other request → 422. */
  private async replayKeyed(userId: string, ctx: IdempotencyContext): Promise<never> {
    const existing = await this.repo.findByUserKey(null, userId, ctx.key!);
    if (!existing) throw new Error('Idempotency-Key row vanished after a duplicate-key error');
    if (existing.requestFingerprint !== ctx.fingerprint) {
      throw new DomainError(
        ErrorCode.IDEMPOTENCY_KEY_REUSED,
        'This Idempotency-Key was used with a different request; use a new key for a new operation',
      );
    }
    throw new IdempotentReplay(201, this.orders.toOrderJson(existing));
  }
}
