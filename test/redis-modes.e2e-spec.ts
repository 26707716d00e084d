import { getQueueToken } from '@nestjs/bull';
import type { Queue } from 'bull';
import Redis from 'ioredis';
import { QUEUES } from '../src/common/queue/queue.constants';
import { LockService } from '../src/idempotency/lock.service';
import { countOrders, createProduct, eventually, newUserId, orderRow } from './factories/order.factory';
import { newOrder, orderStatus, paymentRow, prepay, sandboxPay } from './payment-helpers';
import { dropDatabase, REDIS_CLUSTER_NODES, REDIS_CLUSTER_PORTS } from './utils/services';
import { createTestApp, randomSuffix, TestApp } from './utils/test-app';

/**
 * The Redis-dependent behaviour, once against the single node (REDIS_URL) and once against the
 * six-node Redis Cluster of .ci/redis-cluster.sh (REDIS_CLUSTER_NODES): submit guard, Idempotency-Key
 * replay, one-time tokens, locks, delayed jobs, the outbox relay and the whole success path.
 */
const MODES: Array<[string, Record<string, string>]> = [
  ['single node', {}],
  ['cluster', { REDIS_CLUSTER_NODES }],
];

const ENV = {
  PAYMENT_QUERY_DELAYS_MS: '300,600,900',
  SANDBOX_TIME_SCALE: '0.001',
  ORDER_SWEEP_INTERVAL_MS: '3600000',
  PAYMENT_SWEEP_INTERVAL_MS: '3600000',
};

describe.each(MODES)('Redis-dependent paths on a %s', (mode, redisEnv) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: { ...ENV, ...redisEnv } });
  });
  afterAll(() => t?.close());

  const submit = (user: string, body: object, headers: Record<string, string> = {}) =>
    t.http().post('/v1/orders').set('Authorization', t.bearer(user)).set(headers).send(body);

  it('/health reports Redis up (for a cluster: every master answers, cluster_state ok)', async () => {
    const res = await t.http().get('/health').expect(200);
    expect(res.body.details.redis).toEqual(
      mode === 'cluster'
        ? { status: 'up', mode: 'cluster', masters: 3, mastersWithoutReplica: [] }
        : { status: 'up' },
    );
  });

  it('submit guard: 30 identical concurrent submits → 1 order, 29 × DUPLICATE_SUBMIT', async () => {
    const p = await createProduct(t, { stock: 100 });
    const user = newUserId();
    const body = { items: [{ productId: p.id, quantity: 1 }] };
    const results = await Promise.all(Array.from({ length: 30 }, () => submit(user, body)));
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.body.code === 'DUPLICATE_SUBMIT')).toHaveLength(29);
    expect(await countOrders(t, 'user_id = ?', [user])).toBe(1);
  });

  it('Idempotency-Key replay: the same key answers the same order, many users spread over the slots', async () => {
    const p = await createProduct(t, { stock: 1000 });
    const users = Array.from({ length: 12 }, () => newUserId());
    const body = { items: [{ productId: p.id, quantity: 1 }] };
    for (const user of users) {
      const first = await submit(user, body, { 'Idempotency-Key': `k-${user}` }).expect(201);
      const again = await submit(user, body, { 'Idempotency-Key': `k-${user}` });
      expect([200, 201]).toContain(again.status);
      expect(again.body.orderNo).toBe(first.body.orderNo);
      expect(again.headers['idempotent-replayed']).toBe('true');
    }
    expect(await countOrders(t, `user_id IN (${users.map(() => '?').join(',')})`, users)).toBe(users.length);
  });

  it('one-time token: 20 concurrent uses → one order, the rest TOKEN_USED', async () => {
    const p = await createProduct(t, { stock: 100 });
    const user = newUserId();
    const token = (
      await t.http().post('/v1/idempotency-tokens').set('Authorization', t.bearer(user)).expect(201)
    ).body.token as string;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        submit(
          user,
          { items: [{ productId: p.id, quantity: 1 }], remark: `r${i}` },
          { 'Idempotency-Token': token },
        ),
      ),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.body.code === 'TOKEN_USED')).toHaveLength(19);
  });

  it('lock: 20 concurrent pre-pays of one order → one payment; withLock excludes', async () => {
    const { userId, orderNo } = await newOrder(t);
    const results = await Promise.all(Array.from({ length: 20 }, () => prepay(t, userId, orderNo)));
    const numbers = new Set(results.filter((r) => r.status < 300).map((r) => r.body.paymentNo));
    expect(numbers.size).toBe(1);
    const locks = t.app.get(LockService);
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 5 }, () =>
        locks
          .withLock(`lock:order:{${orderNo}-x}`, 5000, async () => {
            most = Math.max(most, ++inside);
            await new Promise((r) => setTimeout(r, 20));
            inside--;
          })
          .catch(() => undefined),
      ),
    );
    expect(most).toBe(1);
  });

  it('delayed job: the expiry job is scheduled with the order TTL; promoted, a worker runs it (too early: no-op)', async () => {
    const p = await createProduct(t, { stock: 5 });
    const res = await submit(newUserId(), { items: [{ productId: p.id, quantity: 2 }] }).expect(201);
    const queue = t.app.get<Queue>(getQueueToken(QUEUES.ORDER_EXPIRY));
    const id = `expire:${res.body.orderNo}`;
    const job = await eventually(() => queue.getJob(id));
    expect(job.opts.delay).toBeGreaterThan(60_000); // the default 15 min TTL, less the time to add it
    expect(await job.isDelayed()).toBe(true);
    await job.promote(); // due now: a worker takes it from its queue's slot and runs the handler
    const done = await eventually(async () => {
      const j = await queue.getJob(id);
      return (await j?.isCompleted()) ? j : null;
    }, 15000);
    expect(done!.returnvalue).toEqual({ cancelled: false }); // the order has not expired yet
    expect((await orderRow(t, res.body.orderNo))?.status).toBe('CREATED');
  });

  it('success path: sandbox pay → notify job → callback → outbox relay → PAID; notify dropped → active query', async () => {
    const a = await newOrder(t);
    const pa = (await prepay(t, a.userId, a.orderNo).expect(201)).body;
    await sandboxPay(t, pa.paymentNo, { notify: { mode: 'normal' } }).expect(200);
    const b = await newOrder(t);
    const pb = (await prepay(t, b.userId, b.orderNo).expect(201)).body;
    await sandboxPay(t, pb.paymentNo, { notify: { mode: 'drop' } }).expect(200);
    await eventually(async () => (await orderStatus(t, a.orderNo)) === 'PAID', 20000);
    await eventually(async () => (await orderStatus(t, b.orderNo)) === 'PAID', 20000);
    expect((await paymentRow(t, pb.paymentNo))?.status).toBe('SUCCESS');
    // the relay publishes after the apply commits: wait for the two SENT rows themselves
    const sentRows = async () =>
      Number((await t.dataSource.query("SELECT COUNT(*) AS n FROM t_outbox WHERE status = 'SENT'"))[0].n);
    await eventually(async () => (await sentRows()) >= 2, 20000);
    expect(await sentRows()).toBeGreaterThanOrEqual(2);
  });

  if (mode === 'cluster') {
    it('each queue has its own hash tag: the queues are spread over the masters', async () => {
      const node = new Redis({ host: '127.0.0.1', port: REDIS_CLUSTER_PORTS[0] });
      try {
        const ranges = (await node.cluster('SLOTS')) as unknown as Array<[number, number, [string, number]]>;
        const masterOf = (slot: number) => ranges.find(([a, b]) => slot >= a && slot <= b)?.[2][1];
        const slots = new Set<number>();
        const masters = new Set<number | undefined>();
        let queues = 0;
        // every queue the app registers (callback-apply is a name only, no queue)
        for (const name of Object.values(QUEUES).filter((n) => n !== QUEUES.CALLBACK_APPLY)) {
          const q = t.app.get<Queue & { toKey: (k: string) => string }>(getQueueToken(name), {
            strict: false,
          });
          queues++;
          const key = q.toKey('id');
          expect(key).toBe(`{${t.redisPrefix}${name}}:${name}:id`);
          const slot = Number(await node.cluster('KEYSLOT', key));
          slots.add(slot);
          masters.add(masterOf(slot));
        }
        expect(queues).toBe(11);
        expect(slots.size).toBe(queues);
        expect(masters.size).toBeGreaterThan(1);
      } finally {
        node.disconnect();
      }
    });
  }
});

describe('Redis settings refused at start', () => {
  it('REDIS_URL pointing at a node of a Redis Cluster stops the start with the fix', async () => {
    const dbName = `oncepay_t_${randomSuffix()}`;
    try {
      await expect(
        createTestApp({ dbName, env: { REDIS_URL: `redis://127.0.0.1:${REDIS_CLUSTER_PORTS[0]}` } }),
      ).rejects.toThrow(/REDIS_URL points at a node of a Redis Cluster: set REDIS_CLUSTER_NODES/);
    } finally {
      await dropDatabase(dbName);
    }
  });
});
