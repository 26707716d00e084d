import type { BenchContext } from '../lib/context';
import { explained } from '../lib/explain';
import type { Instance } from '../lib/instances';
import { load, LoadResult } from '../lib/load';
import { fmt } from '../lib/table';

/** The three ceilings every ratio is read against, measured first in the same run. */
export async function ceilingRows(ctx: BenchContext, a: Instance): Promise<void> {
  const { duration, connections } = ctx;
  ctx.log('ceiling: Nest (GET /bench/noop)');
  // warm-up: JIT, pools, Redis connection
  await load(a.url, { path: '/bench/noop' }, { connections, duration: 1 });
  const noop = await explained(ctx, [a], 'ceiling: Nest (GET /bench/noop)', () =>
    load(a.url, { path: '/bench/noop' }, { connections, duration }),
  );
  ctx.ceilings.noop = noop;
  ctx.rows.push({
    row: 'ceiling: Nest',
    work: 'GET /bench/noop (global guard, pipes, filter, metrics hook)',
    result: `${fmt(noop.rps)} req/s, p50 ${fmt(noop.p50, 1)} ms, p99 ${fmt(noop.p99, 1)} ms`,
  });

  ctx.log('ceiling: Nest + JWT (GET /bench/auth/noop)');
  const token = await ctx.api(a).token(`noop-${ctx.runId}`);
  const authNoop = await load(
    a.url,
    { path: '/bench/auth/noop', headers: { authorization: `Bearer ${token}` } },
    { connections, duration },
  );
  ctx.ceilings.authNoop = authNoop;
  ctx.rows.push({
    row: 'ceiling: Nest + JWT',
    work: 'GET /bench/auth/noop (the same, behind HS256 bearer verification)',
    result: `${fmt(authNoop.rps)} req/s, p50 ${fmt(authNoop.p50, 1)} ms, p99 ${fmt(authNoop.p99, 1)} ms`,
  });

  ctx.log('ceiling: SET NX + 1 tx (POST /bench/tx)');
  const run = ctx.runId;
  if (!ctx.quick) {
    await load(
      a.url,
      { method: 'POST', path: '/bench/tx', body: (i: number) => ({ ref: `w${run}-${i}` }) },
      { connections, duration: 1 },
    );
  }
  const tx = await explained(ctx, [a], 'ceiling: SET NX + 1 tx', () =>
    load(
      a.url,
      { method: 'POST', path: '/bench/tx', body: (i: number) => ({ ref: `t${run}-${i}` }) },
      { connections, duration },
    ),
  );
  ctx.ceilings.tx = tx;
  const txRows = await ctx.scalar('SELECT COUNT(*) FROM t_bench_ceiling WHERE ref LIKE ?', [`t${run}-%`]);
  ctx.rows.push({
    row: 'ceiling: Nest + Redis SET NX + one MySQL transaction',
    work: 'POST /bench/tx: SET NX PX, BEGIN; INSERT unique ref; COMMIT',
    result: `${fmt(tx.rps)} req/s, p50 ${fmt(tx.p50, 1)} ms, p99 ${fmt(tx.p99, 1)} ms (${fmt(txRows)} rows for ${fmt(tx.status[201] ?? 0)} × 201)`,
    // requests still in flight when autocannon stops complete on the server but are not counted
    target: 'one row per 201 (+ in-flight at stop)',
    pass: txRows >= (tx.status[201] ?? 0) && txRows <= (tx.status[201] ?? 0) + connections,
  });

  ctx.log('ceiling: SET NX + payment tx (POST /bench/payment-tx)');
  const payTx = await explained(ctx, [a], 'ceiling: SET NX + payment tx', () =>
    load(
      a.url,
      {
        method: 'POST',
        path: '/bench/payment-tx',
        body: (i: number) => ({ ref: `p${run}-${i}`, paymentId: (i % 20000) + 1 }),
      },
      { connections, duration },
    ),
  );
  ctx.ceilings.payTx = payTx;
  ctx.rows.push({
    row: 'ceiling: SET NX + a three-statement payment transaction',
    work: 'POST /bench/payment-tx: SET NX; BEGIN; INSERT dedup; CAS UPDATE payment; INSERT outbox; COMMIT',
    result: `${fmt(payTx.rps)} req/s, p50 ${fmt(payTx.p50, 1)} ms, p99 ${fmt(payTx.p99, 1)} ms`,
  });
}

/**
 * Re-measures one ceiling right before a business row, so the ratio compares two loads taken
 * back to back (a shared machine's background load drifts over a run of minutes).
 */
export async function ceilingNow(
  ctx: BenchContext,
  a: Instance,
  kind: 'noop' | 'authNoop' | 'tx' | 'payTx',
): Promise<LoadResult> {
  const { duration, connections } = ctx;
  const tag = `${kind}${ctx.runId}-${Date.now().toString(36)}-`;
  switch (kind) {
    case 'noop':
      return load(a.url, { path: '/bench/noop' }, { connections, duration });
    case 'authNoop': {
      const token = await ctx.api(a).token(`noop-${ctx.runId}`);
      return load(
        a.url,
        { path: '/bench/auth/noop', headers: { authorization: `Bearer ${token}` } },
        { connections, duration },
      );
    }
    case 'tx':
      return load(
        a.url,
        { method: 'POST', path: '/bench/tx', body: (i: number) => ({ ref: `${tag}${i}` }) },
        { connections, duration },
      );
    case 'payTx':
      return load(
        a.url,
        {
          method: 'POST',
          path: '/bench/payment-tx',
          body: (i: number) => ({ ref: `${tag}${i}`, paymentId: (i % 20000) + 1 }),
        },
        { connections, duration },
      );
  }
}
