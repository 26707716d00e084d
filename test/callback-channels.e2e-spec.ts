import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { balance, dedupRows, logOutcomes, orderStatus, paymentStatus, waitFor } from './callback-support';
import { createTestApp, randomSuffix, TestApp } from './utils/test-app';

/**
 * The gateway callbacks of both channels from one table of cases (issue 15): each case drives the
 * channel's sandbox over HTTP with one of its fault modes, the notifies reach two instances of the
 * service on one database through a round-robin balancer, and the assertions read the database rows.
 *
 * | case              | Alipay (`/v1/callbacks/alipay`)                 | WeChat (`/v1/callbacks/wechat`)                   |
 * |-------------------|-------------------------------------------------|---------------------------------------------------|
 * | duplicate ×10     | `duplicate` mode, 10 concurrent copies          | `duplicate` mode, 10 concurrent copies            |
 * | forged signature  | `bad_sign`: `fail`, the re-send applies         | `bad_sign`: 401 FAIL, the re-send applies         |
 * | tampered amount   | `amount_mismatch`: acked, anomaly, never paid   | `amount_mismatch`: 204, anomaly, never paid       |
 * | replayed          | the captured notify posted again: no change     | `replay_old` (timestamp 10 min old): 401, re-send |
 * | undecryptable     | — (Alipay notifies are not encrypted)           | `decrypt_fail`: 400 FAIL, the re-send applies     |
 * | out of order      | `out_of_order`: stale TRADE_CLOSED after, no-op | `out_of_order`: older second notify after, no-op  |
 * | dropped → query   | `drop`: the active query pays it                | `drop`: the active query pays it                  |
 */

type Channel = 'alipay' | 'wechat';

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

/** What differs between the channels: the sandbox routes and the shape of an acknowledgement. */
const CHANNELS: Record<
  Channel,
  {
    pay: (t: TestApp, no: string, notify: object) => Promise<unknown>;
    attempts: (t: TestApp, no: string) => Promise<Attempt[]>;
    acked: (a: Attempt) => boolean;
    refused: (a: Attempt) => boolean;
  }
> = {
  alipay: {
    pay: (t, no, notify) => t.http().post(`/sandbox/alipay/trades/${no}/pay`).send({ notify }).expect(200),
    attempts: async (t, no) => (await t.http().get(`/sandbox/alipay/trades/${no}`).expect(200)).body.attempts,
    acked: (a) => a.httpStatus === 200 && a.responseBody === 'success',
    refused: (a) => a.httpStatus === 200 && a.responseBody === 'fail',
  },
  wechat: {
    pay: (t, no, notify) =>
      t.http().post(`/sandbox/wechat/transactions/${no}/pay`).send({ notify }).expect(200),
    attempts: async (t, no) =>
      (await t.http().get(`/sandbox/wechat/transactions/${no}`).expect(200)).body.attempts,
    acked: (a) => a.httpStatus === 204 && !a.responseBody,
    refused: (a) =>
      a.httpStatus !== null && a.httpStatus >= 400 && JSON.parse(a.responseBody ?? '{}').code === 'FAIL',
  },
};

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
    mode: { alipay: 'duplicate', wechat: 'duplicate' },
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
    mode: { alipay: 'bad_sign', wechat: 'bad_sign' },
    check: async (c) => {
      const { t, channel, p } = c;
      const h = CHANNELS[channel];
      await waitFor(async () => (await logOutcomes(t, p.paymentNo)).includes('APPLIED'), 're-send APPLIED');
      const attempts = await h.attempts(t, p.paymentNo);
      expect(h.refused(attempts[0])).toBe(true);
      if (channel === 'wechat') expect(attempts[0].httpStatus).toBe(401);
      const rows = await logRows(c);
      expect(rows.map((r) => r.outcome)).toEqual(['BAD_SIGNATURE', 'APPLIED']);
      expect(Number(rows[0].verified)).toBe(0);
      await assertPaidOnce(c);
    },
  },
  {
    name: 'tampered amount (validly signed): acknowledged, anomaly recorded, never paid',
    mode: { alipay: 'amount_mismatch', wechat: 'amount_mismatch' },
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
    name: 'replayed notify: never applied twice (WeChat: a stale timestamp is refused, the re-send applies)',
    mode: { alipay: 'normal', wechat: 'replay_old' },
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
        expect((await logRows(c)).map((r) => r.outcome)).toEqual(['BAD_SIGNATURE', 'APPLIED']);
      }
      // the captured good notify, replayed later to the other instance: accepted, nothing changes
      const good = attempts.find((a) => h.acked(a))!;
      if (channel === 'alipay') {
        const res = await other
          .http()
          .post('/v1/callbacks/alipay')
          .set('Content-Type', 'application/x-www-form-urlencoded')
          .send(new URLSearchParams(good.payload as Record<string, string>).toString());
        expect(res.text).toBe('success');
      } else {
        const { headers, body } = good.payload as { headers: Record<string, string>; body: unknown };
        const res = await other.http().post('/v1/callbacks/wechat').set(headers).send(JSON.stringify(body));
        expect(res.status).toBe(204);
      }
      await assertPaidOnce(c);
    },
  },
  {
    name: 'undecryptable resource: 400 FAIL, nothing changes; the re-send is applied',
    mode: { alipay: null, wechat: 'decrypt_fail' },
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
    mode: { alipay: 'out_of_order', wechat: 'out_of_order' },
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
      // Alipay's stale TRADE_CLOSED is recorded, never un-paying; WeChat's older copy is ALREADY_PAID (no write)
      expect(outcomes.slice(1)).toEqual(channel === 'alipay' ? ['REFUND_OR_LATE_CLOSE'] : []);
    },
  },
];

describe.each<Channel>(['alipay', 'wechat'])('gateway callbacks, one table: %s', (channel) => {
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
    await CHANNELS[channel].pay(a, p.paymentNo, { mode: c.mode[channel], times: c.times });
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
