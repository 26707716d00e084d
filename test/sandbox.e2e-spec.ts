import { AlipaySdk } from 'alipay-sdk';
import { generateKeyPairSync } from 'node:crypto';
import { createServer, Server } from 'node:http';
import { alipayConfig } from '../src/payment/channels/alipay/alipay.config';
import { AlipayGateway } from '../src/payment/channels/alipay/alipay.gateway';
import { PAYMENT_GATEWAY, PaymentGateway } from '../src/payment/gateway/payment-gateway';
import { PaymentKeysProvider } from '../src/payment/channels/alipay/payment-keys.provider';
import { sandboxEnabledIn } from '../src/sandbox/sandbox.module';
import { NotifyReceiver, startNotifyReceiver, waitFor } from './sandbox-helpers';
import { createTestApp, randomSuffix, TestApp } from './utils/test-app';

const APP_ID = '2021000000000001';
const cstToday = () => new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);

describe('sandbox gateway (Alipay protocol) + alipay-sdk client', () => {
  let t: TestApp;
  let gw: PaymentGateway;
  let rx: NotifyReceiver;
  const expiresAt = () => new Date(Date.now() + 15 * 60_000);
  const newNo = () => `SB${randomSuffix()}`;

  async function precreate(no: string, amount = 12345, notifyUrl = rx.url) {
    const r = await gw.precreate({
      paymentNo: no,
      amount,
      subject: 'Sandbox & 100% test',
      expiresAt: expiresAt(),
      notifyUrl,
    });
    expect(r).toEqual({ ok: true, qrCode: expect.stringMatching(/^https:\/\/qr\.alipay\.com\//) });
    return r;
  }
  const pay = (no: string, body: object = {}) => t.http().post(`/sandbox/alipay/trades/${no}/pay`).send(body);
  const trade = async (no: string) => (await t.http().get(`/sandbox/alipay/trades/${no}`).expect(200)).body;

  beforeAll(async () => {
    t = await createTestApp({ env: { SANDBOX_TIME_SCALE: '0.0001', ALIPAY_TIMEOUT_MS: '1000' } });
    gw = t.app.get(AlipayGateway); // the Alipay client itself: PAYMENT_GATEWAY answers UNKNOWN for trades oncepay has no payment for
    // the merchant answers success only to a notify whose signature verifies
    rx = await startNotifyReceiver(async (p) => ((await gw.verifyNotify(p)) ? 'success' : 'fail'));
  });
  afterAll(async () => {
    await rx?.close();
    await t?.close();
  });

  describe('precreate / query / close semantics', () => {
    it('precreate is repeatable with the same parameters and refused with others', async () => {
      const no = newNo();
      const first = await precreate(no);
      const again = await gw.precreate({
        paymentNo: no,
        amount: 12345,
        subject: 'Sandbox & 100% test',
        expiresAt: expiresAt(),
        notifyUrl: rx.url,
      });
      // same trade (time_expire differs by the clock only if a second ticks over: compare the trade)
      const row = await trade(no);
      expect(row.totalAmount).toBe('123.45');
      if (again.ok) expect(again.qrCode).toBe((first as { qrCode: string }).qrCode);
      const other = await gw.precreate({
        paymentNo: no,
        amount: 99,
        subject: 'x',
        expiresAt: expiresAt(),
        notifyUrl: rx.url,
      });
      expect(other).toEqual({ ok: false, reason: expect.stringContaining('ACQ.CONTEXT_INCONSISTENT') });
    });

    it('concurrent identical precreates create one trade', async () => {
      const no = newNo();
      const at = expiresAt();
      const rs = await Promise.all(
        Array.from({ length: 10 }, () =>
          gw.precreate({ paymentNo: no, amount: 500, subject: 's', expiresAt: at, notifyUrl: rx.url }),
        ),
      );
      // every business answer is the same trade; under load a call may time out on the client (1 s), which
      // is a transport failure, never a refusal — and asking again then answers that same trade
      const oks = rs.flatMap((r) => (r.ok ? [r.qrCode] : []));
      for (const r of rs) if (!r.ok) expect(r.reason).not.toMatch(/ACQ\./);
      const again = await gw.precreate({
        paymentNo: no,
        amount: 500,
        subject: 's',
        expiresAt: at,
        notifyUrl: rx.url,
      });
      expect(again.ok).toBe(true);
      expect(new Set([...oks, (again as { qrCode: string }).qrCode]).size).toBe(1);
      const [{ n }] = await t.dataSource.query(
        'SELECT COUNT(*) AS n FROM sandbox_trade WHERE out_trade_no = ?',
        [no],
      );
      expect(Number(n)).toBe(1);
    });

    it('query: NOT_EXIST before the buyer scans, WAIT_BUYER_PAY after, PAID after paying', async () => {
      const no = newNo();
      await precreate(no);
      expect(await gw.query(no)).toEqual({ status: 'NOT_EXIST' });
      await t.http().post(`/sandbox/alipay/trades/${no}/scan`).expect(200);
      expect(await gw.query(no)).toEqual({ status: 'WAIT_BUYER_PAY' });
      const paid = (await pay(no, { notify: { mode: 'drop' } }).expect(200)).body;
      expect(paid.status).toBe('TRADE_SUCCESS');
      const q = await gw.query(no);
      expect(q).toEqual({ status: 'PAID', tradeNo: paid.tradeNo, amount: 12345, paidAt: expect.any(Date) });
      expect(await gw.query(`NOPE${randomSuffix()}`)).toEqual({ status: 'NOT_EXIST' });
    });

    it('close: never-scanned → NOT_EXIST, scanned → CLOSED with a TRADE_CLOSED notify, paid → ALREADY_PAID', async () => {
      const a = newNo();
      await precreate(a);
      expect(await gw.close(a)).toEqual({ status: 'NOT_EXIST' });
      // closed locally: its QR code can no longer be paid unless pay-after-close is asked for
      const refused = await pay(a).expect(409);
      expect(refused.body.code).toBe('CONFLICT');

      const b = newNo();
      await precreate(b);
      await t.http().post(`/sandbox/alipay/trades/${b}/scan`).expect(200);
      expect(await gw.close(b)).toEqual({ status: 'CLOSED' });
      expect(await gw.query(b)).toEqual({ status: 'CLOSED' });
      const closedNotify = (await waitFor(() => rx.received.find((p) => p.out_trade_no === b)))!;
      expect(closedNotify).toMatchObject({ trade_status: 'TRADE_CLOSED', total_amount: '123.45' });
      expect(closedNotify.gmt_close).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
      expect(closedNotify.gmt_payment).toBeUndefined();
      expect(await gw.verifyNotify(closedNotify)).toBe(true);

      const c = newNo();
      await precreate(c);
      await pay(c, { notify: { mode: 'drop' } }).expect(200);
      expect(await gw.close(c)).toEqual({ status: 'ALREADY_PAID' });
      expect((await trade(c)).status).toBe('TRADE_SUCCESS');
    });

    it('pay: 404 for an unknown trade, 409 twice, 400 for a bad mode; pay-after-close only when asked', async () => {
      expect((await pay(`NOPE${randomSuffix()}`).expect(404)).body.code).toBe('NOT_FOUND');
      const no = newNo();
      await precreate(no);
      expect((await pay(no, { notify: { mode: 'sideways' } }).expect(400)).body.code).toBe(
        'VALIDATION_FAILED',
      );
      expect((await trade(no)).status).toBe('WAIT_BUYER_PAY');
      await pay(no, { notify: { mode: 'drop' } }).expect(200);
      await pay(no, { notify: { mode: 'drop' } }).expect(409);

      const late = newNo();
      await precreate(late);
      await t.http().post(`/sandbox/alipay/trades/${late}/scan`).expect(200);
      expect(await gw.close(late)).toEqual({ status: 'CLOSED' });
      await pay(late).expect(409);
      const body = (await pay(late, { allowAfterClose: true, notify: { mode: 'drop' } }).expect(200)).body;
      expect(body).toMatchObject({ status: 'TRADE_SUCCESS', paidAfterClose: true });
      expect(await gw.query(late)).toMatchObject({ status: 'PAID', amount: 12345 });
    });
  });

  describe('signatures, both ways', () => {
    it('a request signed with another merchant key is refused (isv.invalid-signature), validly signed', async () => {
      const other = generateKeyPairSync('rsa', {
        modulusLength: 2048,
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      });
      const keys = await t.app.get(PaymentKeysProvider).get();
      const sdk = new AlipaySdk({
        appId: APP_ID,
        privateKey: other.privateKey.trim(),
        alipayPublicKey: keys.alipayPublicKey,
        gateway: `${t.baseUrl}/sandbox/alipay/gateway.do`,
        keyType: 'PKCS8',
      });
      const res = await sdk.exec(
        'alipay.trade.query',
        { bizContent: { outTradeNo: 'X1' } },
        { validateSign: true },
      );
      expect(res).toMatchObject({ code: '40002', subCode: 'isv.invalid-signature' });
      // and with the right key the same call is a normal business answer
      const good = new AlipaySdk({
        appId: APP_ID,
        privateKey: keys.privateKey,
        alipayPublicKey: keys.alipayPublicKey,
        gateway: `${t.baseUrl}/sandbox/alipay/gateway.do`,
        keyType: 'PKCS8',
      });
      expect(
        await good.exec('alipay.trade.query', { bizContent: { outTradeNo: 'X1' } }, { validateSign: true }),
      ).toMatchObject({
        code: '40004',
        subCode: 'ACQ.TRADE_NOT_EXIST',
      });
    });

    it('a forged or unsigned gateway response is UNKNOWN, never PAID', async () => {
      const forged = JSON.stringify({
        alipay_trade_query_response: {
          code: '10000',
          msg: 'Success',
          out_trade_no: 'F1',
          trade_no: 'T1',
          trade_status: 'TRADE_SUCCESS',
          total_amount: '1.00',
        },
        sign: Buffer.from('not a signature').toString('base64'),
      });
      const bodies = [forged, forged.replace(/,"sign":"[^"]*"/, ''), 'not json', ''];
      let i = 0;
      const server: Server = createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(bodies[i++ % bodies.length]);
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      try {
        const cfg = {
          ...t.app.get(alipayConfig.KEY),
          gatewayUrl: `http://127.0.0.1:${(server.address() as { port: number }).port}/gateway.do`,
        };
        const client = new AlipayGateway(t.app.get(PaymentKeysProvider), cfg as never);
        for (let k = 0; k < bodies.length; k++) {
          expect(await client.query('F1')).toEqual({ status: 'UNKNOWN', reason: expect.any(String) });
        }
        expect(await client.close('F1')).toEqual({ status: 'UNKNOWN', reason: expect.any(String) });
      } finally {
        await new Promise<void>((r) => server.close(() => r()));
      }
    });

    it('a transport error (nothing listening) is UNKNOWN, and precreate fails softly', async () => {
      const cfg = { ...t.app.get(alipayConfig.KEY), gatewayUrl: 'http://127.0.0.1:9/gateway.do' };
      const client = new AlipayGateway(t.app.get(PaymentKeysProvider), cfg as never);
      expect(await client.query('F2')).toEqual({ status: 'UNKNOWN', reason: expect.any(String) });
      expect(
        await client.precreate({ paymentNo: 'F2', amount: 1, subject: 's', expiresAt: expiresAt() }),
      ).toEqual({
        ok: false,
        reason: expect.any(String),
      });
    });
  });

  describe('query faults', () => {
    it.each(['system_error', 'service_unavailable', 'timeout'])(
      '%s → UNKNOWN, then the next query settles it',
      async (fault) => {
        const no = newNo();
        await precreate(no);
        await pay(no, { notify: { mode: 'drop' } }).expect(200);
        await t
          .http()
          .post(`/sandbox/alipay/trades/${no}/faults`)
          .send({ query: fault, times: 1 })
          .expect(200);
        expect(await gw.query(no)).toEqual({ status: 'UNKNOWN', reason: expect.any(String) });
        expect(await gw.query(no)).toMatchObject({ status: 'PAID', amount: 12345 });
      },
    );

    it('close faults are UNKNOWN too, and leave the trade open', async () => {
      const no = newNo();
      await precreate(no);
      await t.http().post(`/sandbox/alipay/trades/${no}/scan`).expect(200);
      await t
        .http()
        .post(`/sandbox/alipay/trades/${no}/faults`)
        .send({ close: 'system_error', times: 2 })
        .expect(200);
      expect((await gw.close(no)).status).toBe('UNKNOWN');
      expect((await gw.close(no)).status).toBe('UNKNOWN');
      expect(await gw.query(no)).toEqual({ status: 'WAIT_BUYER_PAY' });
      expect(await gw.close(no)).toEqual({ status: 'CLOSED' });
    });

    it('faults on an unknown trade → 404; a bad fault → 400', async () => {
      await t
        .http()
        .post(`/sandbox/alipay/trades/NOPE${randomSuffix()}/faults`)
        .send({ query: 'timeout' })
        .expect(404);
      const no = newNo();
      await precreate(no);
      await t.http().post(`/sandbox/alipay/trades/${no}/faults`).send({ query: 'meltdown' }).expect(400);
    });
  });

  describe('notify delivery', () => {
    const forTrade = (no: string) => rx.received.filter((p) => p.out_trade_no === no);

    it('normal: one signed form, amounts in yuan, no empty fields, recorded ACKED', async () => {
      const no = newNo();
      await precreate(no);
      await pay(no).expect(200);
      await waitFor(async () =>
        (await trade(no)).attempts.some((a: { outcome: string }) => a.outcome === 'ACKED'),
      );
      const [n] = forTrade(no);
      expect(n).toMatchObject({
        notify_type: 'trade_status_sync',
        app_id: APP_ID,
        trade_status: 'TRADE_SUCCESS',
        total_amount: '123.45',
        receipt_amount: '123.45',
        sign_type: 'RSA2',
        subject: 'Sandbox & 100% test',
        charset: 'utf-8',
        version: '1.0',
      });
      expect(JSON.parse(n.fund_bill_list)).toEqual([{ amount: '123.45', fundChannel: 'ALIPAYACCOUNT' }]);
      expect(Object.values(n).every((v) => v !== '')).toBe(true);
      expect(await gw.verifyNotify(n)).toBe(true);
      expect(await gw.verifyNotify({ ...n, total_amount: '1.00' })).toBe(false);
      expect(forTrade(no)).toHaveLength(1);
    });

    it('drop: nothing is sent, the attempt is recorded DROPPED', async () => {
      const no = newNo();
      await precreate(no);
      await pay(no, { notify: { mode: 'drop' } }).expect(200);
      const tr = await trade(no);
      // the attempt is recorded DROPPED when the pay call answers, and a dropped notify is never sent
      expect(tr.attempts).toEqual([expect.objectContaining({ mode: 'drop', outcome: 'DROPPED' })]);
      expect(forTrade(no)).toHaveLength(0);
    });

    it('duplicate: `times` concurrent copies with one notify_id', async () => {
      const no = newNo();
      await precreate(no);
      await pay(no, { notify: { mode: 'duplicate', times: 3 } }).expect(200);
      await waitFor(() => forTrade(no).length === 3);
      expect(new Set(forTrade(no).map((p) => p.notify_id)).size).toBe(1);
      const tr = await waitFor(async () => {
        const x = await trade(no);
        return x.attempts.filter((a: { outcome: string }) => a.outcome === 'ACKED').length === 3 && x;
      });
      expect(tr.attempts.map((a: { copy: number }) => a.copy).sort()).toEqual([1, 2, 3]);
    });

    it('delay: delivered after delayMs', async () => {
      const no = newNo();
      await precreate(no);
      await pay(no, { notify: { mode: 'delay', delayMs: 400 } }).expect(200);
      expect(forTrade(no)).toHaveLength(0);
      await waitFor(() => forTrade(no).length === 1);
      // the receiver has the notify before the sandbox records our answer: wait for that record
      const attempt = await waitFor(async () => {
        const a = (await trade(no)).attempts[0];
        return a?.outcome === 'ACKED' && a;
      });
      expect(attempt).toMatchObject({ mode: 'delay', outcome: 'ACKED' });
    });

    it('out_of_order: a stale TRADE_CLOSED with its own notify_id arrives after the success', async () => {
      const no = newNo();
      await precreate(no);
      await pay(no, { notify: { mode: 'out_of_order' } }).expect(200);
      await waitFor(() => forTrade(no).length === 2);
      const [first, second] = forTrade(no);
      expect(first.trade_status).toBe('TRADE_SUCCESS');
      expect(second.trade_status).toBe('TRADE_CLOSED');
      expect(second.notify_id).not.toBe(first.notify_id);
      expect(await gw.verifyNotify(second)).toBe(true);
      expect((await trade(no)).attempts.map((a: { mode: string }) => a.mode)).toEqual([
        'out_of_order',
        'out_of_order',
      ]);
    });

    it('bad_sign: the signature does not verify; the re-send (same notify_id) does', async () => {
      const no = newNo();
      await precreate(no);
      await pay(no, { notify: { mode: 'bad_sign' } }).expect(200);
      await waitFor(() => forTrade(no).length === 2);
      const [bad, good] = forTrade(no);
      expect(await gw.verifyNotify(bad)).toBe(false);
      expect(await gw.verifyNotify(good)).toBe(true);
      expect(good.notify_id).toBe(bad.notify_id);
      const tr = await waitFor(async () => {
        const x = await trade(no);
        return x.attempts.length === 2 && x.attempts[1].outcome === 'ACKED' && x;
      });
      expect(tr.attempts.map((a: { seq: number; outcome: string }) => [a.seq, a.outcome])).toEqual([
        [1, 'NACKED'],
        [2, 'ACKED'],
      ]);
    });

    it('amount_mismatch: validly signed with a wrong total_amount', async () => {
      const no = newNo();
      await precreate(no);
      await pay(no, { notify: { mode: 'amount_mismatch' } }).expect(200);
      const n = await waitFor(() => forTrade(no)[0]);
      expect(await gw.verifyNotify(n)).toBe(true);
      expect(n.total_amount).toBe('123.46');
      expect((await trade(no)).attempts[0].mode).toBe('amount_mismatch');
    });

    it('re-sends on anything but exactly `success`, on the (scaled) schedule, with one notify_id', async () => {
      const no = newNo();
      await precreate(no, 100);
      let answers = 0;
      const prev = rx.respond;
      rx.respond = (p) =>
        p.out_trade_no === no
          ? ++answers <= 3
            ? ['fail', 'Success', 'success '][answers - 1]
            : 'success'
          : prev(p);
      try {
        await pay(no).expect(200);
        const tr = await waitFor(async () => {
          const x = await trade(no);
          return x.attempts.length === 4 && x.attempts[3].outcome === 'ACKED' && x;
        });
        expect(tr.attempts.map((a: { seq: number; outcome: string }) => [a.seq, a.outcome])).toEqual([
          [1, 'NACKED'],
          [2, 'NACKED'],
          [3, 'NACKED'],
          [4, 'ACKED'],
        ]);
        expect(new Set(forTrade(no).map((p) => p.notify_id)).size).toBe(1);
      } finally {
        rx.respond = prev;
      }
    });
  });

  it('off (PAYMENT_GATEWAY=alipay): every sandbox route answers 404 and no key is generated', async () => {
    expect(sandboxEnabledIn({ PAYMENT_GATEWAY: 'alipay' })).toBe(false);
    expect(
      sandboxEnabledIn({ NODE_ENV: 'production', PAYMENT_GATEWAY: 'sandbox', JWT_SECRET: 'x'.repeat(32) }),
    ).toBe(false);
    expect(sandboxEnabledIn({ PAYMENT_GATEWAY: 'sandbox' })).toBe(true);
    const off = await createTestApp({
      env: { PAYMENT_GATEWAY: 'alipay', ALIPAY_GATEWAY_URL: 'http://127.0.0.1:9/gateway.do' },
    });
    try {
      await off
        .http()
        .post('/sandbox/alipay/gateway.do')
        .type('form')
        .send({ method: 'alipay.trade.query' })
        .expect(404);
      await off.http().post('/sandbox/alipay/trades/X/pay').send({}).expect(404);
      await off.http().get('/sandbox/alipay/trades/X').expect(404);
      expect(await off.dataSource.query('SELECT name FROM sandbox_key')).toEqual([]);
      // the client reports the missing keys as an unknown answer, never as a business outcome
      expect((await off.app.get<PaymentGateway>(PAYMENT_GATEWAY).query('X')).status).toBe('UNKNOWN');
    } finally {
      await off.close();
    }
  });

  it('bill download lists the day’s paid trades (China time)', async () => {
    const no = newNo();
    await precreate(no, 777);
    await pay(no, { notify: { mode: 'drop' } }).expect(200);
    const bill = await gw.downloadBill(cstToday());
    expect(bill.ok).toBe(true);
    if (bill.ok) {
      expect(bill.trades.find((x) => x.paymentNo === no)).toMatchObject({
        amount: 777,
        status: 'TRADE_SUCCESS',
      });
    }
    const stray = `STRAY${randomSuffix()}`;
    await t.http().post('/sandbox/alipay/trades').send({ outTradeNo: stray, amount: 990 }).expect(201);
    await t.http().post('/sandbox/alipay/trades').send({ outTradeNo: stray, amount: 990 }).expect(409);
    await t.http().post('/sandbox/alipay/trades').send({ outTradeNo: 'bad no!', amount: 990 }).expect(400);
    const again = await gw.downloadBill(cstToday());
    expect(again.ok && again.trades.find((x) => x.paymentNo === stray)).toMatchObject({ amount: 990 });
    expect(await gw.query(stray)).toMatchObject({ status: 'PAID', amount: 990 });
    const empty = await gw.downloadBill('2000-01-01');
    expect(empty).toEqual({ ok: true, trades: [], refunds: [] });
  });
});
