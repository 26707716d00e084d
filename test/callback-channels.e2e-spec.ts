import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import {
  anomalies,
  balance,
  dedupRows,
  logOutcomes,
  orderStatus,
  paymentStatus,
  signedNotify,
  signedWechatNotify,
  waitFor,
  yuan,
} from './callback-support';
import { consumeNotify, upKeys, upSign } from './unionpay-helpers';
import { createTestApp, randomSuffix, TestApp } from './utils/test-app';

/**
 * The gateway callbacks of the three channels from one table of cases (issue 15, issue 23): each case
 * drives the channel's sandbox over HTTP with one of its fault modes (or, where no sandbox mode makes the
 * notify, posts one the test signed with the sandbox's published keys), the notifies reach two instances
 * of the service on one database through a round-robin balancer, and the assertions read the database rows.
 *
 * | case              | Alipay (`/v1/callbacks/alipay`)          | WeChat (`/v1/callbacks/wechat`)                | UnionPay (`/v1/callbacks/unionpay`)          |
 * |-------------------|------------------------------------------|------------------------------------------------|----------------------------------------------|
 * | duplicate ×10     | `duplicate` mode, 10 concurrent copies   | `duplicate` mode, 10 concurrent copies         | `duplicate` mode, 10 concurrent copies       |
 * | forged signature  | `bad_sign`: `fail`, the re-send applies  | `bad_sign`: 401 FAIL, the re-send applies      | `bad_sign` (tampered after signing): 400     |
 * | tampered amount   | `amount_mismatch`: acked, anomaly        | `amount_mismatch`: 204, anomaly, never paid    | `amount_mismatch`: 200, anomaly, never paid  |
 * | stale / replayed  | the captured notify posted again         | `replay_old` (timestamp 10 min old): 401       | `expired_cert`: 400, the re-send applies     |
 * |                   |                                          | then the captured one posted again: no change  | then the captured one posted again           |
 * | undecryptable     | — (Alipay notifies are not encrypted)    | `decrypt_fail`: 400 FAIL, the re-send applies  | — (UnionPay notifies are not encrypted)      |
 * | out of order      | `out_of_order`: stale TRADE_CLOSED, no-op| `out_of_order`: older second notify, no-op     | `out_of_order`: stale copy after, no-op      |
 * | wrong merchant    | `wrong_merchant` (app_id): `success`     | `wrong_merchant` (mchid, appid): 204           | `wrong_merchant` (merId not ours): 200       |
 * | unknown trade     | test-signed: `fail` (re-sent)            | test-signed: 404 FAIL (re-sent)                | test-signed: 404 (re-sent)                   |
 * | database down     | test-signed, log table away: `fail`; back: applied once (every channel: not accepted, then paid once) |
 * | dropped → query   | `drop`: the active query pays it         | `drop`: the active query pays it               | `drop`: the active query pays it             |
 *
 * (wrong merchant: validly signed, another merchant's ids; the captured notify is then posted again to the
 * other instance — still one anomaly.)
 */

type Channel = 'alipay' | 'wechat' | 'unionpay';

interface Attempt {
  notifyId: string;
  mode: string;
  seq: number;
  copy: number;
  outcome: string;
  httpStatus: number | null;
  responseBody: string | null;
  payload: unknown;
}

/** A round-robin HTTP balancer in front of the instances (what a load balancer does for notifies). */
async function startBalancer() {
  const targets: string[] = [];
  const hits = new Map<string, number>();
  let next = 0;
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = targets[next++ % targets.length];
      hits.set(target, (hits.get(target) ?? 0) + 1);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) {
        if (typeof v === 'string' && !['host', 'connection', 'content-length'].includes(k)) headers[k] = v;
      }
      void fetch(`${target}${req.url}`, { method: req.method, headers, body: Buffer.concat(chunks) })
        .then(async (r) => {
          const body = Buffer.from(await r.arrayBuffer());
          const out: Record<string, string> = {};
          r.headers.forEach((v, k) => {
            if (!['content-length', 'connection', 'transfer-encoding', 'keep-alive'].includes(k)) out[k] = v;
          });
          res.writeHead(r.status, out);
          res.end(body);
        })
        .catch(() => {
          res.writeHead(502);
          res.end();
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    targets,
    hits,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** An answer of oncepay to a notify the test posted. */
interface Answer {
  status: number;
  text: string;
}

/** A validly signed notify the test built; `send` posts it to an instance. */
interface Signed {
  send: (t: TestApp) => Promise<Answer>;
}

/** What differs between the channels: the sandbox routes, the shape of an acknowledgement, a signed notify. */
const CHANNELS: Record<
  Channel,
  {
    pay: (t: TestApp, no: string, notify: object) => Promise<unknown>;
    attempts: (t: TestApp, no: string) => Promise<Attempt[]>;
    acked: (a: Attempt) => boolean;
    refused: (a: Attempt) => boolean;
    /** the captured payload of an attempt, posted again to an instance */
    replay: (t: TestApp, a: Attempt) => Promise<Answer>;
    /** a paid notify of payment `no` signed with the sandbox's keys */
    signed: (t: TestApp, no: string, amount: number) => Promise<Signed>;
    /** the answer means "accepted, stop re-sending" */
    accepted: (r: Answer) => boolean;
  }
> = {
  alipay: {
    pay: (t, no, notify) => t.http().post(`/sandbox/alipay/trades/${no}/pay`).send({ notify }).expect(200),
    attempts: async (t, no) => (await t.http().get(`/sandbox/alipay/trades/${no}`).expect(200)).body.attempts,
    acked: (a) => a.httpStatus === 200 && a.responseBody === 'success',
    refused: (a) => a.httpStatus === 200 && a.responseBody === 'fail',
    replay: (t, a) => postForm(t, 'alipay', a.payload as Record<string, string>),
    signed: async (t, no, amount) => {
      const n = await signedNotify(t.dataSource, { outTradeNo: no, totalAmount: yuan(amount) });
      return { send: (app) => postForm(app, 'alipay', n) };
    },
    accepted: (r) => r.status === 200 && r.text === 'success',
  },
  wechat: {
    pay: (t, no, notify) =>
      t.http().post(`/sandbox/wechat/transactions/${no}/pay`).send({ notify }).expect(200),
    attempts: async (t, no) =>
      (await t.http().get(`/sandbox/wechat/transactions/${no}`).expect(200)).body.attempts,
    acked: (a) => a.httpStatus === 204 && !a.responseBody,
    refused: (a) =>
      a.httpStatus !== null && a.httpStatus >= 400 && JSON.parse(a.responseBody ?? '{}').code === 'FAIL',
    replay: async (t, a) => {
      const { headers, body } = a.payload as { headers: Record<string, string>; body: unknown };
      return t.http().post('/v1/callbacks/wechat').set(headers).send(JSON.stringify(body));
    },
    signed: async (t, no, amount) => {
      const n = await signedWechatNotify(t.dataSource, 'TRANSACTION.SUCCESS', {
        appid: 'wxd678efh567hg6787',
        mchid: '1900000109',
        out_trade_no: no,
        transaction_id: `42000${Date.now()}${Math.floor(Math.random() * 1e6)}`,
        trade_state: 'SUCCESS',
        amount: { total: amount, payer_total: amount, currency: 'CNY' },
        success_time: new Date().toISOString(),
      });
      return { send: (app) => app.http().post('/v1/callbacks/wechat').set(n.headers).send(n.body) };
    },
    accepted: (r) => r.status === 204,
  },
  unionpay: {
    pay: (t, no, notify) => t.http().post(`/sandbox/unionpay/trades/${no}/pay`).send({ notify }).expect(200),
    attempts: async (t, no) =>
      (await t.http().get(`/sandbox/unionpay/trades/${no}`).expect(200)).body.notifyAttempts,
    acked: (a) => a.httpStatus === 200 && a.responseBody === 'ok',
    refused: (a) => a.httpStatus !== null && a.httpStatus >= 400 && a.responseBody === 'fail',
    replay: (t, a) => postForm(t, 'unionpay', a.payload as Record<string, string>),
    signed: async (t, no, amount) => {
      const fields = upSign(consumeNotify(no, amount), (await upKeys(t)).gateway);
      return { send: (app) => postForm(app, 'unionpay', fields) };
    },
    accepted: (r) => r.status === 200 && r.text === 'ok',
  },
};

const postForm = (t: TestApp, channel: 'alipay' | 'unionpay', fields: Record<string, string>) =>
  t
    .http()
    .post(`/v1/callbacks/${channel}`)
    .set('Content-Type', 'application/x-www-form-urlencoded')
    .send(new URLSearchParams(fields).toString());

/** A RECHARGE order (credits the wallet once paid: a double apply shows as a double credit). */
async function recharge(t: TestApp, channel: Channel, amount: number) {
  const userId = `u-cbc-${randomSuffix()}`;
  const order = await t
    .http()
    .post('/v1/recharges')
    .set('Authorization', t.bearer(userId))
    .send({ amount })
    .expect(201);
  const pay = await t
    .http()
    .post(`/v1/orders/${order.body.orderNo}/payments`)
    .set('Authorization', t.bearer(userId))
    .send({ channel })
    .expect(201);
  return { userId, orderNo: order.body.orderNo as string, paymentNo: pay.body.paymentNo as string, amount };
}

interface Ctx {
  t: TestApp;
  other: TestApp;
  channel: Channel;
  p: Awaited<ReturnType<typeof recharge>>;
}

/**
 * The log rows of a payment's notifies, refused ones included (a refused WeChat notify was never
 * decrypted, so only its envelope id names it): by out_trade_no or by the notify ids the sandbox sent.
 */
async function logRows(c: Ctx): Promise<Array<{ outcome: string; verified: number }>> {
  const ids = (await CHANNELS[c.channel].attempts(c.t, c.p.paymentNo)).map((a) => a.notifyId);
  return c.t.dataSource.query(
    'SELECT outcome, verified FROM t_callback_log WHERE channel = ? AND (out_trade_no = ? OR notify_id IN (?)) ORDER BY id',
    [c.channel, c.p.paymentNo, ids.length ? ids : ['-']],
  );
}

/** Paid exactly once: SUCCESS, PAID, one marker of each kind, one event, credited once. */
async function assertPaidOnce({ t, p }: Ctx) {
  await waitFor(async () => (await orderStatus(t, p.orderNo)) === 'PAID', 'order PAID');
  expect(await paymentStatus(t, p.paymentNo)).toBe('SUCCESS');
  expect(await dedupRows(t, 'PAYMENT_SUCCEEDED', p.paymentNo)).toBe(1);
  expect(await dedupRows(t, 'ORDER_PAID', p.orderNo)).toBe(1);
  const [ob] = await t.dataSource.query(
    "SELECT COUNT(*) AS n FROM t_outbox WHERE topic = 'payment.succeeded' AND event_key = ?",
    [p.paymentNo],
  );
  expect(Number(ob.n)).toBe(1);
  expect(await balance(t, p.userId)).toBe(p.amount);
}

interface Case {
  name: string;
  /** null: the case does not exist in this channel's protocol (with the reason in the table above). */
  mode: Record<Channel, string | null>;
  times?: number;
  /** Waits for exactly what `check` asserts, then asserts it. */
  check: (c: Ctx) => Promise<void>;
}

const CASES: Case[] = [
  {
    name: 'duplicate ×10 across two instances: applied once',
    mode: { alipay: 'duplicate', wechat: 'duplicate', unionpay: 'duplicate' },
    times: 10,
    check: async (c) => {
      const { t, channel, p } = c;
      const h = CHANNELS[channel];
      await waitFor(
        async () => (await h.attempts(t, p.paymentNo)).filter((a) => a.outcome !== 'SENDING').length === 10,
        'ten deliveries answered',
      );
      const attempts = await h.attempts(t, p.paymentNo);
      expect(attempts.filter((a) => h.acked(a))).toHaveLength(10);
      // every delivery was answered, and each answer came after its transaction: nothing is left to show up
      await assertPaidOnce(c);
      expect(await balance(t, p.userId)).toBe(p.amount);
      const outcomes = await logOutcomes(t, p.paymentNo);
      expect(outcomes.filter((o) => o === 'APPLIED')).toHaveLength(1);
      expect(outcomes.filter((o) => o !== 'APPLIED' && o !== 'DUPLICATE')).toEqual([]);
    },
  },
  {
    name: 'forged signature: refused and changes nothing; the gateway re-send is applied',
    mode: { alipay: 'bad_sign', wechat: 'bad_sign', unionpay: 'bad_sign' },
    check: async (c) => {
      const { t, channel, p } = c;
      const h = CHANNELS[channel];
      await waitFor(async () => (await logOutcomes(t, p.paymentNo)).includes('APPLIED'), 're-send APPLIED');
      const attempts = await h.attempts(t, p.paymentNo);
      expect(h.refused(attempts[0])).toBe(true);
      if (channel !== 'alipay') expect(attempts[0].httpStatus).toBe(channel === 'wechat' ? 401 : 400);
      const rows = await logRows(c);
      expect(rows.map((r) => r.outcome)).toEqual(['BAD_SIGNATURE', 'APPLIED']);
      expect(Number(rows[0].verified)).toBe(0);
      await assertPaidOnce(c);
    },
  },
  {
    name: 'tampered amount (validly signed): acknowledged, anomaly recorded, never paid',
    mode: { alipay: 'amount_mismatch', wechat: 'amount_mismatch', unionpay: 'amount_mismatch' },
    check: async ({ t, channel, p }) => {
      const h = CHANNELS[channel];
      await waitFor(
        async () => (await logOutcomes(t, p.paymentNo)).includes('AMOUNT_MISMATCH'),
        'AMOUNT_MISMATCH logged',
      );
      // the sandbox records the answer after the app committed it: wait for that record first
      await waitFor(
        async () => (await h.attempts(t, p.paymentNo)).some((a) => h.acked(a)),
        'the acknowledged attempt recorded by the sandbox',
      );
      // the sandbox re-sends only an unacknowledged notify: once the ACKED attempt is on record there is
      // nothing to wait for
      const attempts = await h.attempts(t, p.paymentNo);
      expect(attempts).toHaveLength(1);
      expect(h.acked(attempts[0])).toBe(true);
      expect(await logOutcomes(t, p.paymentNo)).toEqual(['AMOUNT_MISMATCH']);
      expect(await paymentStatus(t, p.paymentNo)).toBe('PENDING');
      expect(await orderStatus(t, p.orderNo)).toBe('PAYING');
      expect(await balance(t, p.userId)).toBe(0);
      const kinds = await t.dataSource.query('SELECT kind FROM t_payment_anomaly WHERE payment_no = ?', [
        p.paymentNo,
      ]);
      expect(kinds.map((k: { kind: string }) => k.kind)).toEqual(['AMOUNT_MISMATCH']);
    },
  },
  {
    name: 'stale / replayed notify: never applied twice (WeChat: a stale timestamp, UnionPay: an expired certificate is refused, the re-send applies)',
    mode: { alipay: 'normal', wechat: 'replay_old', unionpay: 'expired_cert' },
    check: async (c) => {
      const { t, other, channel, p } = c;
      const h = CHANNELS[channel];
      await waitFor(async () => (await logOutcomes(t, p.paymentNo)).includes('APPLIED'), 'APPLIED');
      // the sandbox records an attempt's answer after the app has committed it: wait for that record
      let attempts = await h.attempts(t, p.paymentNo);
      await waitFor(async () => {
        attempts = await h.attempts(t, p.paymentNo);
        return attempts.some((a) => h.acked(a));
      }, 'the acknowledged attempt recorded by the sandbox');
      if (channel === 'wechat') {
        expect(attempts[0].httpStatus).toBe(401);
        expect(JSON.parse(attempts[0].responseBody!).message).toBe('STALE_TIMESTAMP');
      }
      if (channel === 'unionpay') expect(attempts[0].httpStatus).toBe(400);
      if (channel !== 'alipay') {
        const rows = await logRows(c);
        expect(rows.map((r) => r.outcome)).toEqual(['BAD_SIGNATURE', 'APPLIED']);
        expect(Number(rows[0].verified)).toBe(0);
      }
      // the captured good notify, replayed later to the other instance: accepted, nothing changes
      const good = attempts.find((a) => h.acked(a))!;
      expect(h.accepted(await h.replay(other, good))).toBe(true);
      await assertPaidOnce(c);
    },
  },
  {
    name: 'undecryptable resource: 400 FAIL, nothing changes; the re-send is applied',
    mode: { alipay: null, wechat: 'decrypt_fail', unionpay: null },
    check: async (c) => {
      const { t, channel, p } = c;
      const h = CHANNELS[channel];
      await waitFor(async () => (await logOutcomes(t, p.paymentNo)).includes('APPLIED'), 're-send APPLIED');
      const attempts = await h.attempts(t, p.paymentNo);
      expect(attempts[0].httpStatus).toBe(400);
      expect(JSON.parse(attempts[0].responseBody!)).toEqual({ code: 'FAIL', message: 'UNDECRYPTABLE' });
      const rows = await logRows(c);
      expect(rows.map((r) => r.outcome)).toEqual(['UNDECRYPTABLE', 'APPLIED']);
      expect(Number(rows[0].verified)).toBe(1); // the signature was good; the resource was not
      await assertPaidOnce(c);
    },
  },
  {
    name: 'out of order: the late, older notify after the success changes nothing',
    mode: { alipay: 'out_of_order', wechat: 'out_of_order', unionpay: 'out_of_order' },
    check: async (c) => {
      const { t, channel, p } = c;
      const h = CHANNELS[channel];
      await waitFor(
        async () => (await h.attempts(t, p.paymentNo)).filter((a) => h.acked(a)).length === 2,
        'both notifies acknowledged',
      );
      const attempts = await h.attempts(t, p.paymentNo);
      expect(attempts.map((a) => a.mode)).toEqual(['out_of_order', 'out_of_order']);
      await assertPaidOnce(c);
      const outcomes = await logOutcomes(t, p.paymentNo);
      expect(outcomes[0]).toBe('APPLIED');
      // Alipay's stale TRADE_CLOSED is recorded, never un-paying; WeChat's and UnionPay's older copy is
      // ALREADY_PAID (no write)
      expect(outcomes.slice(1)).toEqual(channel === 'alipay' ? ['REFUND_OR_LATE_CLOSE'] : []);
    },
  },
  {
    name: 'wrong merchant (validly signed): accepted, anomaly APP_MISMATCH once, never paid',
    mode: { alipay: 'wrong_merchant', wechat: 'wrong_merchant', unionpay: 'wrong_merchant' },
    check: async (c) => {
      const { t, other, channel, p } = c;
      const h = CHANNELS[channel];
      await waitFor(async () => (await h.attempts(t, p.paymentNo)).some((a) => h.acked(a)), 'acked');
      // the captured notify posted again to the other instance: accepted, still one anomaly
      const [sent] = await h.attempts(t, p.paymentNo);
      expect(h.accepted(await h.replay(other, sent))).toBe(true);
      const outcomes = await logOutcomes(t, p.paymentNo);
      expect(new Set(outcomes)).toEqual(new Set(['APP_MISMATCH']));
      expect(await anomalies(t, p.paymentNo)).toEqual(['APP_MISMATCH']);
      expect(await paymentStatus(t, p.paymentNo)).toBe('PENDING');
      expect(await orderStatus(t, p.orderNo)).toBe('PAYING');
      expect(await balance(t, p.userId)).toBe(0);
    },
  },
  {
    name: 'unknown trade (validly signed): not accepted (the gateway re-sends), nothing written but the log',
    mode: { alipay: 'signed', wechat: 'signed', unionpay: 'signed' },
    check: async ({ t, other, channel }) => {
      const h = CHANNELS[channel];
      const ghost = `P${Date.now()}GHOST${randomSuffix()}`.slice(0, 32);
      const n = await h.signed(t, ghost, 1234);
      const answers = [await n.send(t), await n.send(other)];
      expect(answers.map((r) => h.accepted(r))).toEqual([false, false]);
      if (channel !== 'alipay') expect(answers.map((r) => r.status)).toEqual([404, 404]);
      expect(await logOutcomes(t, ghost)).toEqual(['UNKNOWN_TRADE', 'UNKNOWN_TRADE']);
      expect(await dedupRows(t, 'PAYMENT_SUCCEEDED', ghost)).toBe(0);
    },
  },
  {
    name: 'database down (the log cannot be written): not accepted, nothing half-done; the re-send is applied once',
    mode: { alipay: 'signed', wechat: 'signed', unionpay: 'signed' },
    check: async (c) => {
      const { t, other, channel, p } = c;
      const h = CHANNELS[channel];
      const n = await h.signed(t, p.paymentNo, p.amount);
      await t.dataSource.query('RENAME TABLE t_callback_log TO t_callback_log_away');
      let down: Answer[];
      try {
        down = [await n.send(t), await n.send(other)];
      } finally {
        await t.dataSource.query('RENAME TABLE t_callback_log_away TO t_callback_log');
      }
      expect(down.map((r) => h.accepted(r))).toEqual([false, false]);
      expect(await paymentStatus(t, p.paymentNo)).toBe('PENDING');
      expect(await dedupRows(t, 'PAYMENT_SUCCEEDED', p.paymentNo)).toBe(0);
      expect(h.accepted(await n.send(other))).toBe(true);
      await assertPaidOnce(c);
      expect(await logOutcomes(t, p.paymentNo)).toEqual(['APPLIED']);
    },
  },
];

describe.each<Channel>(['alipay', 'wechat', 'unionpay'])('gateway callbacks, one table: %s', (channel) => {
  let lb: Awaited<ReturnType<typeof startBalancer>>;
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    lb = await startBalancer();
    const env = {
      SANDBOX_TIME_SCALE: '0.001',
      OUTBOX_POLL_MS: '100',
      PAYMENT_QUERY_DELAYS_MS: '600000', // no active query interferes: only notifies pay here
      PUBLIC_BASE_URL: lb.url,
    };
    a = await createTestApp({ env });
    b = await createTestApp({ env, dbName: a.dbName, redisPrefix: a.redisPrefix, keepDb: true });
    lb.targets.push(a.baseUrl, b.baseUrl);
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await lb?.close();
  });

  const cases = CASES.filter((c) => c.mode[channel] !== null);
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const p = await recharge(a, channel, 1000 + Math.floor(Math.random() * 9000));
    // 'signed': no sandbox delivery, the case posts notifies the test signed
    if (c.mode[channel] !== 'signed') {
      await CHANNELS[channel].pay(a, p.paymentNo, { mode: c.mode[channel], times: c.times });
    }
    await c.check({ t: a, other: b, channel, p });
  });

  it('the notifies reached both instances', () => {
    expect(lb.hits.get(a.baseUrl)).toBeGreaterThan(0);
    expect(lb.hits.get(b.baseUrl)).toBeGreaterThan(0);
  });

  describe('dropped notify', () => {
    let q: TestApp;
    beforeAll(async () => {
      q = await createTestApp({
        env: { SANDBOX_TIME_SCALE: '0.001', OUTBOX_POLL_MS: '100', PAYMENT_QUERY_DELAYS_MS: '300,600,900' },
      });
    });
    afterAll(() => q?.close());

    it('dropped → the active query makes it PAID, exactly once, with no notify logged', async () => {
      const p = await recharge(q, channel, 2500);
      await CHANNELS[channel].pay(q, p.paymentNo, { mode: 'drop' });
      await assertPaidOnce({ t: q, other: q, channel, p });
      expect(await logOutcomes(q, p.paymentNo)).toEqual([]);
      const attempts = await CHANNELS[channel].attempts(q, p.paymentNo);
      expect(attempts.map((x) => x.outcome)).toEqual(['DROPPED']);
    });
  });
});
