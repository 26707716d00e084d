import { createSign, generateKeyPairSync, KeyObject } from 'node:crypto';
import { createServer, Server } from 'node:http';
import { alipayConfig } from '../src/payment/channels/alipay/alipay.config';
import { AlipayGateway } from '../src/payment/channels/alipay/alipay.gateway';
import { PaymentKeysProvider } from '../src/payment/channels/alipay/payment-keys.provider';
import { PaymentGateway } from '../src/payment/gateway/payment-gateway';
import { NotifyReceiver, startNotifyReceiver, waitFor } from './sandbox-helpers';
import { createTestApp, randomSuffix, TestApp } from './utils/test-app';

const cstToday = () => new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);

/**
 * Refunds through the app's own Alipay client (alipay-sdk, validateSign) against the sandbox over HTTP:
 * the protocol facts of GATEWAY.md "Alipay refunds", every fault mode, the notify, and concurrency.
 */
describe('sandbox refunds (Alipay protocol) + alipay-sdk client', () => {
  let t: TestApp;
  let gw: PaymentGateway;
  let rx: NotifyReceiver;
  const newNo = () => `RF${randomSuffix()}`;

  /** A paid sandbox trade (its payment notify dropped, so the receiver only sees refund notifies). */
  async function paidTrade(amount = 10000): Promise<string> {
    const no = newNo();
    const r = await gw.precreate({
      paymentNo: no,
      amount,
      subject: 'refund test',
      expiresAt: new Date(Date.now() + 15 * 60_000),
      notifyUrl: rx.url,
    });
    expect(r.ok).toBe(true);
    await t
      .http()
      .post(`/sandbox/alipay/trades/${no}/pay`)
      .send({ notify: { mode: 'drop' } })
      .expect(200);
    return no;
  }
  const refund = (paymentNo: string, refundNo: string, amount: number, paymentAmount = 10000) =>
    gw.refund({ paymentNo, refundNo, amount, paymentAmount, reason: 'customer changed mind' });
  const faults = (no: string, body: object) =>
    t.http().post(`/sandbox/alipay/trades/${no}/faults`).send(body).expect(200);
  const trade = async (no: string) => (await t.http().get(`/sandbox/alipay/trades/${no}`).expect(200)).body;
  const notifiesOf = (no: string) => rx.received.filter((p) => p.out_trade_no === no);
  /** The sandbox's refund notify attempts of a trade (the dropped payment notify left out). */
  const refundAttempts = async (no: string): Promise<Array<Record<string, unknown>>> =>
    (await trade(no)).attempts.filter((a: { outBizNo: string | null }) => a.outBizNo !== null);
  const allAcked = async (no: string) => (await refundAttempts(no)).every((a) => a.outcome === 'ACKED');
  const refundRows = async (no: string) =>
    (await t.dataSource.query('SELECT * FROM sandbox_refund WHERE out_trade_no = ? ORDER BY id', [
      no,
    ])) as Array<Record<string, unknown>>;

  beforeAll(async () => {
    t = await createTestApp({ env: { SANDBOX_TIME_SCALE: '0.0001', ALIPAY_TIMEOUT_MS: '3000' } });
    // the Alipay client itself (PAYMENT_GATEWAY routes each payment to its channel's client)
    gw = t.app.get(AlipayGateway);
    expect(gw).toBeInstanceOf(AlipayGateway);
    rx = await startNotifyReceiver(async (p) => ((await gw.verifyNotify(p)) ? 'success' : 'fail'));
  });
  afterAll(async () => {
    await rx?.close();
    await t?.close();
  });

  describe('refund and refund query', () => {
    it('full refund: SUCCEEDED, the query agrees, the trade closes, TRADE_CLOSED notify with the refund fields', async () => {
      const no = await paidTrade(12345);
      const rno = `R${randomSuffix()}`;
      const r = await refund(no, rno, 12345, 12345);
      expect(r).toEqual({ status: 'SUCCEEDED', refundedAt: expect.any(Date) });
      expect(await gw.refundQuery({ paymentNo: no, refundNo: rno })).toEqual({
        status: 'SUCCEEDED',
        amount: 12345,
        refundedAt: expect.any(Date),
      });
      expect(await gw.query(no)).toEqual({ status: 'CLOSED' });
      expect(await trade(no)).toMatchObject({ status: 'TRADE_CLOSED', refundFee: '123.45' });

      const [n] = await waitFor(() => (notifiesOf(no).length ? notifiesOf(no) : null));
      expect(n).toMatchObject({
        notify_type: 'trade_status_sync',
        trade_status: 'TRADE_CLOSED',
        out_biz_no: rno,
        refund_fee: '123.45',
        total_amount: '123.45',
      });
      expect(n.gmt_refund).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$/);
      expect(n.gmt_close).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
      expect(n.gmt_payment).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
      expect(await gw.verifyNotify(n)).toBe(true);
      // acked: one attempt, no re-send
      await waitFor(() => allAcked(no));
      const attempts = await refundAttempts(no);
      expect(attempts).toHaveLength(1);
      expect(attempts[0]).toMatchObject({
        outBizNo: rno,
        tradeStatus: 'TRADE_CLOSED',
        notifyId: n.notify_id,
      });
    });

    it('partial refunds: cumulative refund_fee, TRADE_SUCCESS until the last fen, over-refund refused, bill lines', async () => {
      const no = await paidTrade(10000);
      const [a, b, c, d] = ['A', 'B', 'C', 'D'].map((x) => `R${x}${randomSuffix()}`);
      expect(await refund(no, a, 3000)).toMatchObject({ status: 'SUCCEEDED' });
      await waitFor(() => notifiesOf(no).find((p) => p.out_biz_no === a));
      expect(await refund(no, b, 5000)).toMatchObject({ status: 'SUCCEEDED' });
      await waitFor(() => notifiesOf(no).find((p) => p.out_biz_no === b));
      expect(await gw.query(no)).toMatchObject({ status: 'PAID', amount: 10000 });
      // 20.01 left? no: 20.00 left
      const over = await refund(no, c, 2001);
      expect(over).toEqual({
        status: 'FAILED',
        code: 'ACQ.REFUND_AMT_NOT_EQUAL_TOTAL',
        reason: expect.stringContaining('exceeds'),
      });
      expect(await gw.refundQuery({ paymentNo: no, refundNo: c })).toEqual({ status: 'NOT_FOUND' });
      expect(await refund(no, d, 2000)).toMatchObject({ status: 'SUCCEEDED' });
      await waitFor(() => notifiesOf(no).find((p) => p.out_biz_no === d));

      const byNo = (x: string) => notifiesOf(no).find((p) => p.out_biz_no === x)!;
      expect(byNo(a)).toMatchObject({ trade_status: 'TRADE_SUCCESS', refund_fee: '30.00' });
      expect(byNo(b)).toMatchObject({ trade_status: 'TRADE_SUCCESS', refund_fee: '80.00' });
      expect(byNo(d)).toMatchObject({ trade_status: 'TRADE_CLOSED', refund_fee: '100.00' });
      expect(new Set(notifiesOf(no).map((p) => p.notify_id)).size).toBe(3);
      expect(await refundRows(no)).toHaveLength(3);
      expect((await trade(no)).refundFee).toBe('100.00');

      const bill = await gw.downloadBill(cstToday());
      if (!bill.ok) throw new Error(bill.reason);
      // the payment line stays, refunds are lines of their own
      expect(bill.trades.find((x) => x.paymentNo === no)).toMatchObject({
        amount: 10000,
        status: 'TRADE_SUCCESS',
      });
      const lines = bill.refunds.filter((x) => x.paymentNo === no).sort((x, y) => x.amount - y.amount);
      expect(lines).toEqual([
        { paymentNo: no, refundNo: d, amount: 2000, refundedAt: expect.any(Date) },
        { paymentNo: no, refundNo: a, amount: 3000, refundedAt: expect.any(Date) },
        { paymentNo: no, refundNo: b, amount: 5000, refundedAt: expect.any(Date) },
      ]);
      const raw = (await t.http().get(`/sandbox/alipay/bills/${cstToday()}`).expect(200)).body;
      expect(raw.refunds.find((x: { out_request_no: string }) => x.out_request_no === a)).toMatchObject({
        out_trade_no: no,
        refund_amount: '-30.00',
      });
    });

    it('the same number with the same amount is the same refund (fund_change N); another amount is refused', async () => {
      const no = await paidTrade(10000);
      const rno = `R${randomSuffix()}`;
      expect(await refund(no, rno, 4000)).toMatchObject({ status: 'SUCCEEDED' });
      expect(await refund(no, rno, 4000)).toEqual({ status: 'PROCESSING' });
      expect(await gw.refundQuery({ paymentNo: no, refundNo: rno })).toMatchObject({
        status: 'SUCCEEDED',
        amount: 4000,
      });
      expect(await refund(no, rno, 4001)).toEqual({
        status: 'FAILED',
        code: 'ACQ.DISCORDANT_REPEAT_REQUEST',
        reason: expect.any(String),
      });
      expect(await refundRows(no)).toHaveLength(1);
      expect((await trade(no)).refundFee).toBe('40.00');
      await waitFor(() => notifiesOf(no).length);
      expect((await trade(no)).refunds).toHaveLength(1);
      await waitFor(() => allAcked(no));
      expect(await refundAttempts(no)).toHaveLength(1);
    });

    it('refusals: more than paid, an unpaid trade, an unknown trade; a query for an unknown number', async () => {
      const no = await paidTrade(500);
      expect(await refund(no, `R${randomSuffix()}`, 501, 500)).toMatchObject({
        status: 'FAILED',
        code: 'ACQ.REFUND_AMT_NOT_EQUAL_TOTAL',
      });
      expect(await refundRows(no)).toHaveLength(0);
      expect((await trade(no)).refundFee).toBe('0.00');

      const unpaid = newNo();
      await gw.precreate({
        paymentNo: unpaid,
        amount: 500,
        subject: 's',
        expiresAt: new Date(Date.now() + 60_000),
        notifyUrl: rx.url,
      });
      expect(await refund(unpaid, 'R1', 100)).toMatchObject({
        status: 'FAILED',
        code: 'ACQ.TRADE_STATUS_ERROR',
      });
      expect(await refund(`NOPE${randomSuffix()}`, 'R1', 100)).toMatchObject({
        status: 'FAILED',
        code: 'ACQ.TRADE_NOT_EXIST',
      });
      expect(await gw.refundQuery({ paymentNo: no, refundNo: 'NEVER' })).toEqual({ status: 'NOT_FOUND' });
      expect(await gw.refundQuery({ paymentNo: `NOPE${randomSuffix()}`, refundNo: 'R1' })).toEqual({
        status: 'NOT_FOUND',
      });
    });
  });

  describe('faults (per trade, POST /sandbox/alipay/trades/{no}/faults)', () => {
    it('timeout: refunded at the gateway, answer lost → UNKNOWN; the query says SUCCEEDED; a retry does not refund twice', async () => {
      const no = await paidTrade(10000);
      const rno = `R${randomSuffix()}`;
      await faults(no, { refund: 'timeout' });
      expect(await refund(no, rno, 2500)).toEqual({ status: 'UNKNOWN', reason: expect.any(String) });
      expect(await gw.refundQuery({ paymentNo: no, refundNo: rno })).toMatchObject({
        status: 'SUCCEEDED',
        amount: 2500,
      });
      expect(await refund(no, rno, 2500)).toEqual({ status: 'PROCESSING' });
      expect(await refundRows(no)).toHaveLength(1);
      expect((await trade(no)).refundFee).toBe('25.00');
    });

    it('system_error / service_unavailable: nothing refunded → UNKNOWN, the query says NOT_FOUND, the retry refunds', async () => {
      for (const fault of ['system_error', 'service_unavailable']) {
        const no = await paidTrade(10000);
        const rno = `R${randomSuffix()}`;
        await faults(no, { refund: fault });
        expect(await refund(no, rno, 1000)).toEqual({ status: 'UNKNOWN', reason: expect.any(String) });
        expect(await gw.refundQuery({ paymentNo: no, refundNo: rno })).toEqual({ status: 'NOT_FOUND' });
        expect(await refund(no, rno, 1000)).toMatchObject({ status: 'SUCCEEDED' });
        expect((await trade(no)).refundFee).toBe('10.00');
      }
    });

    it('fund_change_n on a first call: PROCESSING, the query confirms SUCCEEDED', async () => {
      const no = await paidTrade(10000);
      const rno = `R${randomSuffix()}`;
      await faults(no, { refund: 'fund_change_n' });
      expect(await refund(no, rno, 700)).toEqual({ status: 'PROCESSING' });
      expect(await gw.refundQuery({ paymentNo: no, refundNo: rno })).toMatchObject({
        status: 'SUCCEEDED',
        amount: 700,
      });
      await waitFor(() => notifiesOf(no).find((p) => p.out_biz_no === rno));
    });

    it('fail_later: accepted (PROCESSING), then the query says not refunded, no notify; the retry refunds', async () => {
      const no = await paidTrade(10000);
      const rno = `R${randomSuffix()}`;
      await faults(no, { refund: 'fail_later' });
      expect(await refund(no, rno, 900)).toEqual({ status: 'PROCESSING' });
      expect(await gw.refundQuery({ paymentNo: no, refundNo: rno })).toEqual({ status: 'NOT_FOUND' });
      expect(await trade(no)).toMatchObject({
        refundFee: '0.00',
        refunds: [{ outRequestNo: rno, status: 'FAILED' }],
      });
      expect(await refundAttempts(no)).toHaveLength(0);
      expect(await refund(no, rno, 900)).toMatchObject({ status: 'SUCCEEDED' });
      expect(await gw.refundQuery({ paymentNo: no, refundNo: rno })).toMatchObject({
        status: 'SUCCEEDED',
        amount: 900,
      });
      const n = await waitFor(() => notifiesOf(no).find((p) => p.out_biz_no === rno));
      expect(n).toMatchObject({ refund_fee: '9.00', trade_status: 'TRADE_SUCCESS' });
    });

    it('refund query faults: timeout / system_error → UNKNOWN, then the answer', async () => {
      const no = await paidTrade(10000);
      const rno = `R${randomSuffix()}`;
      expect(await refund(no, rno, 100)).toMatchObject({ status: 'SUCCEEDED' });
      await faults(no, { refundQuery: 'system_error' });
      expect(await gw.refundQuery({ paymentNo: no, refundNo: rno })).toMatchObject({ status: 'UNKNOWN' });
      await faults(no, { refundQuery: 'timeout' });
      expect(await gw.refundQuery({ paymentNo: no, refundNo: rno })).toMatchObject({ status: 'UNKNOWN' });
      expect(await gw.refundQuery({ paymentNo: no, refundNo: rno })).toMatchObject({ status: 'SUCCEEDED' });
    });

    it('bad input to the fault route is a 400 with a code, nothing changed', async () => {
      const no = await paidTrade(100);
      const res = await t
        .http()
        .post(`/sandbox/alipay/trades/${no}/faults`)
        .send({ refund: 'sideways' })
        .expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      const bad = await t
        .http()
        .post(`/sandbox/alipay/trades/${no}/faults`)
        .send({ refundNotify: { mode: 'never' } })
        .expect(400);
      expect(bad.body.code).toBe('VALIDATION_FAILED');
      expect(await trade(no)).toMatchObject({ refundFault: null, refundNotify: null });
    });
  });

  describe('refund notify modes', () => {
    it('drop: never sent (recorded as DROPPED); only the query finds the refund', async () => {
      const no = await paidTrade(10000);
      const rno = `R${randomSuffix()}`;
      await faults(no, { refundNotify: { mode: 'drop' } });
      expect(await refund(no, rno, 100)).toMatchObject({ status: 'SUCCEEDED' });
      expect(await refundAttempts(no)).toEqual([
        expect.objectContaining({ outBizNo: rno, outcome: 'DROPPED' }),
      ]);
      expect(await gw.refundQuery({ paymentNo: no, refundNo: rno })).toMatchObject({ status: 'SUCCEEDED' });
      // the mode was taken by that refund: the next one is notified normally
      const next = `R${randomSuffix()}`;
      expect(await refund(no, next, 100)).toMatchObject({ status: 'SUCCEEDED' });
      await waitFor(() => notifiesOf(no).find((p) => p.out_biz_no === next));
      expect(notifiesOf(no).filter((p) => p.out_biz_no === rno)).toHaveLength(0);
    });

    it('duplicate: `times` identical copies, one notify_id', async () => {
      const no = await paidTrade(10000);
      const rno = `R${randomSuffix()}`;
      await faults(no, { refundNotify: { mode: 'duplicate', times: 4 } });
      expect(await refund(no, rno, 100)).toMatchObject({ status: 'SUCCEEDED' });
      const copies = await waitFor(() => (notifiesOf(no).length === 4 ? notifiesOf(no) : null));
      expect(new Set(copies.map((p) => p.notify_id)).size).toBe(1);
      expect(new Set(copies.map((p) => p.sign)).size).toBe(1);
    });

    it('early: the notify is delivered before the refund call answers', async () => {
      const no = await paidTrade(10000);
      const rno = `R${randomSuffix()}`;
      await faults(no, { refundNotify: { mode: 'early' } });
      expect(await refund(no, rno, 100)).toMatchObject({ status: 'SUCCEEDED' });
      // no waiting: it is already here
      expect(notifiesOf(no)).toEqual([expect.objectContaining({ out_biz_no: rno, refund_fee: '1.00' })]);
    });

    it('out_of_order: a stale notify of the state before the refund arrives after it', async () => {
      const no = await paidTrade(10000);
      const [a, b] = [`RA${randomSuffix()}`, `RB${randomSuffix()}`];
      await faults(no, { refundNotify: { mode: 'out_of_order' } });
      expect(await refund(no, a, 1000)).toMatchObject({ status: 'SUCCEEDED' });
      const first = await waitFor(() => (notifiesOf(no).length === 2 ? notifiesOf(no) : null));
      // the refund's notify, then the payment as it was before any refund (no refund fields)
      expect(first[0]).toMatchObject({ out_biz_no: a, refund_fee: '10.00' });
      expect(first[1]).toMatchObject({ trade_status: 'TRADE_SUCCESS' });
      expect(first[1].refund_fee).toBeUndefined();
      expect(first[1].notify_id).not.toBe(first[0].notify_id);
      expect(await gw.verifyNotify(first[1])).toBe(true);

      await faults(no, { refundNotify: { mode: 'out_of_order' } });
      expect(await refund(no, b, 9000)).toMatchObject({ status: 'SUCCEEDED' });
      const all = await waitFor(() => (notifiesOf(no).length === 4 ? notifiesOf(no) : null));
      expect(all[2]).toMatchObject({ out_biz_no: b, refund_fee: '100.00', trade_status: 'TRADE_CLOSED' });
      // stale: the previous refund's state (TRADE_SUCCESS, refund_fee 10.00) after the TRADE_CLOSED
      expect(all[3]).toMatchObject({ out_biz_no: a, refund_fee: '10.00', trade_status: 'TRADE_SUCCESS' });
      expect(all[3].notify_id).not.toBe(all[0].notify_id);
    });

    it('a notify that is not acked is re-sent with the same notify_id', async () => {
      const no = await paidTrade(10000);
      const rno = `R${randomSuffix()}`;
      let n = 0;
      const saved = rx.respond;
      rx.respond = async (p) => (p.out_trade_no === no && n++ === 0 ? 'fail' : saved(p));
      try {
        expect(await refund(no, rno, 100)).toMatchObject({ status: 'SUCCEEDED' });
        const two = await waitFor(() => (notifiesOf(no).length === 2 ? notifiesOf(no) : null));
        expect(two[0].notify_id).toBe(two[1].notify_id);
        expect(two[1]).toMatchObject({ out_biz_no: rno, refund_fee: '1.00' });
      } finally {
        rx.respond = saved;
      }
    });
  });

  describe('signatures', () => {
    it('a refund answer signed with another key is UNKNOWN, never SUCCEEDED (validateSign); the same answer signed by the gateway is SUCCEEDED', async () => {
      const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
      const [{ private_pem: gatewayKey }] = await t.dataSource.query(
        "SELECT private_pem FROM sandbox_key WHERE name = 'gateway'",
      );
      let key: KeyObject | string = other;
      const signed = (name: string, inner: object) => {
        const text = JSON.stringify(inner);
        const sign = createSign('RSA-SHA256').update(text, 'utf8').sign(key, 'base64');
        return `{"${name}":${text},"sign":"${sign}"}`;
      };
      const server: Server = createServer((req, res) => {
        const url = decodeURIComponent(req.url ?? '');
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          url.includes('alipay.trade.refund')
            ? signed('alipay_trade_refund_response', {
                code: '10000',
                msg: 'Success',
                out_trade_no: 'F1',
                fund_change: 'Y',
                refund_fee: '1.00',
              })
            : signed('alipay_trade_fastpay_refund_query_response', {
                code: '10000',
                msg: 'Success',
                out_trade_no: 'F1',
                out_request_no: 'R1',
                refund_amount: '1.00',
                refund_status: 'REFUND_SUCCESS',
              }),
        );
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      try {
        const cfg = {
          ...t.app.get(alipayConfig.KEY),
          gatewayUrl: `http://127.0.0.1:${(server.address() as { port: number }).port}/gateway.do`,
        };
        const client = new AlipayGateway(t.app.get(PaymentKeysProvider), cfg as never);
        const req = { paymentNo: 'F1', refundNo: 'R1', amount: 100, paymentAmount: 100, reason: 'r' };
        expect(await client.refund(req)).toEqual({ status: 'UNKNOWN', reason: expect.any(String) });
        expect(await client.refundQuery(req)).toEqual({ status: 'UNKNOWN', reason: expect.any(String) });
        key = gatewayKey;
        expect(await client.refund(req)).toEqual({ status: 'SUCCEEDED', refundedAt: null });
        expect(await client.refundQuery(req)).toEqual({ status: 'SUCCEEDED', amount: 100, refundedAt: null });
      } finally {
        await new Promise<void>((r) => server.close(() => r()));
      }
    });
  });

  describe('concurrency', () => {
    // under load an answer can outlast the client's timeout (UNKNOWN): what is asserted is what the
    // gateway did, and that no answer ever claims more than happened
    it('20 concurrent refunds with the same number: one refund at the sandbox, one notify', async () => {
      const no = await paidTrade(10000);
      const rno = `R${randomSuffix()}`;
      const rs = await Promise.all(Array.from({ length: 20 }, () => refund(no, rno, 10000)));
      expect(rs.filter((r) => r.status === 'SUCCEEDED').length).toBeLessThanOrEqual(1);
      expect(rs.every((r) => ['SUCCEEDED', 'PROCESSING', 'UNKNOWN'].includes(r.status))).toBe(true);
      expect(await refundRows(no)).toHaveLength(1);
      expect((await trade(no)).refundFee).toBe('100.00');
      expect(await gw.refundQuery({ paymentNo: no, refundNo: rno })).toMatchObject({
        status: 'SUCCEEDED',
        amount: 10000,
      });
      await waitFor(async () => (await refundAttempts(no)).length === 1 && allAcked(no));
      expect(notifiesOf(no)).toHaveLength(1);
    });

    it('concurrent refunds with different numbers never exceed the paid amount', async () => {
      const no = await paidTrade(10000);
      const nos = Array.from({ length: 10 }, () => `R${randomSuffix()}`);
      const rs = await Promise.all(nos.map((rno) => refund(no, rno, 3000)));
      expect(rs.filter((r) => r.status === 'SUCCEEDED').length).toBeLessThanOrEqual(3);
      expect(rs.filter((r) => r.status === 'FAILED').length).toBeLessThanOrEqual(7);
      expect((await trade(no)).refundFee).toBe('90.00');
      const [{ s, n }] = await t.dataSource.query(
        "SELECT SUM(refund_amount) AS s, COUNT(*) AS n FROM sandbox_refund WHERE out_trade_no = ? AND status = 'SUCCESS'",
        [no],
      );
      expect([Number(s), Number(n)]).toEqual([9000, 3]);
      // every FAILED answer is a number the gateway never refunded
      for (const [i, r] of rs.entries()) {
        if (r.status !== 'FAILED') continue;
        expect(r).toMatchObject({ code: 'ACQ.REFUND_AMT_NOT_EQUAL_TOTAL' });
        expect(await gw.refundQuery({ paymentNo: no, refundNo: nos[i] })).toEqual({ status: 'NOT_FOUND' });
      }
    });
  });
});
