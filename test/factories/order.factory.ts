import { randomBytes } from 'node:crypto';
import type { TestApp } from '../utils/test-app';

export interface ProductRow {
  id: number;
  sku: string;
  name: string;
  price: number;
  stock: number;
}

let seq = 0;

/** Creates a product through the admin API (so the factory exercises the real path). */
export async function createProduct(
  t: TestApp,
  over: Partial<{ sku: string; name: string; price: number; stock: number }> = {},
): Promise<ProductRow> {
  const body = {
    sku: over.sku ?? `SKU-${randomBytes(4).toString('hex')}-${++seq}`,
    name: over.name ?? `Product ${seq}`,
    price: over.price ?? 1000,
    stock: over.stock ?? 100,
  };
  const res = await t
    .http()
    .post('/v1/products')
    .set('Authorization', t.bearer('admin-1', 'admin'))
    .send(body);
  if (res.status !== 201) throw new Error(`createProduct: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as ProductRow;
}

/** A user id that no other test in the file uses (the submit guard is per user and body). */
export function newUserId(prefix = 'u'): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

export async function stockOf(t: TestApp, productId: number): Promise<number> {
  const rows = await t.dataSource.query('SELECT stock FROM t_product WHERE id = ?', [productId]);
  return Number(rows[0].stock);
}

export async function countOrders(t: TestApp, where = '1=1', params: unknown[] = []): Promise<number> {
  const rows = await t.dataSource.query(`SELECT COUNT(*) AS n FROM t_order WHERE ${where}`, params);
  return Number(rows[0].n);
}

export async function orderRow(t: TestApp, orderNo: string) {
  const rows = await t.dataSource.query('SELECT * FROM t_order WHERE order_no = ?', [orderNo]);
  return rows[0] as Record<string, any> | undefined;
}

/** Polls until `check` returns a truthy value (or fails after `timeoutMs`). */
export async function eventually<T>(
  check: () => Promise<T | null | undefined | false>,
  timeoutMs = 15000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
