import { PaymentSuccessService } from '../src/payment/payment-success.service';
import { PaymentSweeper } from '../src/payment/payment-sweeper.service';
import { createProduct, eventually, newUserId } from './factories/order.factory';
import { rechargeWithPayment } from './callback-support';
import { anomalies, newOrder, orderStatus, paymentRow, prepay, sandboxPay } from './payment-helpers';
import { createTestApp, TestApp } from './utils/test-app';
import { expectLedgerBalanced, seedWallet } from './ledger-helpers';

const ENV = {
  PAYMENT_QUERY_DELAYS_MS: '300,600,900',
  SANDBOX_TIME_SCALE: '0.001',
  ALIPAY_TIMEOUT_MS: '1000',
  SUBMIT_DEDUP_WINDOW_MS: '1',
  PAYMENT_STUCK_AFTER_MS: '1',
  PAYMENT_SWEEP_INTERVAL_MS: '3600000',
};

describe('payments (pre-pay, active query, success path, wallet)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: ENV });
  });
  afterAll(() => t?.close());

  it('the walk-through of docs/payments.md: token → product → order → pay → sandbox pay → PAID', async () => {
    const http = () => t.http();
    const admin = (await http().post('/v1/dev/tokens').send({ userId: 'admin-1', role: 'admin' }).expect(201))
      .body.token;
    const user = (await http().post('/v1/dev/tokens').send({ userId: newUserId(), role: 'user' }).expect(201))
      .body.token;
    const product = (
      await http()
        .post('/v1/products')
        .set('Authorization', `Bearer ${admin}`)
        .send({ sku: `MUG-${newUserId()}`, name: 'Mug', price: 12345, stock: 10 })
        .expect(201)
    ).body;
    const order = (
      await http()
        .post('/v1/orders')
        .set('Authorization', `Bearer ${user}`)
        .send({ items: [{ productId: product.id, quantity: 1 }] })
        .expect(201)
    ).body;
    const pay = (
      await http()
        .post(`/v1/orders/${order.orderNo}/payments`)
        .set('Authorization', `Bearer ${user}`)
        .send({ channel: 'alipay' })
        .expect(201)
    ).body;
    expect(pay).toMatchObject({ status: 'PENDING', amount: 12345, qrCode: expect.any(String) });
    await http()
      .post(`/sandbox/alipay/trades/${pay.paymentNo}/pay`)
      .send({ notify: { mode: 'normal' } })
      .expect(200);
    const paid = await eventually(
      async () => {
        const o = (
          await http().get(`/v1/orders/${order.orderNo}`).set('Authorization', `Bearer ${user}`).expect(200)
        ).body;
        return o.status === 'PAID' && o;
      },
      15000,
      50,
    );
    expect(paid.paidAt).toEqual(expect.any(String));
    const p = (
      await http().get(`/v1/payments/${pay.paymentNo}`).set('Authorization', `Bearer ${user}`).expect(200)
    ).body;
    expect(p.status).toBe('SUCCESS');
    const docs = (await http().get('/docs-json').expect(200)).body;
    expect(Object.keys(docs.paths)).toEqual(
      expect.arrayContaining([
        '/v1/orders/{orderNo}/payments',
        '/v1/payments/{paymentNo}',
        '/sandbox/alipay/gateway.do',
        '/sandbox/alipay/trades/{outTradeNo}/pay',
        '/sandbox/alipay/trades/{outTradeNo}/faults',
      ]),
    );
  });

  describe('alipay pre-pay', () => {
    it('201 with a QR code, order PAYING; a retry answers 200 with the same payment; owner-only reads', async () => {
      const { userId, orderNo, amount } = await newOrder(t);
      const first = await prepay(t, userId, orderNo).expect(201);
      expect(first.body).toEqual({
        paymentNo: `${orderNo}P01`,
        orderNo,
        channel: 'alipay',
        status: 'PENDING',
        amount,
        qrCode: expect.stringMatching(/^https:\/\/qr\.alipay\.com\//),
        expiresAt: expect.any(String),
        paidAt: null,
        closedAt: null,
        createdAt: expect.any(String),
      });
      expect(await orderStatus(t, orderNo)).toBe('PAYING');
      const again = await prepay(t, userId, orderNo).expect(200);
      expect(again.body.paymentNo).toBe(first.body.paymentNo);
      expect(again.body.qrCode).toBe(first.body.qrCode);

      const got = await t
        .http()
        .get(`/v1/payments/${first.body.paymentNo}`)
        .set('Authorization', t.bearer(userId))
        .expect(200);
      expect(got.body.paymentNo).toBe(first.body.paymentNo);
      const other = newUserId();
      await t
        .http()
        .get(`/v1/payments/${first.body.paymentNo}`)
        .set('Authorization', t.bearer(other))
        .expect(404);
      expect((await prepay(t, other, orderNo).expect(404)).body.code).toBe('NOT_FOUND');
      await t.http().get(`/v1/payments/${first.body.paymentNo}`).expect(401);
    });

    it('20 concurrent pre-pays of one order → one payment number, one 201, order PAYING', async () => {
      const { userId, orderNo } = await newOrder(t);
      const res = await Promise.all(Array.from({ length: 20 }, () => prepay(t, userId, orderNo)));
      const ok = res.filter((r) => r.status === 200 || r.status === 201);
      expect(res.filter((r) => r.status === 201)).toHaveLength(1);
      // anything else may only be "try again" (lock wait exceeded), never a second payment
      for (const r of res.filter((x) => x.status !== 200 && x.status !== 201))
        expect(r.body.code).toBe('REQUEST_IN_PROGRESS');
      expect(new Set(ok.map((r) => r.body.paymentNo)).size).toBe(1);
      const [{ n }] = await t.dataSource.query('SELECT COUNT(*) AS n FROM t_payment WHERE order_no = ?', [
        orderNo,
      ]);
      expect(Number(n)).toBe(1);
      expect(await orderStatus(t, orderNo)).toBe('PAYING');
      const [{ s }] = await t.dataSource.query(
        'SELECT COUNT(*) AS s FROM sandbox_trade WHERE out_trade_no LIKE ?',
        [`${orderNo}%`],
      );
      expect(Number(s)).toBe(1);
    });

    it('bad input and unpayable orders: 400, 409 ORDER_ALREADY_PAID / ORDER_NOT_PAYABLE / PAYMENT_IN_PROGRESS', async () => {
      const { userId, orderNo } = await newOrder(t);
      expect((await prepay(t, userId, orderNo, 'cash').expect(400)).body.code).toBe('VALIDATION_FAILED');
      expect(await orderStatus(t, orderNo)).toBe('CREATED');
      const first = (await prepay(t, userId, orderNo).expect(201)).body;
      // switching to the wallet without the money is refused before the pending QR code is closed for it
      expect((await prepay(t, userId, orderNo, 'wallet').expect(409)).body.code).toBe('INSUFFICIENT_BALANCE');
      expect((await paymentRow(t, first.paymentNo))?.status).toBe('PENDING');

      const c = await newOrder(t);
      await t
        .http()
        .post(`/v1/orders/${c.orderNo}/cancel`)
        .set('Authorization', t.bearer(c.userId))
        .expect(200);
      expect((await prepay(t, c.userId, c.orderNo).expect(409)).body.code).toBe('ORDER_NOT_PAYABLE');
      const [{ n }] = await t.dataSource.query('SELECT COUNT(*) AS n FROM t_payment WHERE order_no = ?', [
        c.orderNo,
      ]);
      expect(Number(n)).toBe(0);
    });
  });

  describe('active query', () => {
    it('notify dropped → SUCCESS through active query, order PAID, one outbox event, one marker', async () => {
      const { userId, orderNo } = await newOrder(t);
      const p = (await prepay(t, userId, orderNo).expect(201)).body;
      await sandboxPay(t, p.paymentNo, { notify: { mode: 'drop' } }).expect(200);
      await eventually(async () => (await paymentRow(t, p.paymentNo))?.status === 'SUCCESS', 10000, 50);
      const row = (await paymentRow(t, p.paymentNo))!;
      expect(row.channel_trade_no).toMatch(/^\d+$/);
      expect(row.paid_at).toBeInstanceOf(Date);
      await eventually(async () => (await orderStatus(t, orderNo)) === 'PAID', 10000, 50);
      const events = await t.dataSource.query(
        "SELECT payload FROM t_outbox WHERE topic = 'payment.succeeded' AND event_key = ?",
        [p.paymentNo],
      );
      expect(events).toHaveLength(1);
      const payload =
        typeof events[0].payload === 'string' ? JSON.parse(events[0].payload) : events[0].payload;
      expect(payload).toMatchObject({
        paymentNo: p.paymentNo,
        orderNo,
        userId,
        channel: 'alipay',
        amount: p.amount,
      });
      const markers = await t.dataSource.query(
        "SELECT 1 FROM t_uq_dipose WHERE ref_type = 'PAYMENT_SUCCEEDED' AND ref_id = ?",
        [p.paymentNo],
      );
      expect(markers).toHaveLength(1);
      expect((await prepay(t, userId, orderNo).expect(409)).body.code).toBe('ORDER_ALREADY_PAID');
      const got = await t
        .http()
        .get(`/v1/payments/${p.paymentNo}`)
        .set('Authorization', t.bearer(userId))
        .expect(200);
      expect(got.body).toMatchObject({ status: 'SUCCESS', paidAt: expect.any(String) });
    });

    it.each(['system_error', 'timeout'])(
      'query answering %s never marks anything unpaid or closed; a later query settles it',
      async (fault) => {
        const { userId, orderNo } = await newOrder(t);
        const p = (await prepay(t, userId, orderNo).expect(201)).body;
        await t
          .http()
          .post(`/sandbox/alipay/trades/${p.paymentNo}/faults`)
          .send({ query: fault, times: 2 })
          .expect(200);
        await sandboxPay(t, p.paymentNo, { notify: { mode: 'drop' } }).expect(200);
        const seen = new Set<string>();
        await eventually(
          async () => {
            // one statement, one snapshot (two reads could straddle the success commit)
            const [row] = await t.dataSource.query(
              `SELECT p.status AS ps, o.status AS os FROM t_payment p JOIN t_order o ON o.order_no = p.order_no
                WHERE p.payment_no = ?`,
              [p.paymentNo],
            );
            seen.add(`${row.ps}/${row.os}`);
            return row.ps === 'SUCCESS';
          },
          20000,
          25,
        );
        // the payment and the order change in one transaction: never one without the other
        for (const s of seen) expect(['PENDING/PAYING', 'SUCCESS/PAID']).toContain(s);
        expect(seen.has('PENDING/PAYING')).toBe(true);
        const trade = (await t.http().get(`/sandbox/alipay/trades/${p.paymentNo}`).expect(200)).body;
        expect(trade.queryFault).toBeNull(); // both faults were really served
        await eventually(async () => (await orderStatus(t, orderNo)) === 'PAID', 10000, 50);
      },
    );

    it('the sweeper queries orders stuck in PAYING', async () => {
      const { userId, orderNo } = await newOrder(t);
      const p = (await prepay(t, userId, orderNo).expect(201)).body;
      await sandboxPay(t, p.paymentNo, { notify: { mode: 'drop' } }).expect(200);
      const seen = await t.app.get(PaymentSweeper).sweep();
      expect(seen).toBeGreaterThanOrEqual(1);
      expect((await paymentRow(t, p.paymentNo))!.status).toBe('SUCCESS');
    });
  });

  describe('sweeper paging', () => {
    // an instance of its own whose active queries are far away, so only the sweeper can find the payment
    let s: TestApp;
    beforeAll(async () => {
      s = await createTestApp({ env: { ...ENV, PAYMENT_QUERY_DELAYS_MS: '600000' } });
    });
    afterAll(() => s?.close());

    it('moves on page by page: a lost payment behind many unpaid ones is still found', async () => {
      // three older PAYING orders that are merely unpaid, then one paid whose notify was lost
      for (let i = 0; i < 3; i++) {
        const o = await newOrder(s);
        await prepay(s, o.userId, o.orderNo).expect(201);
      }
      const { userId, orderNo } = await newOrder(s);
      const p = (await prepay(s, userId, orderNo).expect(201)).body;
      await sandboxPay(s, p.paymentNo, { notify: { mode: 'drop' } }).expect(200);
      const sweeper = s.app.get(PaymentSweeper);
      // pages of 2: always taking the first two would never reach it
      for (let pass = 0; pass < 10 && (await paymentRow(s, p.paymentNo))!.status !== 'SUCCESS'; pass++) {
        await sweeper.sweep(2);
      }
      expect((await paymentRow(s, p.paymentNo))!.status).toBe('SUCCESS');
    });
  });

  describe('the exactly-once success path', () => {
    it('10 concurrent applySuccess → one applied, nine duplicates, one event', async () => {
      const { userId, orderNo, amount } = await newOrder(t);
      const p = (await prepay(t, userId, orderNo).expect(201)).body;
      const svc = t.app.get(PaymentSuccessService);
      const input = {
        paymentNo: p.paymentNo,
        channel: 'alipay' as const,
        channelTradeNo: `T${Date.now()}`,
        amount,
        paidAt: new Date(),
        source: 'callback' as const,
      };
      const outcomes = await Promise.all(Array.from({ length: 10 }, () => svc.applySuccess(input)));
      expect(outcomes.filter((o) => o === 'applied')).toHaveLength(1);
      expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(9);
      const [{ n }] = await t.dataSource.query('SELECT COUNT(*) AS n FROM t_outbox WHERE event_key = ?', [
        p.paymentNo,
      ]);
      expect(Number(n)).toBe(1);
      expect(await svc.applySuccess({ ...input, source: 'query' })).toBe('duplicate');
    });

    it('the order side in one upsert: a recharge is credited once (10 concurrent applies), also with no wallet row; a GOODS order credits nothing', async () => {
      const svc = t.app.get(PaymentSuccessService);
      const credit = (userId: string, amount: number) => seedWallet(t, userId, amount);
      const wallet = async (userId: string) =>
        (await t.dataSource.query('SELECT balance FROM t_user_account WHERE user_id = ?', [userId])).map(
          (r: { balance: unknown }) => Number(r.balance),
        );
      // a recharge of a user who has a balance already
      const u1 = newUserId();
      const r1 = await rechargeWithPayment(t, u1, 700);
      await credit(u1, 300);
      // a recharge of a user whose wallet row is gone (the credit must make it)
      const u2 = newUserId();
      const r2 = await rechargeWithPayment(t, u2, 900);
      await t.dataSource.query('DELETE FROM t_user_account WHERE user_id = ?', [u2]);
      // a GOODS order of a user with a balance
      const g = await newOrder(t);
      const gp = (await prepay(t, g.userId, g.orderNo).expect(201)).body;
      await credit(g.userId, 500);
      const tenTimes = (paymentNo: string, amount: number) =>
        Promise.all(
          Array.from({ length: 10 }, () =>
            svc.applySuccess({
              paymentNo,
              channel: 'alipay',
              channelTradeNo: `T${paymentNo}`,
              amount,
              paidAt: new Date(),
              source: 'callback',
            }),
          ),
        );
      const outcomes = await Promise.all([
        tenTimes(r1.paymentNo, 700),
        tenTimes(r2.paymentNo, 900),
        tenTimes(gp.paymentNo, g.amount),
      ]);
      for (const o of outcomes) expect(o.filter((x) => x === 'applied')).toHaveLength(1);
      for (const orderNo of [r1.orderNo, r2.orderNo, g.orderNo])
        expect(await orderStatus(t, orderNo)).toBe('PAID');
      expect(await wallet(u1)).toEqual([1000]);
      expect(await wallet(u2)).toEqual([900]);
      expect(await wallet(g.userId)).toEqual([500]);
    });

    it('a wrong amount is an anomaly, never paid; the right amount later still pays', async () => {
      const { userId, orderNo, amount } = await newOrder(t);
      const p = (await prepay(t, userId, orderNo).expect(201)).body;
      const svc = t.app.get(PaymentSuccessService);
      const base = {
        paymentNo: p.paymentNo,
        channel: 'alipay' as const,
        channelTradeNo: `T${Date.now()}x`,
        paidAt: new Date(),
        source: 'callback' as const,
      };
      expect(await svc.applySuccess({ ...base, amount: amount + 1 })).toBe('anomaly');
      expect(await svc.applySuccess({ ...base, amount: amount - 1, source: 'query' })).toBe('anomaly');
      expect((await paymentRow(t, p.paymentNo))!.status).toBe('PENDING');
      expect(await orderStatus(t, orderNo)).toBe('PAYING');
      expect(await anomalies(t, p.paymentNo)).toEqual(['AMOUNT_MISMATCH']);
      expect(await svc.applySuccess({ ...base, amount })).toBe('applied');
      await expect(svc.applySuccess({ ...base, amount, paymentNo: 'NOPE' })).rejects.toThrow(/not found/);
    });
  });

  describe('gateway down at pre-pay', () => {
    it('502 GATEWAY_UNAVAILABLE; the retry reuses the same payment and gets its QR code', async () => {
      const down = await createTestApp({
        env: { ...ENV, ALIPAY_GATEWAY_URL: 'http://127.0.0.1:9/gateway.do' },
        dbName: t.dbName,
        redisPrefix: t.redisPrefix,
        keepDb: true,
      });
      try {
        const { userId, orderNo } = await newOrder(t);
        const r = await prepay(down, userId, orderNo).expect(502);
        expect(r.body).toMatchObject({
          code: 'GATEWAY_UNAVAILABLE',
          details: { paymentNo: `${orderNo}P01` },
        });
        expect((await paymentRow(t, `${orderNo}P01`))!).toMatchObject({ status: 'PENDING', qr_code: null });
        expect(await orderStatus(t, orderNo)).toBe('PAYING');
        const again = await prepay(t, userId, orderNo).expect(200);
        expect(again.body).toMatchObject({ paymentNo: `${orderNo}P01`, qrCode: expect.any(String) });
        const [{ n }] = await t.dataSource.query('SELECT COUNT(*) AS n FROM t_payment WHERE order_no = ?', [
          orderNo,
        ]);
        expect(Number(n)).toBe(1);
      } finally {
        await down.close();
      }
    });
  });

  describe('Redis down', () => {
    it('pre-pay answers 503 and changes nothing; the success path still works', async () => {
      const down = await createTestApp({
        env: { ...ENV, REDIS_URL: 'redis://127.0.0.1:6390' },
        dbName: t.dbName,
        keepDb: true,
      });
      try {
        const a = await newOrder(t);
        const r = await prepay(down, a.userId, a.orderNo);
        expect(r.status).toBe(503);
        expect(r.body.code).toBe('SERVICE_UNAVAILABLE');
        expect(await orderStatus(t, a.orderNo)).toBe('CREATED');
        const [{ n }] = await t.dataSource.query('SELECT COUNT(*) AS n FROM t_payment WHERE order_no = ?', [
          a.orderNo,
        ]);
        expect(Number(n)).toBe(0);

        const b = await newOrder(t);
        const p = (await prepay(t, b.userId, b.orderNo).expect(201)).body;
        const outcome = await down.app.get(PaymentSuccessService).applySuccess({
          paymentNo: p.paymentNo,
          channel: 'alipay',
          channelTradeNo: `T${Date.now()}r`,
          amount: b.amount,
          paidAt: new Date(),
          source: 'callback',
        });
        expect(outcome).toBe('applied');
        expect((await paymentRow(t, p.paymentNo))!.status).toBe('SUCCESS');
        expect(await orderStatus(t, b.orderNo)).toBe('PAID');
      } finally {
        await down.close();
      }
    });
  });

  describe('wallet', () => {
    async function credit(userId: string, amount: number) {
      await seedWallet(t, userId, amount);
    }
    const balance = async (userId: string) => {
      const rows = await t.dataSource.query('SELECT balance FROM t_user_account WHERE user_id = ?', [userId]);
      return Number(rows[0]?.balance ?? 0);
    };

    it('balance 10,000: two concurrent 6,000 payments on two orders → one paid, balance 4,000, never negative', async () => {
      const userId = newUserId();
      await credit(userId, 10_000);
      const product = await createProduct(t, { price: 6000, stock: 10 });
      const orders: string[] = [];
      for (let i = 1; i <= 2; i++) {
        const o = await t
          .http()
          .post('/v1/orders')
          .set('Authorization', t.bearer(userId))
          .send({ items: [{ productId: product.id, quantity: 1 }] })
          .expect(201);
        orders.push(o.body.orderNo);
      }
      const res = await Promise.all(orders.map((o) => prepay(t, userId, o, 'wallet')));
      expect(res.map((r) => r.status).sort()).toEqual([201, 409]);
      const won = res.find((r) => r.status === 201)!;
      expect(won.body).toMatchObject({ channel: 'wallet', status: 'SUCCESS', amount: 6000 });
      expect(res.find((r) => r.status === 409)!.body.code).toBe('INSUFFICIENT_BALANCE');
      expect(await balance(userId)).toBe(4000);
      const statuses = await Promise.all(orders.map((o) => orderStatus(t, o)));
      expect(statuses.sort()).toEqual(['CREATED', 'PAID']);
      const [{ n }] = await t.dataSource.query('SELECT COUNT(*) AS n FROM t_payment WHERE order_no IN (?)', [
        orders,
      ]);
      expect(Number(n)).toBe(1);
    });

    it('the same order paid from the wallet concurrently is debited once', async () => {
      const userId = newUserId();
      await credit(userId, 100_000);
      const { orderNo } = await newOrder(t, 3000, userId);
      const res = await Promise.all(Array.from({ length: 8 }, () => prepay(t, userId, orderNo, 'wallet')));
      expect(res.filter((r) => r.status === 201)).toHaveLength(1);
      // the losers: already paid, or the order lock not obtained (waited too long, or Redis too slow to
      // answer on a loaded machine: 503, nothing done) — what matters is one debit
      for (const r of res.filter((x) => x.status !== 201))
        expect(['ORDER_ALREADY_PAID', 'REQUEST_IN_PROGRESS', 'SERVICE_UNAVAILABLE']).toContain(r.body.code);
      expect(await balance(userId)).toBe(97_000);
      expect(await orderStatus(t, orderNo)).toBe('PAID');
    });

    it('a recharge cannot be paid from the wallet; too little balance changes nothing', async () => {
      const userId = newUserId();
      await credit(userId, 500);
      const r = await t
        .http()
        .post('/v1/recharges')
        .set('Authorization', t.bearer(userId))
        .send({ amount: 100 })
        .expect(201);
      expect((await prepay(t, userId, r.body.orderNo, 'wallet').expect(409)).body.code).toBe(
        'ORDER_NOT_PAYABLE',
      );
      const { orderNo } = await newOrder(t, 501, userId);
      expect((await prepay(t, userId, orderNo, 'wallet').expect(409)).body.code).toBe('INSUFFICIENT_BALANCE');
      expect(await balance(userId)).toBe(500);
      expect(await orderStatus(t, orderNo)).toBe('CREATED');
      const [{ n }] = await t.dataSource.query(
        "SELECT COUNT(*) AS n FROM t_uq_dipose WHERE ref_type = 'WALLET_PAY' AND ref_id = ?",
        [orderNo],
      );
      expect(Number(n)).toBe(0);
    });
  });

  it('the ledger is balanced after every movement of this suite', () => expectLedgerBalanced(t));
});
