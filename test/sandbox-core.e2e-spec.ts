import { getQueueToken } from '@nestjs/bull';
import type { Queue } from 'bull';
import { createServer, Server } from 'node:http';
import { QUEUES } from '../src/common/queue/queue.constants';
import { SimNotifier, SimNotifyJob } from '../src/sandbox/core/sim-notifier';
import { SandboxNotifyService } from '../src/sandbox/sandbox-notify.service';
import { UnionpaySandboxNotifyService } from '../src/sandbox/unionpay/unionpay-sandbox-notify.service';
import { WechatSandboxNotifyService } from '../src/sandbox/wechat/wechat-sandbox-notify.service';
import { eventually } from './factories/order.factory';
import { newOrder, prepay } from './payment-helpers';
import { createTestApp, randomSuffix, TestApp } from './utils/test-app';

/**
 * The simulator core (src/sandbox/core) under the three protocol faces, on real MySQL and Redis with
 * two instances on one database: one delivery job run ten times at once (five per instance) sends each
 * copy once and records each attempt once; the re-send after a refused delivery goes out once; and the
 * three trade routes list attempts in one shape. Notifies go to a counting receiver (the trade's notify
 * URL is pointed at it), so what is counted is what the core sent.
 */
const ENV = { SANDBOX_TIME_SCALE: '0.001', PAYMENT_QUERY_DELAYS_MS: '600000', SUBMIT_DEDUP_WINDOW_MS: '1' };
/** Attempts of one notify by (seq, copy): concurrent runs insert copies in any order. */
const bySeqCopy = (xs: Array<Record<string, unknown>>) =>
  [...xs].sort((x, y) => Number(x.seq) - Number(y.seq) || Number(x.copy) - Number(y.copy));

const CORE_KEYS = [
  'notifyId',
  'event',
  'ref',
  'mode',
  'seq',
  'copy',
  'outcome',
  'httpStatus',
  'responseBody',
  'error',
  'payload',
  'createdAt',
  'finishedAt',
];

type Channel = 'alipay' | 'wechat' | 'unionpay';

/** Per protocol: how the buyer pays (notify dropped), where the notify URL lives, how attempts are listed. */
const FACES: Record<
  Channel,
  {
    service: new (...a: never[]) => { core: SimNotifier; jobPrefix: string };
    queue: string;
    pay: (t: TestApp, no: string) => Promise<{ key?: string }>;
    event: string;
    point: (t: TestApp, no: string, url: string) => Promise<unknown>;
    ack: { status: number; body: string };
    attempts: (t: TestApp, no: string) => Promise<Array<Record<string, unknown>>>;
  }
> = {
  alipay: {
    service: SandboxNotifyService,
    queue: QUEUES.SANDBOX_NOTIFY,
    pay: async (t, no) => {
      await t
        .http()
        .post(`/sandbox/alipay/trades/${no}/pay`)
        .send({ notify: { mode: 'drop' } })
        .expect(200);
      return {};
    },
    event: 'TRADE_SUCCESS',
    point: (t, no, url) =>
      t.dataSource.query('UPDATE sandbox_trade SET notify_url = ? WHERE out_trade_no = ?', [url, no]),
    ack: { status: 200, body: 'success' },
    attempts: async (t, no) => (await t.http().get(`/sandbox/alipay/trades/${no}`).expect(200)).body.attempts,
  },
  wechat: {
    service: WechatSandboxNotifyService,
    queue: QUEUES.SANDBOX_WECHAT_NOTIFY,
    pay: async (t, no) => {
      await t
        .http()
        .post(`/sandbox/wechat/transactions/${no}/pay`)
        .send({ notify: { mode: 'drop' } })
        .expect(200);
      return {};
    },
    event: 'TRANSACTION.SUCCESS',
    point: (t, no, url) =>
      t.dataSource.query('UPDATE sandbox_wechat_transaction SET notify_url = ? WHERE out_trade_no = ?', [
        url,
        no,
      ]),
    ack: { status: 204, body: '' },
    attempts: async (t, no) =>
      (await t.http().get(`/sandbox/wechat/transactions/${no}`).expect(200)).body.attempts,
  },
  unionpay: {
    service: UnionpaySandboxNotifyService,
    queue: QUEUES.SANDBOX_UNIONPAY_NOTIFY,
    pay: async (t, no) => {
      const r = await t
        .http()
        .post(`/sandbox/unionpay/trades/${no}/pay`)
        .send({ notify: { mode: 'drop' } })
        .expect(200);
      return { key: r.body.queryId as string };
    },
    event: '01/00',
    point: (t, no, url) =>
      t.dataSource.query('UPDATE sandbox_unionpay_txn SET back_url = ? WHERE order_id = ?', [url, no]),
    ack: { status: 200, body: '' },
    attempts: async (t, no) =>
      (await t.http().get(`/sandbox/unionpay/trades/${no}`).expect(200)).body.notifyAttempts,
  },
};

describe('sandbox simulator core: one delivery, one attempt log, three faces', () => {
  let a: TestApp;
  let b: TestApp;
  let receiver: Server;
  let base: string;
  /** per path: how many notifies arrived, and how many of the first ones to refuse */
  const hits = new Map<string, number>();
  const refuse = new Map<string, number>();

  beforeAll(async () => {
    a = await createTestApp({ env: ENV });
    b = await createTestApp({ env: ENV, dbName: a.dbName, redisPrefix: a.redisPrefix, keepDb: true });
    receiver = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const path = req.url ?? '';
        const n = (hits.get(path) ?? 0) + 1;
        hits.set(path, n);
        const channel = path.split('/')[1] as Channel;
        if (n <= (refuse.get(path) ?? 0)) res.writeHead(500).end('fail');
        else res.writeHead(FACES[channel].ack.status).end(FACES[channel].ack.body);
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(receiver.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await new Promise((r) => receiver?.close(r));
  });

  /** A paid trade of `channel` whose first notify was dropped, pointed at the receiver path. */
  async function paidTrade(channel: Channel) {
    const { userId, orderNo } = await newOrder(a);
    const paymentNo = (await prepay(a, userId, orderNo, channel).expect(201)).body.paymentNo as string;
    const { key } = await FACES[channel].pay(a, paymentNo);
    const path = `/${channel}/${randomSuffix()}`;
    await FACES[channel].point(a, paymentNo, `${base}${path}`);
    const job: SimNotifyJob = {
      kind: 'notify',
      trade: paymentNo,
      event: FACES[channel].event,
      key,
      notifyId: `core-${randomSuffix()}`,
      mode: 'duplicate',
      seq: 1,
      copies: 3,
      corruptLeft: 0,
    };
    return { paymentNo, path, job };
  }

  const cores = (channel: Channel) => [a, b].map((t) => t.app.get(FACES[channel].service).core);
  /** The re-send job of a delivery (one job id per notify and seq), if one was scheduled. */
  const resend = (channel: Channel, job: SimNotifyJob) =>
    a.app
      .get<Queue>(getQueueToken(FACES[channel].queue))
      .getJob(`${a.app.get(FACES[channel].service).jobPrefix}:${job.notifyId}:${job.seq + 1}`);

  it.each(['alipay', 'wechat', 'unionpay'] as const)(
    '%s: one job run 10 times at once over two instances sends each of its 3 copies once',
    async (channel) => {
      const { paymentNo, path, job } = await paidTrade(channel);
      const [ca, cb] = cores(channel);
      await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? ca : cb).deliver({ ...job })));
      expect(hits.get(path)).toBe(3);
      expect(await resend(channel, job)).toBeNull(); // acked: the runs that sent nothing scheduled nothing
      const mine = bySeqCopy(
        (await FACES[channel].attempts(a, paymentNo)).filter((x) => x.notifyId === job.notifyId),
      );
      expect(mine.map((x) => [x.seq, x.copy, x.outcome, x.httpStatus])).toEqual(
        [1, 2, 3].map((copy) => [1, copy, 'ACKED', FACES[channel].ack.status]),
      );
    },
  );

  it.each(['alipay', 'wechat', 'unionpay'] as const)(
    '%s: refused copies are re-sent once, on the gateway schedule, under the same notify id',
    async (channel) => {
      const { paymentNo, path, job } = await paidTrade(channel);
      refuse.set(path, 3);
      const [ca, cb] = cores(channel);
      await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? ca : cb).deliver({ ...job })));
      const attempts = await eventually(
        async () => {
          const all = await FACES[channel].attempts(a, paymentNo);
          const mine = all.filter((x) => x.notifyId === job.notifyId);
          return mine.some((x) => x.outcome === 'ACKED') ? mine : null;
        },
        30_000,
        50,
      );
      expect(bySeqCopy(attempts).map((x) => [x.seq, x.copy, x.outcome, x.mode])).toEqual([
        [1, 1, 'NACKED', 'duplicate'],
        [1, 2, 'NACKED', 'duplicate'],
        [1, 3, 'NACKED', 'duplicate'],
        [2, 1, 'ACKED', 'normal'],
      ]);
      expect(hits.get(path)).toBe(4);
    },
  );

  it('the three trade routes list attempts in one shape (plus each face’s older names)', async () => {
    const shapes: Record<string, string[]> = {};
    for (const channel of ['alipay', 'wechat', 'unionpay'] as const) {
      const { paymentNo } = await paidTrade(channel);
      const [dropped] = await FACES[channel].attempts(a, paymentNo);
      expect(dropped).toMatchObject({ mode: 'drop', outcome: 'DROPPED', seq: 1, copy: 1, ref: null });
      shapes[channel] = CORE_KEYS.filter((k) => k in dropped);
    }
    expect(shapes).toEqual({ alipay: CORE_KEYS, wechat: CORE_KEYS, unionpay: CORE_KEYS });
  });
});
