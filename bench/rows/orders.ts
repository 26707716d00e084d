import { Api, pool } from '../lib/api';
import type { BenchContext } from '../lib/context';
import { questions, mysqlConn, sleep } from '../lib/infra';
import { Instance, sampleRss } from '../lib/instances';
import { explained } from '../lib/explain';
import { count, load, LoadResult } from '../lib/load';
import { delta, deltaMs, fmt, pct } from '../lib/table';
import { ceilingNow } from './ceilings';

const MISSING = 'n/a (route missing)';

/** Products and user tokens for the submit loads, made through the public API. */
export interface Catalog {
  productIds: number[];
  tokens: string[];
}

export async function makeCatalog(
  ctx: BenchContext,
  api: Api,
  products: number,
  users: number,
  tag = 'B',
): Promise<Catalog> {
  const admin = await api.token('bench-admin', 'admin');
  const productIds = await pool(
    Array.from({ length: products }, (_, i) => i),
    10,
    async (i) => {
      const res = await api.call<{ id: number }>(
        'POST',
        '/v1/products',
        { sku: `${tag}${ctx.runId}-${i}`, name: `bench product ${i}`, price: 100 + i, stock: 1_000_000_000 },
        { token: admin },
      );
      if (res.status !== 201) throw new Error(`create product: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.id;
    },
  );
  const tokens = await pool(
    Array.from({ length: users }, (_, i) => i),
    10,
    (i) => api.token(`${tag}u${ctx.runId}-${i}`),
  );
  return { productIds, tokens };
}

const verdictRows = (r: LoadResult) =>
  `${fmt(r.rps)} req/s, p50 ${fmt(r.p50, 1)} ms, p99 ${fmt(r.p99, 1)} ms`;

export async function orderRows(ctx: BenchContext, a: Instance): Promise<void> {
  const api = ctx.api(a);
  const { duration, connections, runId: run } = ctx;
  await keyCostOnBenchRoute(ctx, a, api);

  const user0 = await api.token(`probe-${run}`);
  if (
    !(await api.routeExists('POST', '/v1/orders', user0)) ||
    !(await api.routeExists('POST', '/v1/products', await api.token('bench-admin', 'admin')))
  ) {
    for (const row of [
      'order submit (distinct orders)',
      'duplicate submit storm',
      'Idempotency-Key replay',
      'Idempotency-Key cost on POST /v1/orders',
    ]) {
      ctx.rows.push({ row, work: 'POST /v1/orders', result: MISSING });
    }
    return;
  }
  const cat = await makeCatalog(ctx, api, ctx.quick ? 50 : 200, ctx.quick ? 50 : 200);
  const P = cat.productIds.length;
  const U = cat.tokens.length;
  const submit = (tag: string, keyed = false) => ({
    method: 'POST',
    path: '/v1/orders',
    body: (i: number) => ({
      items: [{ productId: cat.productIds[i % P], quantity: 1 + (i % 3) }],
      remark: `${tag}${run}-${i}`,
    }),
    headersFn: (i: number) => ({
      authorization: `Bearer ${cat.tokens[i % U]}`,
      ...(keyed ? { 'idempotency-key': `${tag}${run}-${i}` } : {}),
    }),
  });

  // ---- distinct submits, with memory sampled -------------------------------------------------
  ctx.log('order submit (distinct)');
  if (!ctx.quick) await load(a.url, submit('w'), { connections, duration: 1 });
  const txNow = await ceilingNow(ctx, a, 'tx');
  const stopRss = sampleRss([a]);
  const distinct = await explained(ctx, [a], 'order submit (distinct orders)', () =>
    load(a.url, submit('d'), { connections, duration }),
  );
  ctx.memory.push({
    name: 'A',
    peakMb: stopRss()[0],
    during: 'one instance under the distinct-submit load',
  });
  await sleep(300);
  const [made] = await ctx.sql<{ n: number; d: number }>(
    'SELECT COUNT(*) AS n, COUNT(DISTINCT remark) AS d FROM t_order WHERE remark LIKE ?',
    [`d${run}-%`],
  );
  const ok201 = count(distinct, 201);
  const noDup =
    Number(made.n) === Number(made.d) && Number(made.n) >= ok201 && Number(made.n) <= ok201 + connections;
  ctx.rows.push({
    row: 'order submit (distinct orders)',
    work: `POST /v1/orders, ${U} users × ${P} products, big stock, ${connections} connections`,
    result: `${verdictRows(distinct)}; ${pct(distinct.rps, txNow.rps)} of SET NX + 1 tx measured just before (${fmt(txNow.rps)} req/s); ${fmt(ok201)} × 201, ${fmt(Number(made.n))} orders, other: ${other(distinct, 201)}`,
    target: '≥ 60 % of SET NX + 1 tx; one order per request',
    pass: distinct.rps >= 0.6 * txNow.rps && noDup,
  });

  // ---- the same load over two instances on one database ---------------------------------------------
  ctx.log('order submit (distinct) over two instances');
  const b = await ctx.startInstance('B');
  try {
    const stop2 = sampleRss([a, b]);
    const t2 = Date.now();
    const both = await Promise.all(
      [a, b].map((inst, k) =>
        load(inst.url, submit(`two${k}`), { connections: Math.floor(connections / 2), duration }),
      ),
    );
    const wall = (Date.now() - t2) / 1000;
    const [ra, rb] = stop2();
    ctx.memory.push({ name: 'A', peakMb: ra, during: 'two instances under the distinct-submit load' });
    ctx.memory.push({ name: 'B', peakMb: rb, during: 'two instances under the distinct-submit load' });
    await sleep(300);
    const [m2] = await ctx.sql<{ n: number; d: number }>(
      'SELECT COUNT(*) AS n, COUNT(DISTINCT remark) AS d FROM t_order WHERE remark LIKE ?',
      [`two%${run}-%`],
    );
    const ok2 = both.reduce((x, r) => x + count(r, 201), 0);
    const rps2 = both.reduce((x, r) => x + r.rps, 0);
    ctx.rows.push({
      row: 'order submit (distinct orders), 2 instances',
      work: `the same load split over two instances sharing the database and Redis prefix (${wall.toFixed(0)} s)`,
      result: `${fmt(rps2)} req/s in total (${pct(rps2, distinct.rps)} of one instance), p99 ${fmt(Math.max(...both.map((r) => r.p99)), 1)} ms; ${fmt(ok2)} × 201, ${fmt(Number(m2.n))} orders, other: ${both.map((r) => other(r, 201)).join(' / ')}`,
      target: 'one order per request',
      pass: Number(m2.n) === Number(m2.d) && Number(m2.n) >= ok2 && Number(m2.n) <= ok2 + connections,
    });
  } finally {
    await ctx.stopInstance(b);
  }

  // ---- duplicate storm ---------------------------------------------------------------------------
  ctx.log('duplicate submit storm');
  const stormToken = await api.token(`storm-${run}`);
  const stormReq = {
    method: 'POST',
    path: '/v1/orders',
    headers: { authorization: `Bearer ${stormToken}` },
    body: { items: [{ productId: cat.productIds[0], quantity: 1 }], remark: `storm${run}` },
  };
  const noopNow = await ceilingNow(ctx, a, 'noop');
  const authNow = await ceilingNow(ctx, a, 'authNoop');
  const admin = await mysqlConn();
  try {
    // the idle rate of statements (the app's pollers, other users of the server) over the same time
    const idleMs = ctx.quick ? 1000 : 2000;
    const q0 = await questions(admin);
    await sleep(idleMs);
    const q1 = await questions(admin);
    const t0 = Date.now();
    const burst = await load(a.url, stormReq, { connections: 1000, amount: 1000 });
    const sustained = await explained(ctx, [a], 'duplicate submit storm (sustained part)', () =>
      load(a.url, stormReq, { connections, duration }),
    );
    const stormMs = Date.now() - t0;
    const q2 = await questions(admin);
    const idleRate = (q1 - q0 - 2) / idleMs; // minus our own two SHOW statements
    const net = Math.max(0, q2 - q1 - 1 - idleRate * stormMs);
    const rejects = count(burst, 409) + count(sustained, 409);
    const orders = await ctx.scalar('SELECT COUNT(*) FROM t_order WHERE remark = ?', [`storm${run}`]);
    const perReject = rejects ? net / rejects : NaN;
    const noopRps = noopNow.rps;
    ctx.rows.push({
      row: 'duplicate submit storm',
      work: `one body: 1,000 at once, then ${connections} connections for ${duration} s`,
      result:
        `${fmt(count(sustained, 409) / sustained.durationS)} rejects/s (${pct(count(sustained, 409) / sustained.durationS, noopRps)} of Nest ceiling ${fmt(noopRps)}, ${pct(count(sustained, 409) / sustained.durationS, authNow.rps)} of Nest + JWT ${fmt(authNow.rps)}, both measured just before), p99 ${fmt(sustained.p99, 1)} ms; ` +
        `orders created: ${orders}; MySQL queries per reject ${fmt(perReject, 3)} (Questions Δ ${q2 - q1}, idle-adjusted ${fmt(net)}); burst: ${fmt(count(burst, 201))} × 201, ${fmt(count(burst, 409))} × 409, other ${other(burst, 201, 409)}`,
      target: 'orders = 1; ~0 queries/reject; ≥ 50 % of Nest ceiling',
      pass: orders === 1 && perReject < 0.05 && count(sustained, 409) / sustained.durationS >= 0.5 * noopRps,
    });
  } finally {
    await admin.end();
  }

  // ---- Idempotency-Key replay ---------------------------------------------------------------------
  ctx.log('Idempotency-Key replay');
  const rToken = await api.token(`replay-${run}`);
  const key = `replay-${run}`;
  const rBody = { items: [{ productId: cat.productIds[1], quantity: 2 }], remark: `replay${run}` };
  const first = await api.call('POST', '/v1/orders', rBody, {
    token: rToken,
    headers: { 'idempotency-key': key },
  });
  const replay = await load(
    a.url,
    {
      method: 'POST',
      path: '/v1/orders',
      headers: { authorization: `Bearer ${rToken}`, 'idempotency-key': key },
      body: rBody,
    },
    { connections, duration },
  );
  const check = await api.call('POST', '/v1/orders', rBody, {
    token: rToken,
    headers: { 'idempotency-key': key },
  });
  const rOrders = await ctx.scalar('SELECT COUNT(*) FROM t_order WHERE user_id = ?', [`replay-${run}`]);
  ctx.rows.push({
    row: 'Idempotency-Key replay',
    work: `one key + body repeated, ${connections} connections`,
    result: `${fmt(replay.rps)} replays/s, p99 ${fmt(replay.p99, 1)} ms; first ${first.status}, replays ${fmt(count(replay, first.status))} × ${first.status} (Idempotent-Replayed: ${check.headers.get('idempotent-replayed')}), other ${other(replay, first.status)}; orders: ${rOrders}`,
    target: 'orders = 1, every replay = first status',
    pass: rOrders === 1 && first.status === 201 && count(replay, 201) === replay.total,
  });

  // ---- key cost on /v1/orders ------------------------------------------------------------------------
  ctx.log('Idempotency-Key cost on POST /v1/orders');
  // back to back: the same distinct load without a key (content guard), then with a fresh key each
  const plain = await load(a.url, submit('p'), { connections, duration });
  const keyed = await load(a.url, submit('k', true), { connections, duration });
  const [km] = await ctx.sql<{ n: number; d: number }>(
    'SELECT COUNT(*) AS n, COUNT(DISTINCT idempotency_key) AS d FROM t_order WHERE remark LIKE ?',
    [`k${run}-%`],
  );
  const lost = 1 - keyed.rps / plain.rps;
  // latency at the same offered load (half the unkeyed maximum): p99 at saturation is queueing
  const rate = Math.max(20, Math.round(plain.rps / 2));
  const plainR = await load(a.url, submit('q'), { connections, duration, rate });
  const keyedR = await load(a.url, submit('r', true), { connections, duration, rate });
  const dp99 = keyedR.p99 - plainR.p99;
  ctx.rows.push({
    row: 'Idempotency-Key cost on POST /v1/orders',
    work: `distinct submits, a fresh key each vs no key (content guard), back to back; latency at ${fmt(rate)} req/s offered`,
    result:
      `max: keyed ${fmt(keyed.rps)} vs unkeyed ${fmt(plain.rps)} req/s (${delta(-lost)}); ` +
      `at ${fmt(rate)} req/s: p50 ${fmt(keyedR.p50, 1)} vs ${fmt(plainR.p50, 1)} ms, p99 ${fmt(keyedR.p99, 1)} vs ${fmt(plainR.p99, 1)} ms (${deltaMs(dp99)}); ` +
      `${fmt(Number(km.n))} keyed orders, ${fmt(Number(km.d))} keys`,
    target: '≤ 15 % throughput, ≤ 3 ms p99',
    pass: lost <= 0.15 && dp99 <= 3 && Number(km.n) === Number(km.d),
  });
}

/** The price of an Idempotency-Key on an otherwise identical bench route, and the library comparison. */
async function keyCostOnBenchRoute(ctx: BenchContext, a: Instance, api: Api): Promise<void> {
  const { duration, connections, runId: run } = ctx;
  const tokens = await pool(
    Array.from({ length: 50 }, (_, i) => i),
    10,
    (i) => api.token(`kc${run}-${i}`),
  );
  const route = (path: string, tag: string, keyed: boolean) => ({
    method: 'POST',
    path,
    body: (i: number) => ({ ref: `${tag}${run}-${i}` }),
    headersFn: (i: number) => ({
      authorization: `Bearer ${tokens[i % tokens.length]}`,
      ...(keyed ? { 'idempotency-key': `${tag}${run}-${i}` } : {}),
    }),
  });
  ctx.log('Idempotency-Key cost on a bench route');
  if (!ctx.quick) await load(a.url, route('/bench/auth/tx', 'x', false), { connections, duration: 1 });
  const bare = await explained(ctx, [a], 'bench route, bare (auth + SET NX + 1 tx)', () =>
    load(a.url, route('/bench/auth/tx', 'b', false), { connections, duration }),
  );
  const keyed = await explained(ctx, [a], 'bench route, keyed (@IdempotentSubmit, a fresh key each)', () =>
    load(a.url, route('/bench/auth/idem-tx', 'i', true), { connections, duration }),
  );
  const guarded = await load(a.url, route('/bench/auth/idem-tx', 'g', false), { connections, duration });
  const lost = 1 - keyed.rps / bare.rps;
  const rate = Math.max(20, Math.round(bare.rps / 2));
  const bareR = await load(a.url, route('/bench/auth/tx', 'c', false), { connections, duration, rate });
  const keyedR = await load(a.url, route('/bench/auth/idem-tx', 'j', true), { connections, duration, rate });
  const dp99 = keyedR.p99 - bareR.p99;
  ctx.rows.push({
    row: 'Idempotency-Key cost (bench route)',
    work: `auth + SET NX + 1 tx: bare vs @IdempotentSubmit with a fresh key each vs content guard (no key); latency at ${fmt(rate)} req/s offered`,
    result:
      `max: bare ${fmt(bare.rps)}, keyed ${fmt(keyed.rps)} (${delta(-lost)}), guard ${fmt(guarded.rps)} req/s; ` +
      `at ${fmt(rate)} req/s: p50 ${fmt(keyedR.p50, 1)} vs ${fmt(bareR.p50, 1)} ms, p99 ${fmt(keyedR.p99, 1)} vs ${fmt(bareR.p99, 1)} ms (${deltaMs(dp99)})`,
    target: '≤ 15 % throughput, ≤ 3 ms p99',
    pass: lost <= 0.15 && dp99 <= 3 && keyed.errors === 0 && count(keyed, 201) === keyed.total,
  });

  if (await api.routeExists('POST', '/bench/auth/lib-tx', tokens[0])) {
    ctx.log('@node-idempotency/nestjs comparison');
    const lib = await load(a.url, route('/bench/auth/lib-tx', 'l', true), { connections, duration });
    const libLost = 1 - lib.rps / bare.rps;
    const libR = await load(a.url, route('/bench/auth/lib-tx', 'm', true), { connections, duration, rate });
    ctx.rows.push({
      row: 'comparison: @node-idempotency/nestjs 1.0.4',
      work: 'the same route and load under its @Idempotent() interceptor (ioredis storage adapter)',
      result:
        `max ${fmt(lib.rps)} req/s (${delta(-libLost)} vs bare; oncepay keyed: ${pct(keyed.rps, lib.rps)} of it); ` +
        `at ${fmt(rate)} req/s: p50 ${fmt(libR.p50, 1)} ms, p99 ${fmt(libR.p99, 1)} ms (${deltaMs(libR.p99 - bareR.p99)} vs bare); other ${other(lib, 201)}`,
    });
  } else {
    ctx.rows.push({
      row: 'comparison: @node-idempotency/nestjs 1.0.4',
      work: '/bench/auth/lib-tx',
      result: 'n/a (library not loaded)',
    });
  }
}

/** Status codes other than the expected ones, e.g. "none" or "409×3, 500×1". */
export function other(r: LoadResult, ...expected: number[]): string {
  const rest = Object.entries(r.status).filter(([c]) => !expected.includes(Number(c)));
  const parts = rest.map(([c, n]) => `${c}×${n}`);
  if (r.errors) parts.push(`socket errors×${r.errors}`);
  return parts.length ? parts.join(', ') : 'none';
}
