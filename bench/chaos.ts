/**
 * npm run chaos [-- --duration 60] [-- --settle 90] [-- --min-paid N]
 *
 * Mixed load (submits, recharges, alipay and wallet pre-pays, sandbox pays with a random notify mode)
 * against two instances that share one database and one Redis prefix, on a private redis-server.
 * While it runs: kill -9 an instance and restart it, delete the prefix's Redis keys, stop and restart
 * that private Redis, make the sandbox drop every notify for a while, KILL the app's MySQL
 * connections, kill -9 the other instance. Then it lets the system settle and checks the money
 * invariants directly in MySQL. Exit code 1 on any violated invariant (or a failed run).
 */
import { loadavg } from 'node:os';
import { Api } from './lib/api';
import { deleteRedisPrefix, dropDatabase, mysqlConn, rand, sleep } from './lib/infra';
import { Instance } from './lib/instances';
import { checkInvariants, Invariant } from './lib/invariants';
import { PrivateRedis } from './lib/redis-server';

const MODES = [
  'normal',
  'normal',
  'normal',
  'drop',
  'duplicate',
  'delay',
  'out_of_order',
  'bad_sign',
  'amount_mismatch',
];
const INITIAL_STOCK = 1_000_000;

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : def;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number of seconds`);
  return v;
}

const log = (msg: string) =>
  process.stderr.write(`[chaos ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

class Stats {
  counts = new Map<string, number>();
  inc(k: string) {
    this.counts.set(k, (this.counts.get(k) ?? 0) + 1);
  }
  toString() {
    return [...this.counts.entries()]
      .sort()
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
  }
}

async function main(): Promise<number> {
  const duration = arg('duration', 60);
  const settle = arg('settle', 90);
  // --min-paid N: the load goes on past --duration (up to twice it) until N trades are paid at the
  // sandbox, so a slow machine still proves the invariants over real payments (the test asks for it)
  const minPaid = process.argv.includes('--min-paid') ? arg('min-paid', 1) : 0;
  const dbName = `oncepay_chaos_${rand()}`;
  const prefix = `chaos${rand()}:`;
  const redis = await PrivateRedis.create();
  log(
    `db ${dbName}, prefix ${prefix}, private redis on ${redis.port}, ${duration} s load, ≤ ${settle} s settle`,
  );
  const env = {
    REDIS_URL: redis.url,
    DB_POOL_SIZE: '10',
    PAYMENT_QUERY_DELAYS_MS: '2000,4000,8000',
    PAYMENT_SWEEP_INTERVAL_MS: '2000',
    PAYMENT_STUCK_AFTER_MS: '5000',
    ORDER_SWEEP_INTERVAL_MS: '2000',
    OUTBOX_POLL_MS: '200',
    // the sandbox's notify re-send schedule (Alipay: 4 min, 10 min, ...) at 1/100
    SANDBOX_TIME_SCALE: '0.01',
    BENCH_ROUTES: 'false',
  };
  const mk = (name: string) => new Instance({ name, dbName, redisPrefix: prefix, env });
  const insts = [mk('A'), mk('B')];
  let stopping = false;
  let cleaning: Promise<void> | undefined;
  // every caller (signal handler, finally) awaits the same run, so an exit never cuts it short
  const cleanup = () =>
    (cleaning ??= (async () => {
      stopping = true;
      await Promise.all(insts.map((i) => i.stop('SIGTERM', 5000).catch(() => undefined)));
      await redis.stop().catch(() => undefined);
      if (!process.env.CHAOS_KEEP_DB) await dropDatabase(dbName).catch(() => undefined);
    })());
  process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));
  process.once('SIGTERM', () => void cleanup().finally(() => process.exit(143)));

  try {
    await insts[0].start(); // the first start runs the migrations alone
    await insts[1].start();
    const api = new Api(insts[0].url);
    const admin = await api.token('chaos-admin', 'admin');
    const products: number[] = [];
    for (let i = 0; i < 8; i++) {
      const r = await api.call<{ id: number }>(
        'POST',
        '/v1/products',
        { sku: `C-${i}`, name: `chaos ${i}`, price: 100 + 7 * i, stock: INITIAL_STOCK },
        { token: admin },
      );
      if (r.status !== 201) throw new Error(`product: ${r.status} ${JSON.stringify(r.body)}`);
      products.push(r.body.id);
    }
    const users = await Promise.all(Array.from({ length: 16 }, (_, i) => api.token(`chaos-u${i}`)));

    const stats = new Stats();
    let dropAll = false;
    const t0 = Date.now();
    const alive = () => insts.filter((i) => !i.exited && i.proc);
    const pick = () => {
      const a = alive();
      return new Api((a.length ? a[Math.floor(Math.random() * a.length)] : insts[0]).url);
    };
    const loadGoesOn = () => {
      const elapsed = Date.now() - t0;
      if (elapsed < duration * 1000) return true;
      return (stats.counts.get('sandbox-pay:200') ?? 0) < minPaid && elapsed < 2 * duration * 1000;
    };
    const worker = async (w: number) => {
      let i = 0;
      while (!stopping && loadGoesOn()) {
        i++;
        const token = users[(w + i) % users.length];
        try {
          await flow(pick, token, products, stats, () => dropAll, `${w}-${i}`);
        } catch (err) {
          stats.inc(`error:${(err as Error).name === 'TimeoutError' ? 'timeout' : 'network'}`);
          await sleep(100);
        }
      }
    };
    const workers = Promise.all(Array.from({ length: 8 }, (_, w) => worker(w)));

    // ---- the chaos schedule --------------------------------------------------------------------
    const at = async (frac: number, what: string, fn: () => Promise<void>) => {
      const wait = t0 + frac * duration * 1000 - Date.now();
      if (wait > 0) await sleep(wait);
      log(`${what} (load average ${loadavg()[0].toFixed(1)}; ${stats})`);
      await fn().catch((err) => log(`  ${what} failed: ${(err as Error).message}`));
    };
    const chaos = (async () => {
      await at(0.12, 'kill -9 instance A, restart it 3 s later', async () => {
        await insts[0].stop('SIGKILL');
        await sleep(3000);
        await insts[0].start();
      });
      await at(0.3, 'delete every Redis key of the prefix', async () => {
        log(`  deleted ${await deleteRedisPrefix(prefix, redis.url)} keys`);
      });
      await at(0.4, 'stop the private redis-server for 5 s (its data is gone on restart)', async () => {
        await redis.stop();
        await sleep(5000);
        await redis.start();
      });
      await at(0.52, 'sandbox drops 100 % of notifies for 15 % of the run', async () => {
        dropAll = true;
        await sleep(0.15 * duration * 1000);
        dropAll = false;
      });
      await at(0.7, "KILL the app's MySQL connections", async () => {
        const c = await mysqlConn();
        try {
          const [ids] = await c.query(
            'SELECT id FROM information_schema.processlist WHERE db = ? AND id <> CONNECTION_ID()',
            [dbName],
          );
          for (const { id } of ids as Array<{ id: number }>)
            await c.query(`KILL ${Number(id)}`).catch(() => undefined);
          log(`  killed ${(ids as unknown[]).length} connections`);
        } finally {
          await c.end();
        }
      });
      await at(0.82, 'kill -9 instance B, restart it 3 s later', async () => {
        await insts[1].stop('SIGKILL');
        await sleep(3000);
        await insts[1].start();
      });
    })();
    await Promise.all([workers, chaos]);
    log(`load done: ${stats}`);

    // ---- settle, then the invariants -------------------------------------------------------------
    const c = await mysqlConn(dbName);
    let result: Invariant[] = [];
    const settleStart = Date.now();
    const deadline = settleStart + settle * 1000;
    try {
      for (;;) {
        result = await checkInvariants(c, INITIAL_STOCK);
        const bad = result.filter((r) => r.violations > 0);
        if (!bad.length || Date.now() > deadline) break;
        log(`settling: ${bad.map((b) => `${b.name}: ${b.violations}`).join('; ')}`);
        await sleep(3000);
      }
    } finally {
      await c.end();
    }
    const lines = result.map(
      (r) =>
        `| ${r.violations === 0 ? 'ok' : '**VIOLATED**'} | ${r.name} | ${r.violations} | ${r.detail.replace(/\|/g, '\\|')} |`,
    );
    process.stdout.write(
      `\n| | invariant | violations | detail |\n|---|---|---|---|\n${lines.join('\n')}\n\nsettled in ${Math.round((Date.now() - settleStart) / 1000)} s after the load; requests: ${stats}\nrun: npm run chaos -- --duration ${duration} --settle ${settle}\n`,
    );
    return result.some((r) => r.violations > 0) ? 1 : 0;
  } finally {
    await cleanup();
  }
}

/** One storefront session: a goods order or a recharge, paid by alipay (sandbox) or the wallet. */
async function flow(
  pick: () => Api,
  token: string,
  products: number[],
  stats: Stats,
  dropAll: () => boolean,
  tag: string,
): Promise<void> {
  const r = Math.random();
  const api = pick();
  const created =
    r < 0.25
      ? await api.call<{ orderNo: string }>(
          'POST',
          '/v1/recharges',
          { amount: 500 + Math.floor(Math.random() * 5000) },
          { token, timeoutMs: 5000 },
        )
      : await api.call<{ orderNo: string }>(
          'POST',
          '/v1/orders',
          {
            items: [
              {
                productId: products[Math.floor(Math.random() * products.length)],
                quantity: 1 + Math.floor(Math.random() * 3),
              },
            ],
            remark: tag,
          },
          { token, timeoutMs: 5000 },
        );
  stats.inc(`${r < 0.25 ? 'recharge' : 'submit'}:${created.status}`);
  if (created.status !== 201) return;
  const orderNo = created.body.orderNo;
  if (Math.random() < 0.1) {
    const c = await pick().call('POST', `/v1/orders/${orderNo}/cancel`, {}, { token, timeoutMs: 5000 });
    stats.inc(`cancel:${c.status}`);
    return;
  }
  const channel = r >= 0.25 && Math.random() < 0.2 ? 'wallet' : 'alipay';
  // a retried pre-pay must reuse its payment: sometimes send it twice, to two instances
  const pays = await Promise.all(
    (Math.random() < 0.2 ? [pick(), pick()] : [pick()]).map((a) =>
      a.call<{ paymentNo: string }>(
        'POST',
        `/v1/orders/${orderNo}/payments`,
        { channel },
        { token, timeoutMs: 8000 },
      ),
    ),
  );
  pays.forEach((p) => stats.inc(`prepay-${channel}:${p.status}`));
  const ok = pays.find((p) => p.status === 200 || p.status === 201);
  if (!ok || channel === 'wallet' || Math.random() < 0.1) return; // some alipay trades are never paid
  const mode = dropAll() ? 'drop' : MODES[Math.floor(Math.random() * MODES.length)];
  const paid = await pick().call(
    'POST',
    `/sandbox/alipay/trades/${ok.body.paymentNo}/pay`,
    { notify: { mode } },
    { timeoutMs: 5000 },
  );
  stats.inc(`sandbox-pay:${paid.status}`);
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`chaos failed: ${(err as Error)?.stack ?? err}\n`);
    process.exit(1);
  },
);
