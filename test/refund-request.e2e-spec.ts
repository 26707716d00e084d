import { newUserId } from './factories/order.factory';
import { newOrder, orderStatus } from './payment-helpers';
import { count, gatewayRefunds, paidOrder, refundedAmount, refundReq, refundRows } from './refund-helpers';
import { createTestApp, TestApp } from './utils/test-app';

const ENV = {
  PAYMENT_QUERY_DELAYS_MS: '300,600,900',
  SANDBOX_TIME_SCALE: '0.001',
  ALIPAY_TIMEOUT_MS: '1000',
  SUBMIT_DEDUP_WINDOW_MS: '1',
  PAYMENT_SWEEP_INTERVAL_MS: '3600000',
};

/** User refund requests (issue 12): the owner asks, an admin approves (an ordinary refund) or rejects, once. */
describe('refund requests', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: ENV });
  });
  afterAll(() => t?.close());

  const ask = (orderNo: string, userId: string, body: object, key?: string) => {
    const r = t.http().post(`/v1/orders/${orderNo}/refund-requests`).set('Authorization', t.bearer(userId));
    if (key) r.set('Idempotency-Key', key);
    return r.send(body);
  };
  const admin = () => t.bearer('admin-rq', 'admin');
  const approve = (requestNo: string, body: object = {}) =>
    t.http().post(`/v1/refund-requests/${requestNo}/approve`).set('Authorization', admin()).send(body);
  const reject = (requestNo: string, reason = 'no') =>
    t.http().post(`/v1/refund-requests/${requestNo}/reject`).set('Authorization', admin()).send({ reason });
  const requestRows = async (orderNo: string) =>
    (await t.dataSource.query('SELECT * FROM t_refund_request WHERE order_no = ? ORDER BY id', [
      orderNo,
    ])) as Array<Record<string, any>>;

  it('the owner asks for everything left → 201 OPEN; an admin approves → the refund SUCCEEDED, order REFUNDED; both can read it', async () => {
    const o = await paidOrder(t, 8800);
    const res = await ask(o.orderNo, o.userId, { reason: 'arrived broken' }).expect(201);
    expect(res.body).toEqual({
      requestNo: expect.stringMatching(/^RQ[0-9]{29}$/),
      orderNo: o.orderNo,
      userId: o.userId,
      amount: 8800,
      reason: 'arrived broken',
      status: 'OPEN',
      refundNo: null,
      rejectReason: null,
      createdAt: expect.any(String),
      decidedAt: null,
    });
    const { requestNo } = res.body;
    // a request moves no money
    expect(await refundedAmount(t, o.paymentNo)).toBe(0);
    expect(await orderStatus(t, o.orderNo)).toBe('PAID');
    // the review queue lists it for admins; users see only their own
    const queue = await t
      .http()
      .get('/v1/refund-requests?status=OPEN&limit=100')
      .set('Authorization', admin())
      .expect(200);
    expect(queue.body.map((r: { requestNo: string }) => r.requestNo)).toContain(requestNo);
    const mine = await t
      .http()
      .get('/v1/refund-requests')
      .set('Authorization', t.bearer(o.userId))
      .expect(200);
    expect(mine.body).toEqual([res.body]);
    const stranger = t.bearer(newUserId());
    expect(
      (await t.http().get('/v1/refund-requests').set('Authorization', stranger).expect(200)).body,
    ).toEqual([]);
    await t.http().get(`/v1/refund-requests/${requestNo}`).set('Authorization', stranger).expect(404);
    await t
      .http()
      .get(`/v1/refund-requests/${requestNo}`)
      .set('Authorization', t.bearer(o.userId))
      .expect(200);

    // the owner cannot decide
    expect(
      (
        await t
          .http()
          .post(`/v1/refund-requests/${requestNo}/approve`)
          .set('Authorization', t.bearer(o.userId))
          .send({})
          .expect(403)
      ).body.code,
    ).toBe('FORBIDDEN');

    const ok = await approve(requestNo).expect(200);
    expect(ok.body).toMatchObject({
      requestNo,
      status: 'APPROVED',
      refundNo: expect.stringMatching(/^R[0-9]{29}$/),
      decidedAt: expect.any(String),
    });
    const refund = await t
      .http()
      .get(`/v1/refunds/${ok.body.refundNo}`)
      .set('Authorization', t.bearer(o.userId))
      .expect(200);
    expect(refund.body).toMatchObject({ amount: 8800, status: 'SUCCEEDED', reason: 'arrived broken' });
    expect(await orderStatus(t, o.orderNo)).toBe('REFUNDED');
    expect((await gatewayRefunds(t, o.paymentNo)).map((r) => Number(r.refund_amount))).toEqual([8800]);
    // approving again (here without any body) answers the same decision; rejecting it now is 409
    const again = await t
      .http()
      .post(`/v1/refund-requests/${requestNo}/approve`)
      .set('Authorization', admin())
      .expect(200);
    expect(again.body.refundNo).toBe(ok.body.refundNo);
    const late = await reject(requestNo).expect(409);
    expect(late.body).toMatchObject({ code: 'REFUND_REQUEST_DECIDED', details: { status: 'APPROVED' } });
    // nothing left to ask for
    expect((await ask(o.orderNo, o.userId, { reason: 'again' }).expect(409)).body.code).toBe(
      'ORDER_NOT_REFUNDABLE',
    );
    expect(await refundRows(t, o.orderNo)).toHaveLength(1);
  });

  it('concurrent requests of one order (different bodies) → one 201, the others 409 REFUND_REQUEST_OPEN naming it; after a rejection a new one is allowed', async () => {
    const o = await paidOrder(t, 10000);
    const res = await Promise.all(
      Array.from({ length: 10 }, (_, i) => ask(o.orderNo, o.userId, { amount: 1000 + i, reason: `r${i}` })),
    );
    expect(res.map((r) => r.status).sort()).toEqual([201, ...Array(9).fill(409)]);
    const won = res.find((r) => r.status === 201)!;
    for (const r of res.filter((x) => x.status === 409)) {
      expect(r.body).toMatchObject({
        code: 'REFUND_REQUEST_OPEN',
        details: { orderNo: o.orderNo, requestNo: won.body.requestNo },
      });
    }
    expect(await requestRows(o.orderNo)).toHaveLength(1);

    const no = await reject(won.body.requestNo, 'outside the return window').expect(200);
    expect(no.body).toMatchObject({
      status: 'REJECTED',
      rejectReason: 'outside the return window',
      refundNo: null,
    });
    // rejecting again answers the same; approving it now is 409; no money moved
    await reject(won.body.requestNo, 'again').expect(200);
    expect((await approve(won.body.requestNo).expect(409)).body.code).toBe('REFUND_REQUEST_DECIDED');
    expect(await refundRows(t, o.orderNo)).toHaveLength(0);
    expect(await refundedAmount(t, o.paymentNo)).toBe(0);

    const next = await ask(o.orderNo, o.userId, { amount: 2500, reason: 'one of two' }).expect(201);
    await approve(next.body.requestNo).expect(200);
    expect(await orderStatus(t, o.orderNo)).toBe('PARTIALLY_REFUNDED');
    // the next request without an amount asks for what is left
    const rest = await ask(o.orderNo, o.userId, { reason: 'the other one' }).expect(201);
    expect(rest.body.amount).toBe(7500);
  });

  it('Idempotency-Key: the same key and body replays the request (also concurrently); another body → 422', async () => {
    const o = await paidOrder(t, 3000);
    const key = `rq-${newUserId()}`;
    const res = await Promise.all(
      Array.from({ length: 5 }, () => ask(o.orderNo, o.userId, { amount: 1000, reason: 'k' }, key)),
    );
    // the first writes; the rest replay it or are told it is still running
    const created = res.filter((r) => r.status === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    for (const r of res.filter((x) => x.status !== 201)) {
      expect([r.status, r.body.code]).toEqual([409, 'REQUEST_IN_PROGRESS']);
    }
    expect(new Set(created.map((r) => r.body.requestNo)).size).toBe(1);
    const again = await ask(o.orderNo, o.userId, { amount: 1000, reason: 'k' }, key).expect(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.requestNo).toBe(created[0].body.requestNo);
    const other = await ask(o.orderNo, o.userId, { amount: 2000, reason: 'k' }, key).expect(422);
    expect(other.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await requestRows(o.orderNo)).toHaveLength(1);
  });

  it("another user's order is 404 (as every user route answers), an unknown order 404; nothing written", async () => {
    const o = await paidOrder(t, 2000);
    for (const who of [newUserId(), 'admin-rq']) {
      const r = await ask(o.orderNo, who, { reason: 'mine?' }).expect(404);
      expect(r.body.code).toBe('NOT_FOUND');
    }
    await ask('20990101000000000000000000000', o.userId, { reason: 'x' }).expect(404);
    await ask('not-an-order!', o.userId, { reason: 'x' }).expect(404);
    expect(await requestRows(o.orderNo)).toHaveLength(0);
  });

  it('bad input → 400 VALIDATION_FAILED; too much → 409 REFUND_EXCEEDS_PAID; unpaid → 409 ORDER_NOT_REFUNDABLE; unknown request 404; nothing written', async () => {
    const o = await paidOrder(t, 2000);
    for (const body of [
      {},
      { amount: 0, reason: 'x' },
      { amount: -5, reason: 'x' },
      { amount: 10.5, reason: 'x' },
      { amount: '100', reason: 'x' },
      // null is not "omitted" (which asks for everything left)
      { amount: null, reason: 'x' },
      { amount: 100 },
      { reason: '' },
      { reason: 'x'.repeat(257) },
      { reason: 'x', extra: 1 },
    ]) {
      const r = await ask(o.orderNo, o.userId, body);
      expect([r.status, r.body.code, body]).toEqual([400, 'VALIDATION_FAILED', body]);
    }
    const much = await ask(o.orderNo, o.userId, { amount: 2001, reason: 'x' }).expect(409);
    expect(much.body).toMatchObject({
      code: 'REFUND_EXCEEDS_PAID',
      details: { paid: 2000, refunded: 0, available: 2000 },
    });
    const unpaid = await newOrder(t, 2000);
    expect((await ask(unpaid.orderNo, unpaid.userId, { reason: 'x' }).expect(409)).body.code).toBe(
      'ORDER_NOT_REFUNDABLE',
    );
    expect(await requestRows(o.orderNo)).toHaveLength(0);
    expect(await requestRows(unpaid.orderNo)).toHaveLength(0);
    // decisions: a bad reason, an unknown or malformed number
    const open = await ask(o.orderNo, o.userId, { reason: 'ok' }).expect(201);
    for (const body of [{}, { reason: '' }, { reason: 5 }]) {
      const r = await t
        .http()
        .post(`/v1/refund-requests/${open.body.requestNo}/reject`)
        .set('Authorization', admin())
        .send(body);
      expect([r.status, r.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    }
    expect((await approve(open.body.requestNo, { restock: 'yes' })).status).toBe(400);
    await approve('RQ20990101000000000000000000000').expect(404);
    await reject('nope').expect(404);
    expect((await requestRows(o.orderNo))[0].status).toBe('OPEN');
    expect(await refundRows(t, o.orderNo)).toHaveLength(0);
  });

  it('approving a partial request with restock → 409 PARTIAL_RESTOCK, the request stays OPEN, nothing reserved; without restock it is approved', async () => {
    const o = await paidOrder(t, 3000);
    const rq = (await ask(o.orderNo, o.userId, { amount: 1, reason: 'one fen' }).expect(201)).body;
    const refused = await approve(rq.requestNo, { restock: true }).expect(409);
    expect(refused.body.code).toBe('PARTIAL_RESTOCK');
    expect((await requestRows(o.orderNo))[0].status).toBe('OPEN');
    expect(await refundRows(t, o.orderNo)).toHaveLength(0);
    expect(await refundedAmount(t, o.paymentNo)).toBe(0);
    const ok = await approve(rq.requestNo, {}).expect(200);
    expect(ok.body.status).toBe('APPROVED');
  });

  it('the routes are in Swagger with their error examples', async () => {
    const paths = (await t.http().get('/docs-json').expect(200)).body.paths;
    expect(Object.keys(paths)).toEqual(
      expect.arrayContaining([
        '/v1/orders/{orderNo}/refund-requests',
        '/v1/refund-requests',
        '/v1/refund-requests/{requestNo}',
        '/v1/refund-requests/{requestNo}/approve',
        '/v1/refund-requests/{requestNo}/reject',
      ]),
    );
    const create = paths['/v1/orders/{orderNo}/refund-requests'].post;
    expect(Object.keys(create.responses['409'].content['application/json'].examples)).toEqual(
      expect.arrayContaining(['ORDER_NOT_REFUNDABLE', 'REFUND_EXCEEDS_PAID', 'REFUND_REQUEST_OPEN']),
    );
  });

  it('10 concurrent approvals → one refund, every answer the same APPROVED request', async () => {
    const o = await paidOrder(t, 4000);
    const rq = (await ask(o.orderNo, o.userId, { amount: 4000, reason: 'twice?' }).expect(201)).body;
    const res = await Promise.all(Array.from({ length: 10 }, () => approve(rq.requestNo)));
    expect(res.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(new Set(res.map((r) => r.body.refundNo)).size).toBe(1);
    expect(await refundRows(t, o.orderNo)).toHaveLength(1);
    expect(await gatewayRefunds(t, o.paymentNo)).toHaveLength(1);
    expect(await refundedAmount(t, o.paymentNo)).toBe(4000);
  });

  it('approvals and rejections racing → exactly one decision; a refund exists iff it is APPROVED', async () => {
    const orders = await Promise.all(Array.from({ length: 4 }, () => paidOrder(t, 3000)));
    for (const o of orders) {
      const rq = (await ask(o.orderNo, o.userId, { reason: 'race' }).expect(201)).body;
      const res = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          i % 2 ? reject(rq.requestNo, `no ${i}`) : approve(rq.requestNo),
        ),
      );
      const row = (await requestRows(o.orderNo))[0];
      expect(['APPROVED', 'REJECTED']).toContain(row.status);
      for (const [i, r] of res.entries()) {
        const asked = i % 2 ? 'REJECTED' : 'APPROVED';
        if (asked === row.status) expect([r.status, r.body.status]).toEqual([200, row.status]);
        else expect([r.status, r.body.code]).toEqual([409, 'REFUND_REQUEST_DECIDED']);
      }
      const refunds = await refundRows(t, o.orderNo);
      expect(refunds.map((r) => r.refund_no)).toEqual(row.status === 'APPROVED' ? [row.refund_no] : []);
      expect(await refundedAmount(t, o.paymentNo)).toBe(row.status === 'APPROVED' ? 3000 : 0);
      expect(row.open_flag).toBeNull();
    }
  });

  it('an approval the refund refuses (an admin refunded it all meanwhile) changes nothing; the request stays OPEN to be rejected', async () => {
    const o = await paidOrder(t, 5000);
    const rq = (await ask(o.orderNo, o.userId, { amount: 2000, reason: 'part' }).expect(201)).body;
    await refundReq(t, o.orderNo, { amount: 5000, reason: 'all, by the shop' }).expect(201);
    const r = await approve(rq.requestNo).expect(409);
    expect(r.body.code).toBe('ORDER_NOT_REFUNDABLE');
    expect((await requestRows(o.orderNo))[0]).toMatchObject({ status: 'OPEN', refund_no: null });
    expect(await refundRows(t, o.orderNo)).toHaveLength(1);
    await reject(rq.requestNo, 'refunded in full already').expect(200);
    expect(
      await count(t, "SELECT COUNT(*) n FROM t_refund_request WHERE order_no = ? AND status = 'REJECTED'", [
        o.orderNo,
      ]),
    ).toBe(1);
  });
});
