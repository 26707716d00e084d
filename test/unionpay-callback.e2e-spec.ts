import { eventually } from './factories/order.factory';
import { anomalies, newOrder, orderStatus, paymentRow, prepay } from './payment-helpers';
import { consumeNotify, foreignSigner, postUp, upKeys, upSign } from './unionpay-helpers';
import { createTestApp, TestApp } from './utils/test-app';

const ENV = {
  PAYMENT_QUERY_DELAYS_MS: '3600000',
  SANDBOX_TIME_SCALE: '0.001',
  SUBMIT_DEDUP_WINDOW_MS: '1',
  PAYMENT_SWEEP_INTERVAL_MS: '3600000',
};

type Keys = Awaited<ReturnType<typeof upKeys>>;
interface Case {
  name: string;
  /** the notify to post, built from the payment (number, amount) and the sandbox keys */
  notify: (p: { paymentNo: string; amount: number }, k: Keys) => Record<string, string>;
  status: number;
  paid: boolean;
  outcome: string;
  anomaly?: string;
}

/**
 * POST /v1/callbacks/unionpay, one table of cases: what each notify is answered, what it leaves in
 * t_payment, t_callback_log and t_payment_anomaly. Active queries are pushed out of the way (1 h), so
 * only the notify can pay. Then a storm of duplicates over two instances, and the sandbox's own
 * out-of-order delivery.
 */
describe('POST /v1/callbacks/unionpay', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    a = await createTestApp({ env: ENV });
    b = await createTestApp({ env: ENV, dbName: a.dbName, redisPrefix: a.redisPrefix, keepDb: true });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  async function pending() {
    const o = await newOrder(a);
    const p = (await prepay(a, o.userId, o.orderNo, 'unionpay').expect(201)).body;
    return { ...o, paymentNo: p.paymentNo as string };
  }

  const cases: Case[] = [
    {
      name: 'genuine',
      notify: (p, k) => upSign(consumeNotify(p.paymentNo, p.amount), k.gateway),
      status: 200,
      paid: true,
      outcome: 'APPLIED',
    },
    {
      name: 'forged (a chain oncepay does not trust)',
      notify: (p) => upSign(consumeNotify(p.paymentNo, p.amount), foreignSigner()),
      status: 400,
      paid: false,
      outcome: 'BAD_SIGNATURE',
    },
    {
      name: 'forged with the merchant’s own certificate (right chain, not UnionPay’s identity)',
      notify: (p, k) => upSign(consumeNotify(p.paymentNo, p.amount), k.merchant),
      status: 400,
      paid: false,
      outcome: 'BAD_SIGNATURE',
    },
    {
      name: 'tampered (one character of txnAmt after signing)',
      notify: (p, k) => ({
        ...upSign(consumeNotify(p.paymentNo, p.amount), k.gateway),
        txnAmt: String(p.amount).replace(/.$/, (c) => String((Number(c) + 1) % 10)),
      }),
      status: 400,
      paid: false,
      outcome: 'BAD_SIGNATURE',
    },
    {
      name: 'stale (signed with an expired certificate of the chain)',
      notify: (p, k) => upSign(consumeNotify(p.paymentNo, p.amount), k.expired),
      status: 400,
      paid: false,
      outcome: 'BAD_SIGNATURE',
    },
    {
      name: 'wrong merchant (validly signed, another merId)',
      notify: (p, k) => upSign(consumeNotify(p.paymentNo, p.amount, { merId: '777290058199999' }), k.gateway),
      status: 200,
      paid: false,
      outcome: 'APP_MISMATCH',
      anomaly: 'APP_MISMATCH',
    },
    {
      name: 'wrong amount (validly signed, 1 fen less)',
      notify: (p, k) => upSign(consumeNotify(p.paymentNo, p.amount - 1), k.gateway),
      status: 200,
      paid: false,
      outcome: 'AMOUNT_MISMATCH',
      anomaly: 'AMOUNT_MISMATCH',
    },
    {
      name: 'unknown trade (an orderId oncepay never made)',
      notify: (p, k) => upSign(consumeNotify(`${p.paymentNo.slice(0, -3)}X99`, p.amount), k.gateway),
      status: 404,
      paid: false,
      outcome: 'UNKNOWN_TRADE',
    },
  ];

  it.each(cases)('$name → HTTP $status, paid: $paid, logged $outcome', async (c) => {
    const p = await pending();
    const k = await upKeys(a);
    const fields = c.notify(p, k);
    const res = await postUp(a, fields);
    expect(res.status).toBe(c.status);
    const row = (await paymentRow(a, p.paymentNo))!;
    expect(row.status).toBe(c.paid ? 'SUCCESS' : 'PENDING');
    expect(await orderStatus(a, p.orderNo)).toBe(c.paid ? 'PAID' : 'PAYING');
    const logs = await a.dataSource.query(
      "SELECT outcome, verified FROM t_callback_log WHERE channel = 'unionpay' AND out_trade_no = ?",
      [fields.orderId],
    );
    expect(logs.map((l: { outcome: string }) => l.outcome)).toEqual([c.outcome]);
    expect(await anomalies(a, p.paymentNo)).toEqual(c.anomaly ? [c.anomaly] : []);
  });

  it('duplicated ×30 over two instances: all 200, paid once (one marker, one APPLIED row, one event)', async () => {
    const p = await pending();
    const fields = upSign(consumeNotify(p.paymentNo, p.amount), (await upKeys(a)).gateway);
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => postUp(i % 2 ? a : b, fields)));
    expect(answers.map((r) => r.status)).toEqual(Array(30).fill(200));
    expect((await paymentRow(a, p.paymentNo))!.status).toBe('SUCCESS');
    const [{ n }] = await a.dataSource.query(
      "SELECT COUNT(*) n FROM t_uq_dipose WHERE ref_type = 'PAYMENT_SUCCEEDED' AND ref_id = ?",
      [p.paymentNo],
    );
    expect(Number(n)).toBe(1);
    const applied = await a.dataSource.query(
      "SELECT COUNT(*) n FROM t_callback_log WHERE channel = 'unionpay' AND out_trade_no = ? AND outcome = 'APPLIED'",
      [p.paymentNo],
    );
    expect(Number(applied[0].n)).toBe(1);
    const [ob] = await a.dataSource.query('SELECT COUNT(*) AS n FROM t_outbox WHERE event_key = ?', [
      p.paymentNo,
    ]);
    expect(Number(ob.n)).toBe(1);
  });

  it('out of order (the sandbox re-sends a stale copy after the success): both acknowledged, paid once', async () => {
    const p = await pending();
    await a
      .http()
      .post(`/sandbox/unionpay/trades/${p.paymentNo}/pay`)
      .send({ notify: { mode: 'out_of_order' } })
      .expect(200);
    await eventually(
      async () => {
        const v = (await a.http().get(`/sandbox/unionpay/trades/${p.paymentNo}`).expect(200)).body;
        return v.notifyAttempts.filter((x: { outcome: string }) => x.outcome === 'ACKED').length === 2;
      },
      15000,
      50,
    );
    expect((await paymentRow(a, p.paymentNo))!.status).toBe('SUCCESS');
    const rows = await a.dataSource.query(
      "SELECT outcome FROM t_callback_log WHERE channel = 'unionpay' AND out_trade_no = ? ORDER BY id",
      [p.paymentNo],
    );
    expect(rows.map((r: { outcome: string }) => r.outcome)).toEqual(['APPLIED']); // the stale copy: one read, no write
  });

  it('the sandbox’s corrupting modes are refused and re-sent until a good copy lands (bad_sign ×2)', async () => {
    const p = await pending();
    await a
      .http()
      .post(`/sandbox/unionpay/trades/${p.paymentNo}/pay`)
      .send({ notify: { mode: 'bad_sign', times: 2 } })
      .expect(200);
    await eventually(async () => (await paymentRow(a, p.paymentNo))?.status === 'SUCCESS', 20000, 50);
    const v = (await a.http().get(`/sandbox/unionpay/trades/${p.paymentNo}`).expect(200)).body;
    expect(v.notifyAttempts.map((x: { httpStatus: number }) => x.httpStatus)).toEqual([400, 400, 200]);
  });
});
