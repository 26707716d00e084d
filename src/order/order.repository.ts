import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { Order } from './entities/order.entity';
import { OrderItem } from './entities/order-item.entity';
import { casTransition } from '../idempotency';
import { ORDER_MACHINE, OrderStatus, OrderType } from './order-state';

const ORDER_COLUMNS = `id, order_no, user_id, type, status, total_amount, currency, remark, version,
  idempotency_key, request_fingerprint, expires_at, paid_at, paid_by, cancelled_at, created_at, updated_at`;

export interface NewOrderRow {
  orderNo: string;
  userId: string;
  type: OrderType;
  totalAmount: number;
  remark: string | null;
  idempotencyKey: string | null;
  requestFingerprint: string | null;
  expiresAt: Date;
  now: Date;
}

/** An order row as the payment transitions see it (`lockForPayment`). */
export interface LockedOrder {
  userId: string;
  type: OrderType;
  status: OrderStatus;
  totalAmount: number;
  /** the payment that paid the order (null until PAID, and for orders paid before it was recorded) */
  paidBy: string | null;
  expiresAt: Date;
}

/**
 * t_order and t_order_item with purpose-named queries in plain SQL (portable MySQL/MariaDB). Every
 * method takes the caller's manager first: it runs inside the caller's transaction, or on a connection
 * the caller chose (the order list: a replica's); `null` means "no transaction" on the primary. Every
 * status change is `cas` (ORDER_MACHINE).
 */
@Injectable()
export class OrderRepository {
  constructor(private readonly dataSource: DataSource) {}

  private m(manager: EntityManager | null): EntityManager {
    return manager ?? this.dataSource.manager;
  }

  /**
   * CAS `from` → `to` on the order's status (`UPDATE … WHERE order_no = ? AND status IN (…)`), setting
   * `set` and `updated_at`; true iff this call made the transition. The UPDATE takes the row's lock.
   */
  cas(
    manager: EntityManager,
    orderNo: string,
    from: OrderStatus[],
    to: OrderStatus,
    set: Record<string, unknown> = {},
  ): Promise<boolean> {
    return casTransition(manager, {
      table: 't_order',
      idColumn: 'order_no',
      id: orderNo,
      machine: ORDER_MACHINE,
      from,
      to,
      set: { ...set, updated_at: new Date() },
    });
  }

  /** Orders of a user still waiting for payment (CREATED or PAYING). */
  async countUnpaid(manager: EntityManager, userId: string): Promise<number> {
    const rows = await manager.query(
      `SELECT COUNT(*) AS n FROM t_order WHERE user_id = ? AND status IN ('CREATED', 'PAYING')`,
      [userId],
    );
    return Number(rows[0].n);
  }

  /** Inserts the order row; throws ER_DUP_ENTRY on uq_order_no or uq_order_user_idem. Returns its id. */
  async insertOrder(manager: EntityManager, o: NewOrderRow): Promise<number> {
    const res = await manager.query(
      `INSERT INTO t_order (order_no, user_id, type, status, total_amount, currency, remark, version,
         idempotency_key, request_fingerprint, expires_at, created_at, updated_at)
       VALUES (?, ?, ?, 'CREATED', ?, 'CNY', ?, 0, ?, ?, ?, ?, ?)`,
      [
        o.orderNo,
        o.userId,
        o.type,
        o.totalAmount,
        o.remark,
        o.idempotencyKey,
        o.requestFingerprint,
        o.expiresAt,
        o.now,
        o.now,
      ],
    );
    return Number(res.insertId);
  }

  async insertItems(manager: EntityManager, orderId: number, items: Omit<OrderItem, 'id' | 'orderId'>[]) {
    if (!items.length) return;
    await manager.query(
      `INSERT INTO t_order_item (order_id, product_id, sku, name, quantity, unit_price) VALUES ` +
        items.map(() => '(?, ?, ?, ?, ?, ?)').join(', '),
      items.flatMap((i) => [orderId, i.productId, i.sku, i.name, i.quantity, i.unitPrice]),
    );
  }

  /** The order with its items, or null. `forUpdate` locks the row (inside a transaction only). */
  async findByOrderNo(
    manager: EntityManager | null,
    orderNo: string,
    opts: { forUpdate?: boolean } = {},
  ): Promise<Order | null> {
    const rows = await this.m(manager).query(
      `SELECT ${ORDER_COLUMNS} FROM t_order WHERE order_no = ?${opts.forUpdate ? ' FOR UPDATE' : ''}`,
      [orderNo],
    );
    if (!rows.length) return null;
    const order = mapOrder(rows[0]);
    order.items = (await this.itemsFor(manager, [order.id])).get(order.id) ?? [];
    return order;
  }

  /**
   * The columns the payment transitions decide on, with the row locked `FOR UPDATE` (inside the
   * caller's transaction): one indexed read, no items.
   */
  async lockForPayment(m: EntityManager, orderNo: string): Promise<LockedOrder | null> {
    const rows = await m.query(
      `SELECT user_id, type, status, total_amount, paid_by, expires_at FROM t_order WHERE order_no = ? FOR UPDATE`,
      [orderNo],
    );
    if (!rows.length) return null;
    const r = rows[0] as Record<string, unknown>;
    return {
      userId: String(r.user_id),
      type: r.type as OrderType,
      status: r.status as OrderStatus,
      totalAmount: Number(r.total_amount),
      paidBy: (r.paid_by as string | null) ?? null,
      expiresAt: date(r.expires_at)!,
    };
  }

  /** The order a user created with an Idempotency-Key (the database backstop of the key). */
  async findByUserKey(manager: EntityManager | null, userId: string, key: string): Promise<Order | null> {
    const rows = await this.m(manager).query(
      `SELECT ${ORDER_COLUMNS} FROM t_order WHERE user_id = ? AND idempotency_key = ?`,
      [userId, key],
    );
    if (!rows.length) return null;
    const order = mapOrder(rows[0]);
    order.items = (await this.itemsFor(manager, [order.id])).get(order.id) ?? [];
    return order;
  }

  /**
   * One page of a user's orders with their items, newest first (keyset on id, served by
   * KEY(user_id, id)); both reads on `manager`'s connection (OrderService.list passes a replica's).
   */
  async listByUser(
    manager: EntityManager | null,
    userId: string,
    status: OrderStatus | undefined,
    beforeId: number | null,
    limit: number,
  ): Promise<Order[]> {
    const where = ['user_id = ?'];
    const params: unknown[] = [userId];
    if (status) {
      where.push('status = ?');
      params.push(status);
    }
    if (beforeId !== null) {
      where.push('id < ?');
      params.push(beforeId);
    }
    params.push(limit);
    const m = this.m(manager);
    const rows = await m.query(
      `SELECT ${ORDER_COLUMNS} FROM t_order WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ?`,
      params,
    );
    const orders = (rows as Record<string, unknown>[]).map(mapOrder);
    const items = await this.itemsFor(
      m,
      orders.map((o) => o.id),
    );
    for (const o of orders) o.items = items.get(o.id) ?? [];
    return orders;
  }

  async itemsFor(manager: EntityManager | null, orderIds: number[]): Promise<Map<number, OrderItem[]>> {
    const byOrder = new Map<number, OrderItem[]>();
    if (!orderIds.length) return byOrder;
    const rows = await this.m(manager).query(
      `SELECT id, order_id, product_id, sku, name, quantity, unit_price FROM t_order_item
       WHERE order_id IN (${orderIds.map(() => '?').join(', ')}) ORDER BY id`,
      orderIds,
    );
    for (const r of rows as Record<string, unknown>[]) {
      const item: OrderItem = {
        id: Number(r.id),
        orderId: Number(r.order_id),
        productId: Number(r.product_id),
        sku: String(r.sku),
        name: String(r.name),
        quantity: Number(r.quantity),
        unitPrice: Number(r.unit_price),
      };
      const list = byOrder.get(item.orderId) ?? [];
      list.push(item);
      byOrder.set(item.orderId, list);
    }
    return byOrder;
  }

  /** CREATED orders past their expiry (what the sweep cancels), oldest first. */
  async findExpiredCreated(manager: EntityManager | null, now: Date, limit: number): Promise<string[]> {
    const rows = await this.m(manager).query(
      `SELECT order_no FROM t_order WHERE status = 'CREATED' AND expires_at <= ?
       ORDER BY expires_at LIMIT ?`,
      [now, limit],
    );
    return (rows as { order_no: string }[]).map((r) => r.order_no);
  }

  /** PAYING orders last changed before `before`, by id after `afterId` (keyset pages for sweepers). */
  async findPayingUpdatedBefore(manager: EntityManager | null, before: Date, limit: number, afterId = 0) {
    const rows = await this.m(manager).query(
      `SELECT id, order_no, user_id FROM t_order WHERE status = 'PAYING' AND updated_at < ? AND id > ?
       ORDER BY id LIMIT ?`,
      [before, afterId, limit],
    );
    return (rows as { id: string | number; order_no: string; user_id: string }[]).map((r) => ({
      id: Number(r.id),
      orderNo: r.order_no,
      userId: r.user_id,
    }));
  }
}

function date(v: unknown): Date | null {
  if (v === null || v === undefined) return null;
  return v instanceof Date ? v : new Date(String(v));
}

export function mapOrder(r: Record<string, unknown>): Order {
  const o = new Order();
  o.id = Number(r.id);
  o.orderNo = String(r.order_no);
  o.userId = String(r.user_id);
  o.type = r.type as OrderType;
  o.status = r.status as OrderStatus;
  o.totalAmount = Number(r.total_amount);
  o.currency = String(r.currency);
  o.remark = (r.remark as string | null) ?? null;
  o.version = Number(r.version);
  o.idempotencyKey = (r.idempotency_key as string | null) ?? null;
  o.requestFingerprint = (r.request_fingerprint as string | null) ?? null;
  o.expiresAt = date(r.expires_at)!;
  o.paidAt = date(r.paid_at);
  o.paidBy = (r.paid_by as string | null) ?? null;
  o.cancelledAt = date(r.cancelled_at);
  o.createdAt = date(r.created_at)!;
  o.updatedAt = date(r.updated_at)!;
  return o;
}
