import { createProduct } from './factories/order.factory';
import { createTestApp, TestApp } from './utils/test-app';

describe('catalog (real MySQL + Redis)', () => {
  let t: TestApp;
  const admin = () => t.bearer('admin-1', 'admin');

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('admin creates a product (201), anyone lists and reads it with stock', async () => {
    const res = await t
      .http()
      .post('/v1/products')
      .set('Authorization', admin())
      .send({ sku: 'TEA-001', name: 'Longjing tea', price: 8800, stock: 5 })
      .expect(201);
    expect(res.body).toEqual({
      id: expect.any(Number),
      sku: 'TEA-001',
      name: 'Longjing tea',
      price: 8800,
      stock: 5,
      currency: 'CNY',
      createdAt: expect.any(String),
    });
    const one = await t.http().get(`/v1/products/${res.body.id}`).expect(200);
    expect(one.body).toEqual(res.body);
    const list = await t.http().get('/v1/products').expect(200);
    expect(list.body).toContainEqual(res.body);
  });

  it('a duplicate sku is 409 SKU_TAKEN and creates nothing', async () => {
    await createProduct(t, { sku: 'DUP-1' });
    const res = await t
      .http()
      .post('/v1/products')
      .set('Authorization', admin())
      .send({ sku: 'DUP-1', name: 'again', price: 1, stock: 1 })
      .expect(409);
    expect(res.body).toMatchObject({ code: 'SKU_TAKEN', details: { sku: 'DUP-1' } });
    const rows = await t.dataSource.query("SELECT COUNT(*) AS n FROM t_product WHERE sku = 'DUP-1'");
    expect(Number(rows[0].n)).toBe(1);
  });

  it('10 concurrent creates of one sku: exactly one 201, nine SKU_TAKEN', async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        t
          .http()
          .post('/v1/products')
          .set('Authorization', admin())
          .send({ sku: 'RACE-1', name: 'race', price: 100, stock: 1 }),
      ),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409 && r.body.code === 'SKU_TAKEN')).toHaveLength(9);
  });

  it('a user (not admin) is 403, no token is 401', async () => {
    const body = { sku: 'X-1', name: 'x', price: 1, stock: 1 };
    const r1 = await t
      .http()
      .post('/v1/products')
      .set('Authorization', t.bearer('u1'))
      .send(body)
      .expect(403);
    expect(r1.body.code).toBe('FORBIDDEN');
    const r2 = await t.http().post('/v1/products').send(body).expect(401);
    expect(r2.body.code).toBe('UNAUTHORIZED');
    const rows = await t.dataSource.query("SELECT COUNT(*) AS n FROM t_product WHERE sku = 'X-1'");
    expect(Number(rows[0].n)).toBe(0);
  });

  it.each([
    [{ sku: 'B-1', name: 'n', price: 10.5, stock: 1 }, 'price'],
    [{ sku: 'B-2', name: 'n', price: -1, stock: 1 }, 'price'],
    [{ sku: 'B-3', name: 'n', price: '100', stock: 1 }, 'price'],
    [{ sku: 'B-4', name: 'n', price: 100, stock: -5 }, 'stock'],
    [{ sku: 'bad sku!', name: 'n', price: 100, stock: 1 }, 'sku'],
    [{ sku: 'B-5', name: '', price: 100, stock: 1 }, 'name'],
    [{ sku: 'B-6', name: 'n', price: 100, stock: 1, id: 7 }, 'id'],
  ])('bad product %j → 400 naming %s, nothing stored', async (body, field) => {
    const before = await t.dataSource.query('SELECT COUNT(*) AS n FROM t_product');
    const res = await t.http().post('/v1/products').set('Authorization', admin()).send(body).expect(400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
    expect(res.body.details.errors.join(' ')).toContain(field);
    const after = await t.dataSource.query('SELECT COUNT(*) AS n FROM t_product');
    expect(after[0].n).toEqual(before[0].n);
  });

  it('unknown or malformed product id is 404 NOT_FOUND', async () => {
    const r1 = await t.http().get('/v1/products/999999').expect(404);
    expect(r1.body.code).toBe('NOT_FOUND');
    const r2 = await t.http().get('/v1/products/abc').expect(404);
    expect(r2.body.code).toBe('NOT_FOUND');
  });

  it('Swagger lists the catalog, order, recharge and account routes with error examples', async () => {
    const res = await t.http().get('/docs-json').expect(200);
    const paths = res.body.paths;
    for (const p of [
      '/v1/products',
      '/v1/products/{id}',
      '/v1/orders',
      '/v1/orders/{orderNo}',
      '/v1/orders/{orderNo}/cancel',
      '/v1/recharges',
      '/v1/account',
    ]) {
      expect(Object.keys(paths)).toContain(p);
    }
    const submit = paths['/v1/orders'].post;
    expect(submit.responses['409'].content['application/json'].examples.OUT_OF_STOCK).toBeDefined();
    expect(submit.responses['201']).toBeDefined();
    expect(paths['/v1/orders/{orderNo}/cancel'].post.responses['409']).toBeDefined();
  });
});
