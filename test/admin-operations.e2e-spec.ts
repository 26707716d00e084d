import { eventually, newUserId } from './factories/order.factory';
import { newOrder, orderStatus, paymentRow, prepay, sandboxPay } from './payment-helpers';
import { createTestApp, TestApp } from './utils/test-app';

/** Today's bill date in China time (the sandbox's bill day). */
const todayCst = () => new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);

/**
 * The admin API of issue 24 against real MySQL and Redis: anomalies with their states (list, filter,
 * resolve), stored reconciliation runs, payment lookup and a payment's timeline, the overview stats;
 * admins only, 404s and 400s with codes. (Late money's automatic refund: test/late-money.e2e-spec.ts.)
 */
describe('admin operations API', () => {
  let t: TestApp;
  const admin = () => t.bearer('admin-ops', 'admin');
  beforeAll(async () => {
    // AUTO_REFUND off: the anomalies here stay OPEN for a person; active queries 1.5 / 3 / 6 s after the
    // pre-pay (a notify that is sent arrives before the first)
    t = await createTestApp({ env: { AUTO_REFUND: 'false', PAYMENT_QUERY_DELAYS_MS: '1500,3000,6000' } });
  });
  afterAll(() => t?.close());

  /** An order cancelled while paying, then paid at the gateway anyway (the sandbox's allowAfterClose). */
  async function paidAfterCancel() {
    const o = await newOrder(t, 4200);
    const p = (await prepay(t, o.userId, o.orderNo).expect(201)).body;
    await t
      .http()
      .post(`/v1/orders/${o.orderNo}/cancel`)
      .set('Authorization', t.bearer(o.userId))
      .expect(200);
    await sandboxPay(t, p.paymentNo, { allowAfterClose: true }).expect(200);
    await eventually(async () => (await paymentRow(t, p.paymentNo))?.status === 'SUCCESS', 20000, 50);
    return { ...o, paymentNo: p.paymentNo as string };
  }

  it('users get 403 FORBIDDEN and no token 401 on every admin route', async () => {
    const user = t.bearer(newUserId());
    for (const [method, path] of [
      ['get', '/v1/admin/anomalies'],
      ['get', '/v1/admin/anomalies/1'],
      ['post', '/v1/admin/anomalies/1/resolve'],
      ['get', '/v1/admin/reconciliations'],
      ['get', '/v1/admin/reconciliations/1'],
      ['get', '/v1/admin/payments?orderNo=X'],
      ['get', '/v1/admin/payments/X/timeline'],
      ['get', '/v1/admin/stats'],
    ] as const) {
      const r = await t.http()[method](path).set('Authorization', user).send({ note: 'x' });
      expect([path, r.status, r.body.code]).toEqual([path, 403, 'FORBIDDEN']);
      const anon = await t.http()[method](path).send({ note: 'x' });
      expect([path, anon.status]).toEqual([path, 401]);
    }
  });

  it('an anomaly is listed OPEN with its payment, resolved once with a note; filters, cursor, 404s, 400s', async () => {
    const a = await paidAfterCancel();
    const b = await paidAfterCancel();
    const list = await t
      .http()
      .get('/v1/admin/anomalies?status=OPEN&limit=1')
      .set('Authorization', admin())
      .expect(200);
    expect(list.body.items).toHaveLength(1);
    expect(list.body.items[0]).toMatchObject({
      paymentNo: b.paymentNo,
      orderNo: b.orderNo,
      channel: 'alipay',
      amount: 4200,
      status: 'OPEN',
      refundNo: null,
      detail: expect.objectContaining({ orderOutcome: 'PAID_AFTER_CANCEL' }),
    });
    expect(list.body.nextCursor).toBe(list.body.items[0].id);
    const next = await t
      .http()
      .get(`/v1/admin/anomalies?status=OPEN&limit=1&cursor=${list.body.nextCursor}`)
      .set('Authorization', admin())
      .expect(200);
    expect(next.body.items[0].paymentNo).toBe(a.paymentNo);
    const kind = list.body.items[0].kind;
    const byKind = await t
      .http()
      .get(`/v1/admin/anomalies?kind=${kind}`)
      .set('Authorization', admin())
      .expect(200);
    expect(byKind.body.items.every((x: { kind: string }) => x.kind === kind)).toBe(true);

    const id = list.body.items[0].id;
    const resolve = () =>
      t
        .http()
        .post(`/v1/admin/anomalies/${id}/resolve`)
        .set('Authorization', admin())
        .send({ note: 'refunded by hand, buyer told' });
    const both = await Promise.all([resolve(), resolve()]);
    expect(both.map((r) => r.status)).toEqual([200, 200]);
    expect(both[0].body).toMatchObject({
      id,
      status: 'RESOLVED',
      resolvedBy: 'admin-ops',
      resolutionNote: 'refunded by hand, buyer told',
    });
    expect(both[1].body.resolvedAt).toBe(both[0].body.resolvedAt);
    const resolved = await t
      .http()
      .get('/v1/admin/anomalies?status=RESOLVED')
      .set('Authorization', admin())
      .expect(200);
    expect(resolved.body.items.map((x: { id: string }) => x.id)).toContain(id);
    const open = await t
      .http()
      .get('/v1/admin/anomalies?status=OPEN')
      .set('Authorization', admin())
      .expect(200);
    expect(open.body.items.map((x: { id: string }) => x.id)).not.toContain(id);

    // bad input: clear 4xx with a code, nothing changes
    for (const [path, body, status, code] of [
      ['/v1/admin/anomalies/999999/resolve', { note: 'x' }, 404, 'NOT_FOUND'],
      ['/v1/admin/anomalies/abc/resolve', { note: 'x' }, 404, 'NOT_FOUND'],
      [`/v1/admin/anomalies/${next.body.items[0].id}/resolve`, {}, 400, 'VALIDATION_FAILED'],
      [`/v1/admin/anomalies/${next.body.items[0].id}/resolve`, { note: '' }, 400, 'VALIDATION_FAILED'],
    ] as const) {
      const r = await t.http().post(path).set('Authorization', admin()).send(body);
      expect([path, r.status, r.body.code]).toEqual([path, status, code]);
    }
    expect(
      (await t.http().get(`/v1/admin/anomalies/${next.body.items[0].id}`).set('Authorization', admin())).body
        .status,
    ).toBe('OPEN');
    for (const q of ['status=NOPE', 'cursor=-1', 'limit=0', 'kind=lower']) {
      const r = await t.http().get(`/v1/admin/anomalies?${q}`).set('Authorization', admin());
      expect([q, r.status, r.body.code]).toEqual([q, 400, 'VALIDATION_FAILED']);
    }
    expect(
      (await t.http().get('/v1/admin/anomalies/123456789').set('Authorization', admin())).body.code,
    ).toBe('NOT_FOUND');
  });

  it('the outbox carries anomaly.opened, in the same transaction as the row', async () => {
    const a = await paidAfterCancel();
    const rows = await t.dataSource.query(
      `SELECT o.payload FROM t_outbox o JOIN t_payment_anomaly a ON o.event_key = CONCAT('anomaly:', a.id)
       WHERE o.topic = 'anomaly.opened' AND a.payment_no = ?`,
      [a.paymentNo],
    );
    expect(rows).toHaveLength(1);
    const payload = typeof rows[0].payload === 'string' ? JSON.parse(rows[0].payload) : rows[0].payload;
    expect(payload).toMatchObject({ paymentNo: a.paymentNo, kind: expect.stringMatching(/^PAID_AFTER_C/) });
  });

  it('every reconciliation run is stored with its counts and each mismatch; listed newest first', async () => {
    const o = await newOrder(t, 3100);
    const p = (await prepay(t, o.userId, o.orderNo).expect(201)).body;
    await sandboxPay(t, p.paymentNo, { notify: { mode: 'drop' } }).expect(200);
    const run = await t
      .http()
      .post('/v1/admin/reconciliations')
      .set('Authorization', admin())
      .send({ date: todayCst() })
      .expect(200);
    expect(run.body.runId).toMatch(/^\d+$/);
    expect(await orderStatus(t, o.orderNo)).toBe('PAID');
    const list = await t.http().get('/v1/admin/reconciliations').set('Authorization', admin()).expect(200);
    expect(list.body.items[0]).toMatchObject({
      id: run.body.runId,
      date: todayCst(),
      channels: expect.arrayContaining(['alipay']),
      trigger: 'requested',
      requestedBy: 'admin-ops',
      checked: run.body.checked,
      mismatchCount: run.body.mismatches.length,
      finishedAt: expect.any(String),
    });
    expect(list.body.items[0].mismatches).toContainEqual({
      paymentNo: p.paymentNo,
      channel: 'alipay',
      kind: 'paid_not_recorded',
      repaired: true,
    });
    expect(['OK', 'MISMATCHES']).toContain(list.body.items[0].status);
    const one = await t
      .http()
      .get(`/v1/admin/reconciliations/${run.body.runId}`)
      .set('Authorization', admin())
      .expect(200);
    expect(one.body).toEqual(list.body.items[0]);
    const byDate = await t
      .http()
      .get(`/v1/admin/reconciliations?date=2001-01-01`)
      .set('Authorization', admin())
      .expect(200);
    expect(byDate.body).toEqual({ items: [], nextCursor: null });
    expect(
      (await t.http().get('/v1/admin/reconciliations/999999').set('Authorization', admin())).body.code,
    ).toBe('NOT_FOUND');
    expect(
      (await t.http().get('/v1/admin/reconciliations?date=2026-02-30').set('Authorization', admin())).body
        .code,
    ).toBe('VALIDATION_FAILED');
  });

  it('payment lookup by order, payment and trade number; the timeline shows the notifies with their outcome', async () => {
    const a = await paidAfterCancel();
    const row = (await paymentRow(t, a.paymentNo))!;
    for (const q of [
      `orderNo=${a.orderNo}`,
      `paymentNo=${a.paymentNo}`,
      `channelTradeNo=${row.channel_trade_no}`,
    ]) {
      const r = await t.http().get(`/v1/admin/payments?${q}`).set('Authorization', admin()).expect(200);
      expect(r.body).toEqual([
        expect.objectContaining({
          paymentNo: a.paymentNo,
          orderNo: a.orderNo,
          status: 'SUCCESS',
          orderStatus: 'CANCELLED',
          channelTradeNo: row.channel_trade_no,
        }),
      ]);
    }
    const tl = await t
      .http()
      .get(`/v1/admin/payments/${a.paymentNo}/timeline`)
      .set('Authorization', admin())
      .expect(200);
    const types = tl.body.timeline.map((e: { type: string }) => e.type);
    expect(types[0]).toBe('payment.created');
    expect(types).toEqual(
      expect.arrayContaining(['order.cancelled', 'payment.closed', 'payment.succeeded', 'anomaly.opened']),
    );
    const notify = tl.body.timeline.find((e: { type: string }) => e.type === 'notify');
    expect(notify.detail).toMatchObject({ verified: true, tradeStatus: 'TRADE_SUCCESS' });
    expect(JSON.stringify(tl.body)).not.toMatch(/sign=|raw_body|rawBody|BEGIN .*KEY/);
    const sorted = [...tl.body.timeline].map((e: { at: string }) => e.at).sort();
    expect(tl.body.timeline.map((e: { at: string }) => e.at)).toEqual(sorted);

    for (const [q, status, code] of [
      ['', 400, 'VALIDATION_FAILED'],
      [`orderNo=${a.orderNo}&paymentNo=${a.paymentNo}`, 400, 'VALIDATION_FAILED'],
      ['paymentNo=bad!no', 400, 'VALIDATION_FAILED'],
      ['paymentNo=NOPE123', 404, 'NOT_FOUND'],
      ['orderNo=NOPE123', 404, 'NOT_FOUND'],
    ] as const) {
      const r = await t.http().get(`/v1/admin/payments?${q}`).set('Authorization', admin());
      expect([q, r.status, r.body.code]).toEqual([q, status, code]);
    }
    const missing = await t.http().get('/v1/admin/payments/NOPE123/timeline').set('Authorization', admin());
    expect([missing.status, missing.body.code]).toEqual([404, 'NOT_FOUND']);
  });

  it('a dropped notify, then the active query pays: the timeline shows each query with its answer', async () => {
    const o = await newOrder(t, 3100);
    const p = (await prepay(t, o.userId, o.orderNo).expect(201)).body;
    await sandboxPay(t, p.paymentNo, { notify: { mode: 'drop' } }).expect(200);
    await eventually(async () => (await orderStatus(t, o.orderNo)) === 'PAID', 20000, 50);
    const tl = await t
      .http()
      .get(`/v1/admin/payments/${p.paymentNo}/timeline`)
      .set('Authorization', admin())
      .expect(200);
    type Entry = { at: string; type: string; title: string; detail: Record<string, unknown> };
    const entries: Entry[] = tl.body.timeline;
    expect(entries.filter((e) => e.type === 'notify')).toEqual([]); // nobody told us
    const queries = entries.filter((e) => e.type === 'query');
    const paid = queries.find((e) => e.detail.answer === 'PAID')!;
    expect(paid).toMatchObject({
      title: expect.stringMatching(/^query \d asked alipay → PAID \(applied\)$/),
      detail: { source: 'query', answer: 'PAID', outcome: 'applied' },
    });
    expect(paid.detail.answerDetail).toMatch(/^trade \d+, 3100 fen, paid /);
    // every question with its answer and when it came, as stored; the order paid after the answer
    const stored = await t.dataSource.query(
      'SELECT source, attempt, answer, outcome, asked_at, answered_at FROM t_payment_query_log WHERE payment_no = ? ORDER BY id',
      [p.paymentNo],
    );
    expect(queries.map((q) => [q.at, q.detail.answer, q.detail.outcome, q.detail.answeredAt])).toEqual(
      stored.map((r: { asked_at: Date; answer: string; outcome: string; answered_at: Date }) => [
        new Date(r.asked_at).toISOString(),
        r.answer,
        r.outcome,
        new Date(r.answered_at).toISOString(),
      ]),
    );
    for (const q of queries) expect(String(q.detail.answeredAt) >= q.at).toBe(true);
    expect(queries.filter((q) => q.detail.outcome === 'applied')).toHaveLength(1);
    const at = (type: string) => entries.findIndex((e) => e.type === type);
    expect(at('order.paid')).toBeGreaterThan(entries.indexOf(paid));
    expect(at('payment.created')).toBe(0);
    expect(tl.body.notes.join(' ')).toMatch(/query entry with its answer/);
  });

  it('stats: payments and refunds per minute by channel, success rate, notifies answered, anomalies open', async () => {
    const o = await newOrder(t, 1500);
    const p = (await prepay(t, o.userId, o.orderNo).expect(201)).body;
    await sandboxPay(t, p.paymentNo).expect(200);
    await eventually(async () => (await orderStatus(t, o.orderNo)) === 'PAID', 20000, 50);
    const s = await t.http().get('/v1/admin/stats?minutes=30').set('Authorization', admin()).expect(200);
    const alipay = s.body.perMinute.filter((m: { channel: string }) => m.channel === 'alipay');
    expect(alipay.reduce((n: number, m: { succeeded: number }) => n + m.succeeded, 0)).toBeGreaterThanOrEqual(
      1,
    );
    expect(s.body.successRate.created).toBeGreaterThanOrEqual(s.body.successRate.succeeded - 10);
    expect(s.body.notifies.answered).toBeGreaterThanOrEqual(1);
    expect(s.body.notifies.byOutcome.APPLIED).toBeGreaterThanOrEqual(1);
    const open = await t.dataSource.query(
      `SELECT COUNT(*) AS n FROM t_payment_anomaly WHERE status = 'OPEN'`,
    );
    expect(s.body.anomaliesOpen).toBe(Number(open[0].n));
    expect((await t.http().get('/v1/admin/stats?minutes=1').set('Authorization', admin())).status).toBe(400);
  });
});
