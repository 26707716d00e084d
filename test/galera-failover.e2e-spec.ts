import { ChildProcess } from 'node:child_process';
import { createProduct, eventually, newUserId } from './factories/order.factory';
import {
  badServerAnswers,
  checksums,
  ensureCluster,
  errorLog,
  errorLogSize,
  GALERA_PORTS,
  killNode,
  onNode,
  takeLock,
  waitQuiet,
} from './galera-helpers';
import { createTestApp, randomSuffix, TestApp } from './utils/test-app';

interface Sample {
  who: 'a' | 'b';
  start: number;
  end: number;
  status: number;
  headers: Record<string, string>;
  body: { orderNo?: string; code?: string };
}

/**
 * Node 2 of the Galera cluster (.ci/galera.sh) is `kill -9`ed while both instances take submits:
 * `a` (on node 1) keeps answering after a short stall (the cluster evicts the dead member after
 * evs.suspect_timeout), `b` (on node 2) answers 503 + Retry-After until its node is back, the node
 * rejoins by IST (not a full SST), `b` answers 201 again, and every node ends with every answered
 * order, stock + ordered units = the initial stock, and identical tables.
 */
describe('a Galera node killed mid-load', () => {
  let lock: ChildProcess;
  let a: TestApp;
  let b: TestApp;
  let closed = false;
  const db = `oncepay_gf_${randomSuffix()}`;
  const env = { ORDER_TTL_MS: '600000', PAYMENT_SWEEP_INTERVAL_MS: '3600000', OUTBOX_POLL_MS: '200' };

  beforeAll(async () => {
    lock = await takeLock();
    await ensureCluster();
    a = await createTestApp({ dbName: db, keepDb: true, env: { ...env, DB_PORT: String(GALERA_PORTS[0]) } });
    b = await createTestApp({
      dbName: db,
      keepDb: true,
      redisPrefix: a.redisPrefix,
      env: { ...env, DB_PORT: String(GALERA_PORTS[1]) },
    });
  }, 300_000);

  afterAll(async () => {
    if (!closed) await Promise.all([b?.close(), a?.close()]);
    await ensureCluster().catch(() => undefined); // never leave the cluster short of a node
    await onNode(GALERA_PORTS[0], `DROP DATABASE IF EXISTS \`${db}\``).catch(() => undefined);
    lock?.stdin?.end();
  }, 300_000);

  it('a keeps answering, b answers 503 until node 2 rejoins by IST, then everything agrees', async () => {
    const STOCK = 1_000_000;
    const p = await createProduct(a, { stock: STOCK, price: 100 });
    const samples: Sample[] = [];
    let stop = false;
    const worker = async (who: 'a' | 'b') => {
      const t = who === 'a' ? a : b;
      while (!stop) {
        const start = Date.now();
        const r = await t
          .http()
          .post('/v1/orders')
          .set('Authorization', t.bearer(newUserId(`gf${who}`)))
          .send({ items: [{ productId: p.id, quantity: 1 }] })
          .timeout(30_000)
          .catch((err: Error) => ({ status: 0, headers: {}, body: { code: err.message } }));
        samples.push({ who, start, end: Date.now(), status: r.status, headers: r.headers, body: r.body });
        // a client honouring Retry-After, shortened: do not spin on a dead node
        if (r.status === 503) await new Promise((res) => setTimeout(res, 50));
      }
    };
    const since = (who: 'a' | 'b', t0: number, status: number) =>
      samples.filter((s) => s.who === who && s.start >= t0 && s.status === status).length;
    const workers = [worker('a'), worker('a'), worker('b'), worker('b')];
    try {
      await eventually(async () => since('a', 0, 201) >= 5 && since('b', 0, 201) >= 5, 30_000, 50);

      const killedAt = Date.now();
      await killNode(2);
      // b: 503 with Retry-After, and unhealthy
      await eventually(async () => since('b', killedAt, 503) >= 3, 20_000, 50);
      await eventually(async () => (await b.http().get('/health')).status === 503, 20_000, 100);
      // a: still creating orders
      await eventually(async () => since('a', killedAt, 201) >= 10, 30_000, 50);
      const before = samples.filter((s) => s.who === 'a' && s.end < killedAt).map((s) => s.end - s.start);
      const across = samples.filter(
        (s) => s.who === 'a' && s.end >= killedAt && s.start <= killedAt + 10_000,
      );
      const stallMs = Math.max(...across.map((s) => s.end - s.start));

      const logFrom = errorLogSize(2);
      const rejoinAt = Date.now();
      await ensureCluster(); // --wsrep-recover, start, wait for Synced
      const rejoinMs = Date.now() - rejoinAt;
      const log = errorLog(2, logFrom);
      const ist = /Receiving IST: (\d+) writesets/.exec(log);
      expect(ist).not.toBeNull();
      expect(log).not.toMatch(/rsync SST completed/);
      await eventually(
        async () => since('b', rejoinAt, 201) >= 3, // b creates orders again
        30_000,
        50,
      );
      await eventually(async () => (await b.http().get('/health')).status === 200, 20_000, 100);
      const bDown = samples.filter((s) => s.who === 'b' && s.start >= killedAt && s.status === 503);
      process.stdout.write(
        `galera failover: ${JSON.stringify({
          aMedianBeforeMs: before.sort((x, y) => x - y)[Math.floor(before.length / 2)],
          aStallMs: stallMs,
          b503: bDown.length,
          b503ForMs: bDown.length ? Math.max(...bDown.map((s) => s.end)) - killedAt : 0,
          rejoinMs,
          istWritesets: Number(ist![1]),
        })}\n`,
      );
    } finally {
      stop = true;
      await Promise.all(workers);
    }

    expect(badServerAnswers(samples)).toEqual([]);
    expect(samples.filter((s) => s.status !== 201 && s.status !== 503)).toEqual([]);
    const answered = samples.filter((s) => s.status === 201).map((s) => s.body.orderNo as string);
    expect(new Set(answered).size).toBe(answered.length);

    await Promise.all([b.close(), a.close()]);
    closed = true;
    await waitQuiet();
    for (const port of GALERA_PORTS) {
      const [o] = await onNode(port, `SELECT COUNT(*) AS n FROM \`${db}\`.t_order WHERE order_no IN (?)`, [
        answered,
      ]);
      expect(Number(o.n)).toBe(answered.length);
      const [s] = await onNode(
        port,
        `SELECT (SELECT stock FROM \`${db}\`.t_product WHERE id = ?) AS stock,
                (SELECT COALESCE(SUM(quantity), 0) FROM \`${db}\`.t_order_item WHERE product_id = ?) AS units`,
        [p.id, p.id],
      );
      expect(Number(s.stock) + Number(s.units)).toBe(STOCK);
    }
    const sums = await checksums(db);
    expect(sums[1]).toEqual(sums[0]);
    expect(sums[2]).toEqual(sums[0]);
  }, 240_000);
});
