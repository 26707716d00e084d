import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { toCstRfc3339 } from '../src/common/china-time';
import { WechatGateway } from '../src/payment/channels/wechat/wechat.gateway';
import { wechatConfig } from '../src/payment/channels/wechat/wechat.config';
import { WechatKeysProvider } from '../src/payment/channels/wechat/wechat-keys.provider';
import { WechatNotify, WechatNotifyReader } from '../src/payment/channels/wechat/wechat-notify';
import { waitFor } from './sandbox-helpers';
import { createTestApp, TestApp } from './utils/test-app';

/**
 * The WeChat Pay v3 client (wechatpay-axios-plugin) against the WeChat sandbox, over real HTTP: signed
 * requests, verified answers, Native order / query / close / refund / refund query / bill, and every
 * notify mode read by WechatNotifyReader at a stand-in merchant endpoint.
 */

interface Received {
  headers: Record<string, string | string[] | undefined>;
  body: string;
  read: WechatNotify;
}

/** A merchant notify endpoint: reads each notify (signature → decrypt → merchant) and acks only good ones. */
async function startReceiver(reader: WechatNotifyReader) {
  const received: Received[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      void reader.read(req.headers, body).then((read) => {
        received.push({ headers: req.headers, body, read });
        if (read.ok) {
          res.writeHead(204);
          res.end();
        } else {
          res.writeHead(400, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ code: 'FAIL', message: read.code }));
        }
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/notify`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('WeChat Pay v3 client against the WeChat sandbox', () => {
  let t: TestApp;
  let gw: WechatGateway;
  let quick: WechatGateway;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const no = (p = 'W') => `${p}${Date.now()}${randomBytes(4).toString('hex')}`;
  // one expiry per test file, as the service keeps one per payment: a retry must send the same time_expire
  const expiresAt = new Date(Date.now() + 15 * 60_000);

  beforeAll(async () => {
    t = await createTestApp({ env: { SANDBOX_TIME_SCALE: '0.001', WECHAT_TIMEOUT_MS: '10000' } });
    gw = t.app.get(WechatGateway);
    // the `timeout` fault holds the answer past the app's timeout (10 s, generous on a loaded machine);
    // a client with a short timeout sees it quickly
    quick = new WechatGateway(t.app.get(WechatKeysProvider), {
      ...t.app.get(wechatConfig.KEY),
      timeoutMs: 500,
    });
    const keys = t.app.get(WechatKeysProvider);
    receiver = await startReceiver(new WechatNotifyReader(() => keys.get()));
  });

  afterAll(async () => {
    await receiver.close();
    await t.close();
  });

  const precreate = (paymentNo: string, amount = 990) =>
    gw.precreate({
      paymentNo,
      amount,
      subject: 'oncepay order',
      expiresAt,
      notifyUrl: receiver.url,
    });
  const pay = (paymentNo: string, body: object = {}) =>
    t.http().post(`/sandbox/wechat/transactions/${paymentNo}/pay`).send(body);
  const notifiesOf = (paymentNo: string) =>
    receiver.received.filter((r) => r.body.length > 0 && sandboxOut(r) === paymentNo);
  /** The out_trade_no a notify is about, from the sandbox's attempt log (the body is encrypted). */
  const sandboxOut = (r: Received) =>
    r.read.ok
      ? 'transaction' in r.read
        ? r.read.transaction.outTradeNo
        : r.read.refund.outTradeNo
      : outOf(r);
  const attemptsByBody = new Map<string, string>();
  const outOf = (r: Received) => attemptsByBody.get((JSON.parse(r.body) as { id: string }).id);
  const show = async (paymentNo: string) => {
    const res = await t.http().get(`/sandbox/wechat/transactions/${paymentNo}`).expect(200);
    for (const a of res.body.attempts as Array<{ notifyId: string }>)
      attemptsByBody.set(a.notifyId, paymentNo);
    return res.body as {
      tradeState: string;
      refunds: Array<{ status: string }>;
      attempts: Array<{ notifyId: string; eventType: string; mode: string; seq: number; outcome: string }>;
    };
  };

  it('creates a Native order (code_url), idempotently for the same parameters, and refuses other ones', async () => {
    const p = no();
    const first = await precreate(p);
    expect(first).toMatchObject({ ok: true, qrCode: expect.stringMatching(/^weixin:\/\/wxpay\/bizpayurl/) });
    await expect(precreate(p)).resolves.toEqual(first);
    await expect(precreate(p, 991)).resolves.toMatchObject({
      ok: false,
      reason: expect.stringContaining('INVALID_REQUEST'),
    });
    await expect(gw.query(p)).resolves.toEqual({ status: 'WAIT_BUYER_PAY' });
    await expect(gw.query(no('NONE'))).resolves.toEqual({ status: 'NOT_EXIST' });
  });

  it('pays: the query says PAID with the amount, and one signed, encrypted TRANSACTION.SUCCESS is acked', async () => {
    const p = no();
    await precreate(p, 1234);
    await pay(p).expect(200);
    const q = await gw.query(p);
    expect(q).toMatchObject({ status: 'PAID', amount: 1234, tradeNo: expect.stringMatching(/^4200/) });
    const s = (await waitFor(async () => {
      const v = await show(p);
      return v.attempts.some((a) => a.outcome === 'ACKED') ? v : null;
    }))!;
    expect(s.attempts).toEqual([
      expect.objectContaining({ eventType: 'TRANSACTION.SUCCESS', seq: 1, outcome: 'ACKED' }),
    ]);
    const got = notifiesOf(p);
    expect(got).toHaveLength(1);
    expect(got[0].read).toMatchObject({
      ok: true,
      eventType: 'TRANSACTION.SUCCESS',
      transaction: {
        outTradeNo: p,
        total: 1234,
        tradeState: 'SUCCESS',
        transactionId: (q as { tradeNo: string }).tradeNo,
      },
    });
    // a paid order cannot be closed; its pay is refused a second time
    await expect(gw.close(p)).resolves.toEqual({ status: 'ALREADY_PAID' });
    await pay(p).expect(409);
  });

  it('closes an unpaid order (204), idempotently; an unknown one is NOT_EXIST; a closed one is not payable', async () => {
    const p = no();
    await precreate(p);
    await expect(gw.close(p)).resolves.toEqual({ status: 'CLOSED' });
    await expect(gw.close(p)).resolves.toEqual({ status: 'CLOSED' });
    await expect(gw.query(p)).resolves.toEqual({ status: 'CLOSED' });
    await expect(gw.close(no('NONE'))).resolves.toEqual({ status: 'NOT_EXIST' });
    await pay(p).expect(409);
    await pay(p, { allowAfterClose: true }).expect(200);
    await expect(gw.query(p)).resolves.toMatchObject({ status: 'PAID' });
  });

  it.each([
    ['system_error', 'query'],
    ['bad_sign', 'query'],
    ['timeout', 'query'],
    ['system_error', 'close'],
    ['bad_sign', 'close'],
    ['timeout', 'close'],
  ])('a %s answer to %s is UNKNOWN, never unpaid or closed', async (fault, call) => {
    const p = no();
    await precreate(p);
    await t
      .http()
      .post(`/sandbox/wechat/transactions/${p}/faults`)
      .send({ [call]: fault })
      .expect(200);
    const client = fault === 'timeout' ? quick : gw;
    const r = call === 'query' ? await client.query(p) : await client.close(p);
    expect(r).toMatchObject({ status: 'UNKNOWN' });
    // the fault was armed once: the next call gets the real answer
    await expect(call === 'query' ? gw.query(p) : gw.close(p)).resolves.toEqual({
      status: call === 'query' ? 'WAIT_BUYER_PAY' : 'CLOSED',
    });
  });

  it('refuses unsigned and mis-signed requests (401 SIGN_ERROR, itself signed)', async () => {
    const res = await t
      .http()
      .post('/sandbox/wechat/v3/pay/transactions/native')
      .send({ mchid: '1900000109' });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ code: 'SIGN_ERROR' });
    expect(res.headers['wechatpay-signature']).toBeTruthy();
    const forged = await t
      .http()
      .get('/sandbox/wechat/v3/pay/transactions/out-trade-no/X123456?mchid=1900000109')
      .set(
        'authorization',
        `WECHATPAY2-SHA256-RSA2048 mchid="1900000109",nonce_str="n",signature="AAAA",timestamp="${Math.floor(Date.now() / 1000)}",serial_no="X"`,
      );
    expect(forged.status).toBe(401);
  });

  it('refunds: PROCESSING, then SUCCESS by query and by a REFUND.SUCCESS notify; same number + amount is the same refund', async () => {
    const p = no();
    await precreate(p, 1000);
    await pay(p).expect(200);
    const r1 = no('R');
    const req = {
      paymentNo: p,
      refundNo: r1,
      amount: 300,
      paymentAmount: 1000,
      reason: 'damaged',
      notifyUrl: receiver.url,
    };
    await expect(gw.refund(req)).resolves.toEqual({ status: 'PROCESSING' });
    await expect(gw.refundQuery({ paymentNo: p, refundNo: no('R') })).resolves.toEqual({
      status: 'NOT_FOUND',
    });
    const done = await waitFor(async () => {
      const q = await gw.refundQuery({ paymentNo: p, refundNo: r1 });
      return q.status === 'SUCCEEDED' && q;
    });
    expect(done).toMatchObject({ status: 'SUCCEEDED', amount: 300, refundedAt: expect.any(Date) });
    await expect(gw.refund(req)).resolves.toMatchObject({ status: 'SUCCEEDED' });
    await expect(gw.refund({ ...req, amount: 301 })).resolves.toMatchObject({
      status: 'FAILED',
      code: 'INVALID_REQUEST',
    });
    await expect(gw.refund({ ...req, refundNo: no('R'), amount: 701 })).resolves.toMatchObject({
      status: 'FAILED',
      code: 'INVALID_REQUEST',
    });
    await expect(gw.query(p)).resolves.toMatchObject({ status: 'PAID', amount: 1000 });
    const notify = await waitFor(() =>
      receiver.received.find(
        (x) => x.read.ok && x.read.eventType === 'REFUND.SUCCESS' && x.read.refund.outRefundNo === r1,
      ),
    );
    expect(notify?.read).toMatchObject({
      refund: { outTradeNo: p, refund: 300, total: 1000, refundStatus: 'SUCCESS' },
    });
  });

  it('refund answers that are lost or forged are UNKNOWN; a CLOSED refund is FAILED', async () => {
    const p = no();
    await precreate(p, 500);
    await pay(p).expect(200);
    const base = { paymentNo: p, amount: 100, paymentAmount: 500, reason: 'x', notifyUrl: receiver.url };
    await t
      .http()
      .post(`/sandbox/wechat/transactions/${p}/faults`)
      .send({ refund: 'system_error' })
      .expect(200);
    const r1 = no('R');
    await expect(gw.refund({ ...base, refundNo: r1 })).resolves.toMatchObject({ status: 'UNKNOWN' });
    await expect(gw.refundQuery({ paymentNo: p, refundNo: r1 })).resolves.toEqual({ status: 'NOT_FOUND' });
    await t.http().post(`/sandbox/wechat/transactions/${p}/faults`).send({ refund: 'timeout' }).expect(200);
    await expect(quick.refund({ ...base, refundNo: r1 })).resolves.toMatchObject({ status: 'UNKNOWN' });
    // the refund was made all the same: the retry with the same number and amount finds it
    await expect(
      waitFor(async () => (await gw.refund({ ...base, refundNo: r1 })).status === 'SUCCEEDED'),
    ).resolves.toBe(true);
    await t
      .http()
      .post(`/sandbox/wechat/transactions/${p}/faults`)
      .send({ refundOutcome: 'CLOSED' })
      .expect(200);
    const r2 = no('R');
    await expect(gw.refund({ ...base, refundNo: r2 })).resolves.toEqual({ status: 'PROCESSING' });
    await expect(
      waitFor(async () => (await gw.refundQuery({ paymentNo: p, refundNo: r2 })).status === 'FAILED'),
    ).resolves.toBe(true);
  });

  it('downloads the day’s bill (SHA1-checked) with the paid trades in fen', async () => {
    const p = no();
    await precreate(p, 4321);
    await pay(p).expect(200);
    const today = toCstRfc3339(new Date()).slice(0, 10);
    const bill = await gw.downloadBill(today);
    expect(bill).toMatchObject({ ok: true });
    expect(bill.ok && bill.trades.find((x) => x.paymentNo === p)).toMatchObject({
      amount: 4321,
      status: 'SUCCESS',
      tradeNo: expect.stringMatching(/^4200/),
    });
  });

  it.each([
    ['bad_sign', 'BAD_SIGNATURE'],
    ['decrypt_fail', 'UNDECRYPTABLE'],
    ['replay_old', 'STALE_TIMESTAMP'],
  ])('notify mode %s is refused (%s) and the WeChat re-send delivers a good one', async (mode, code) => {
    const p = no();
    await precreate(p);
    await pay(p, { notify: { mode } }).expect(200);
    const s = (await waitFor(async () => {
      const v = await show(p);
      return v.attempts.some((a) => a.outcome === 'ACKED') ? v : null;
    }))!;
    expect(s.attempts.map((a) => [a.seq, a.mode, a.outcome])).toEqual([
      [1, mode, 'NACKED'],
      [2, 'normal', 'ACKED'],
    ]);
    expect(notifiesOf(p).map((r) => (r.read.ok ? 'ok' : r.read.code))).toEqual([code, 'ok']);
  });

  it('a refund whose settle job was lost (accepted, PROCESSING long past its settle time) is settled by the next query', async () => {
    const p = no();
    await precreate(p, 1000);
    await pay(p).expect(200);
    const r = no('R');
    // what a refund call leaves when the sandbox's Redis lost the settle job: the row, PROCESSING, and no job
    await t.dataSource.query(
      `INSERT INTO sandbox_wechat_refund (out_refund_no, refund_id, out_trade_no, refund, total, reason, notify_url, created_at)
       VALUES (?, '50300000000000000000000000001', ?, 200, 1000, 'lost job', NULL, NOW(3) - INTERVAL 1 MINUTE)`,
      [r, p],
    );
    await expect(gw.refundQuery({ paymentNo: p, refundNo: r })).resolves.toMatchObject({
      status: 'SUCCEEDED',
      amount: 200,
    });
    const [row] = await t.dataSource.query(
      'SELECT status FROM sandbox_wechat_refund WHERE out_refund_no = ?',
      [r],
    );
    expect(row.status).toBe('SUCCESS');
  });

  it('notify mode amount_mismatch is validly signed and decrypts to another amount', async () => {
    const p = no();
    await precreate(p, 700);
    await pay(p, { notify: { mode: 'amount_mismatch' } }).expect(200);
    const got = await waitFor(() => notifiesOf(p)[0]);
    expect(got.read).toMatchObject({ ok: true, transaction: { total: 701 } });
  });

  it('notify mode duplicate sends concurrent copies of one notification; drop sends nothing', async () => {
    const p = no();
    await precreate(p);
    await pay(p, { notify: { mode: 'duplicate', times: 3 } }).expect(200);
    await waitFor(async () => (await show(p)).attempts.filter((a) => a.outcome === 'ACKED').length === 3);
    const ids = new Set(notifiesOf(p).map((r) => (r.read.ok ? r.read.id : '')));
    expect(ids.size).toBe(1);

    const d = no();
    await precreate(d);
    await pay(d, { notify: { mode: 'drop' } }).expect(200);
    expect((await show(d)).attempts).toEqual([expect.objectContaining({ mode: 'drop', outcome: 'DROPPED' })]);
    await expect(gw.query(d)).resolves.toMatchObject({ status: 'PAID' });
  });

  it('notify mode out_of_order delivers a second notification with an older create_time after the first', async () => {
    const p = no();
    await precreate(p);
    await pay(p, { notify: { mode: 'out_of_order' } }).expect(200);
    await waitFor(async () => (await show(p)).attempts.filter((a) => a.outcome === 'ACKED').length === 2);
    const [first, second] = notifiesOf(p).map(
      (r) => JSON.parse(r.body) as { id: string; create_time: string },
    );
    expect(first.id).not.toBe(second.id);
    expect(new Date(second.create_time).getTime()).toBeLessThan(new Date(first.create_time).getTime());
  });
});
