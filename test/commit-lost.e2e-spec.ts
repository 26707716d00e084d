import type { Connection } from 'mysql2/promise';
import { countOrders, createProduct, eventually, newUserId, stockOf } from './factories/order.factory';
import { gatewayRefunds, paidOrder, refundedAmount, refundReq, refundRows } from './refund-helpers';
import { ConnectionKiller, insertsInto } from './utils/connection-killer';
import { mysqlAdmin } from './utils/services';
import { createTestApp, TestApp } from './utils/test-app';

/**
 * Issue 21 item 1: a 503 may invite a retry only when nothing can have committed. The app's MySQL
 * connection is KILLed at exact points (ConnectionKiller: a TypeORM subscriber times the KILL from an
 * admin connection) — after the server answered COMMIT (committed, the answer lost), before COMMIT
 * (nothing committed), at the re-read after the gateway refunded — and the retry, without a key, with an
 * Idempotency-Key, with a one-time token, never orders or refunds twice.
 */
describe('a lost COMMIT is an unknown outcome, found out before it is answered', () => {
  let t: TestApp;
  let admin: Connection;
  let killer: ConnectionKiller;

  beforeAll(async () => {
    t = await createTestApp({
      env: {
        PAYMENT_QUERY_DELAYS_MS: '300,600,900',
        SANDBOX_TIME_SCALE: '0.001',
        SUBMIT_DEDUP_WINDOW_MS: '60000',
        IDEMPOTENCY_LEASE_MS: '1500',
        PAYMENT_SWEEP_INTERVAL_MS: '3600000',
      },
    });
    admin = await mysqlAdmin();
    killer = new ConnectionKiller(admin, t.dataSource);
  });
  afterEach(() => killer.disarm());
  afterAll(async () => {
    await admin?.end();
    await t?.close();
  });

  const submit = (user: string, productId: number, headers: Record<string, string> = {}) => {
    const r = t.http().post('/v1/orders').set('Authorization', t.bearer(user));
    for (const [k, v] of Object.entries(headers)) r.set(k, v);
    return r.send({ items: [{ productId, quantity: 1 }] });
  };
  const token = async (user: string) =>
    (await t.http().post('/v1/idempotency-tokens').set('Authorization', t.bearer(user)).expect(201)).body
      .token as string;
  const orderCommit = (when: 'after' | 'before') =>
    killer.arm({ kind: 'commit', when, match: insertsInto('t_order') });

  describe('order submit, the connection killed after the server committed (the answer lost)', () => {
    it('without a key: 201 with the order it made (looked up on a fresh connection); the retry is 409 DUPLICATE_SUBMIT naming it', async () => {
      const p = await createProduct(t, { price: 100, stock: 10 });
      const user = newUserId();
      orderCommit('after');
      const first = await submit(user, p.id);
      expect(killer.hits).toBe(1);
      expect(first.status).toBe(201); // was 503 DATABASE_UNAVAILABLE + Retry-After: 1
      const retry = await submit(user, p.id).expect(409);
      expect(retry.body).toMatchObject({
        code: 'DUPLICATE_SUBMIT',
        details: { orderNo: first.body.orderNo },
      });
      expect(await countOrders(t, 'user_id = ?', [user])).toBe(1);
      expect(await stockOf(t, p.id)).toBe(9);
    });

    it('with an Idempotency-Key: 201, and the retry replays it', async () => {
      const p = await createProduct(t, { price: 100, stock: 10 });
      const user = newUserId();
      orderCommit('after');
      const first = await submit(user, p.id, { 'Idempotency-Key': 'lost-1' }).expect(201);
      expect(killer.hits).toBe(1);
      const again = await submit(user, p.id, { 'Idempotency-Key': 'lost-1' }).expect(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body.orderNo).toBe(first.body.orderNo);
      expect(await countOrders(t, 'user_id = ?', [user])).toBe(1);
    });

    it('with a one-time token: 201, and a second use is 409 TOKEN_USED naming the order', async () => {
      const p = await createProduct(t, { price: 100, stock: 10 });
      const user = newUserId();
      const tok = await token(user);
      orderCommit('after');
      const first = await submit(user, p.id, { 'Idempotency-Token': tok }).expect(201);
      expect(killer.hits).toBe(1);
      const again = await submit(user, p.id, { 'Idempotency-Token': tok }).expect(409);
      expect(again.body).toMatchObject({ code: 'TOKEN_USED', details: { orderNo: first.body.orderNo } });
      expect(await countOrders(t, 'user_id = ?', [user])).toBe(1);
    });
  });

  it('killed before COMMIT (nothing committed): 503 DATABASE_UNAVAILABLE with Retry-After, and every retry may run: no key, key, token', async () => {
    const p = await createProduct(t, { price: 100, stock: 10 });
    for (const kind of ['none', 'key', 'token'] as const) {
      const user = newUserId();
      const h: Record<string, string> =
        kind === 'key'
          ? { 'Idempotency-Key': 'before-1' }
          : kind === 'token'
            ? { 'Idempotency-Token': await token(user) }
            : {};
      orderCommit('before');
      const first = await submit(user, p.id, h);
      expect(killer.hits).toBe(1);
      expect([first.status, first.body.details?.reason, first.headers['retry-after']]).toEqual([
        503,
        'DATABASE_UNAVAILABLE',
        '1',
      ]);
      expect(await countOrders(t, 'user_id = ?', [user])).toBe(0);
      // the guard, the key's record and the token were given back: the same request runs now
      const retry = await submit(user, p.id, h);
      expect([retry.status, Object.keys(h)]).toEqual([201, Object.keys(h)]);
      expect(await countOrders(t, 'user_id = ?', [user])).toBe(1);
    }
    expect(await stockOf(t, p.id)).toBe(7);
  });

  it('a one-time token is not used up by a refusal that wrote nothing (unknown product, out of stock, validation)', async () => {
    const p = await createProduct(t, { price: 100, stock: 1 });
    const user = newUserId();
    const tok = await token(user);
    const use = (body: object) =>
      t
        .http()
        .post('/v1/orders')
        .set('Authorization', t.bearer(user))
        .set('Idempotency-Token', tok)
        .send(body);
    expect((await use({ items: [{ productId: 999999999, quantity: 1 }] })).status).toBe(404);
    expect((await use({ items: [{ productId: p.id, quantity: 2 }] })).body.code).toBe('OUT_OF_STOCK');
    expect((await use({ items: [] })).body.code).toBe('VALIDATION_FAILED');
    const ok = await use({ items: [{ productId: p.id, quantity: 1 }] }).expect(201);
    const again = await use({ items: [{ productId: p.id, quantity: 1 }] }).expect(409);
    expect(again.body).toMatchObject({ code: 'TOKEN_USED', details: { orderNo: ok.body.orderNo } });
    expect(await countOrders(t, 'user_id = ?', [user])).toBe(1);
  });

  it('when the outcome cannot be found out: 503 OUTCOME_UNKNOWN without Retry-After naming the order; every retry is refused or replays, never a second order', async () => {
    const p = await createProduct(t, { price: 100, stock: 10 });
    const unknown = async (user: string, h: Record<string, string>) => {
      orderCommit('after');
      killer.failQueries((sql) => sql.includes('information_schema.PROCESSLIST'));
      const res = await submit(user, p.id, h);
      killer.failQueries(null);
      expect(killer.hits).toBe(1);
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBeUndefined();
      expect(res.body).toMatchObject({ code: 'OUTCOME_UNKNOWN', details: { reason: 'OUTCOME_UNKNOWN' } });
      expect(res.body.details.orderNo).toMatch(/^\d+$/);
      // it did commit (the look-up was what failed)
      expect(await countOrders(t, 'order_no = ?', [res.body.details.orderNo])).toBe(1);
      return res.body.details.orderNo as string;
    };

    // no key: the body's guard is held (past its window), naming the order
    const u1 = newUserId();
    const o1 = await unknown(u1, {});
    const r1 = await submit(u1, p.id).expect(409);
    expect(r1.body).toMatchObject({ code: 'DUPLICATE_SUBMIT', details: { orderNo: o1 } });

    // a key: in progress while its lease lasts, then the row's unique key replays the order
    const u2 = newUserId();
    const o2 = await unknown(u2, { 'Idempotency-Key': 'unknown-1' });
    const r2 = await submit(u2, p.id, { 'Idempotency-Key': 'unknown-1' });
    expect([r2.status, r2.body.code]).toEqual([409, 'REQUEST_IN_PROGRESS']);
    let replay = r2;
    await eventually(
      async () => {
        replay = await submit(u2, p.id, { 'Idempotency-Key': 'unknown-1' });
        return replay.status === 201;
      },
      10_000,
      100,
    );
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body.orderNo).toBe(o2);

    // a token: stays used, and names what it may have made
    const u3 = newUserId();
    const tok = await token(u3);
    const o3 = await unknown(u3, { 'Idempotency-Token': tok });
    const r3 = await submit(u3, p.id, { 'Idempotency-Token': tok }).expect(409);
    expect(r3.body).toMatchObject({ code: 'TOKEN_USED', details: { orderNo: o3 } });

    for (const u of [u1, u2, u3]) expect(await countOrders(t, 'user_id = ?', [u])).toBe(1);
  });

  describe('admin refunds', () => {
    it('killed after the refund was committed: 201; the retry (no key) is 409 naming it, with a key it replays; one refund at the gateway', async () => {
      for (const key of [undefined, 'refund-lost-1']) {
        const o = await paidOrder(t, 1000);
        killer.arm({ kind: 'commit', when: 'after', match: insertsInto('t_refund') });
        const first = await refundReq(t, o.orderNo, { amount: 300, reason: 'lost' }, key);
        expect(killer.hits).toBe(1);
        expect(first.status).toBe(201); // was 503, and the retry refunded again
        const retry = await refundReq(t, o.orderNo, { amount: 300, reason: 'lost' }, key);
        if (key) {
          expect(retry.status).toBe(201);
          expect(retry.headers['idempotent-replayed']).toBe('true');
          expect(retry.body.refundNo).toBe(first.body.refundNo);
        } else {
          expect(retry.body).toMatchObject({
            code: 'DUPLICATE_SUBMIT',
            details: { refundNo: first.body.refundNo },
          });
        }
        expect(await refundRows(t, o.orderNo)).toHaveLength(1);
        await eventually(async () => (await gatewayRefunds(t, o.paymentNo)).length === 1, 10_000, 50);
        expect(await refundedAmount(t, o.paymentNo)).toBe(300);
      }
    });

    it('killed at the re-read after the gateway refunded: 201 (read again on a fresh connection); the retry is 409; one refund', async () => {
      const o = await paidOrder(t, 1000);
      killer.arm({
        kind: 'query',
        after: (sql, params) => insertsInto('t_uq_dipose')(sql, params) && params[0] === 'REFUND_SUCCEEDED',
        match: (sql) => /FROM\s+`?t_refund`?/i.test(sql) && /refund_no/.test(sql),
      });
      const first = await refundReq(t, o.orderNo, { amount: 400, reason: 'reread' });
      expect(killer.hits).toBe(1);
      expect(first.status).toBe(201);
      expect(first.body).toMatchObject({ amount: 400, status: 'SUCCEEDED' });
      const retry = await refundReq(t, o.orderNo, { amount: 400, reason: 'reread' }).expect(409);
      expect(retry.body).toMatchObject({
        code: 'DUPLICATE_SUBMIT',
        details: { refundNo: first.body.refundNo },
      });
      expect(await refundRows(t, o.orderNo)).toHaveLength(1);
      expect((await gatewayRefunds(t, o.paymentNo)).map((r) => Number(r.refund_amount))).toEqual([400]);
    });

    it("a buyer's request approved while the connection dies after its COMMIT: 200 APPROVED, one refund; approving again answers it", async () => {
      const o = await paidOrder(t, 1000);
      const rq = (
        await t
          .http()
          .post(`/v1/orders/${o.orderNo}/refund-requests`)
          .set('Authorization', t.bearer(o.userId))
          .send({ amount: 250, reason: 'broken' })
          .expect(201)
      ).body;
      const approve = () =>
        t
          .http()
          .post(`/v1/refund-requests/${rq.requestNo}/approve`)
          .set('Authorization', t.bearer('admin-c', 'admin'))
          .send({});
      killer.arm({ kind: 'commit', when: 'after', match: insertsInto('t_refund') });
      const first = await approve();
      expect(killer.hits).toBe(1);
      expect([first.status, first.body.status]).toEqual([200, 'APPROVED']);
      const again = await approve().expect(200);
      expect(again.body.refundNo).toBe(first.body.refundNo);
      expect(await refundRows(t, o.orderNo)).toHaveLength(1);
      await eventually(async () => (await gatewayRefunds(t, o.paymentNo)).length === 1, 10_000, 50);
    });
  });
});
