import type { BenchContext } from '../lib/context';
import { BenchContext as Context } from '../lib/context';
import { ensureGalera, GALERA_PORTS } from '../lib/galera';
import { sleep } from '../lib/infra';
import type { Instance } from '../lib/instances';
import { count, load } from '../lib/load';
import { fmt, pct } from '../lib/table';
import { applyStats, gatewayKey, makeTrades, signedNotify } from '../lib/trades';
import { blast } from './callbacks';
import { Catalog, makeCatalog, other } from './orders';

/**
 * Two instances on two nodes of the Galera cluster (.ci/galera.sh) against two instances on the one
 * primary, in the same run and back to back: distinct submits, then distinct callback applies. On
 * this machine the three Galera nodes share the 2 cores with the primary and the instances, so the
 * ratio is what multi-primary costs here (certification, the write set sent to two other nodes), not
 * what three machines would give.
 */
export async function galeraRows(ctx: BenchContext, a: Instance): Promise<void> {
  await ensureGalera();
  const g = new Context(ctx.quick, ctx.duration, ctx.connections, ctx.baseEnv, GALERA_PORTS[0]);
  const b = await ctx.startInstance('B');
  try {
    const ga = await g.startInstance('GA', { DB_PORT: String(GALERA_PORTS[0]) });
    const gb = await g.startInstance('GB', { DB_PORT: String(GALERA_PORTS[1]) });
    const n = ctx.quick ? 50 : 200;
    const [pc, gc] = [
      await makeCatalog(ctx, ctx.api(a), n, n, 'P'),
      await makeCatalog(g, g.api(ga), n, n, 'G'),
    ];

    // ---- distinct submits -----------------------------------------------------------------------
    const submits = async (c: BenchContext, insts: Instance[], cat: Catalog, tag: string) => {
      const req = (k: number) => ({
        method: 'POST',
        path: '/v1/orders',
        body: (i: number) => ({
          items: [{ productId: cat.productIds[i % cat.productIds.length], quantity: 1 }],
          remark: `${tag}${k}${c.runId}-${i}`,
        }),
        headersFn: (i: number) => ({ authorization: `Bearer ${cat.tokens[i % cat.tokens.length]}` }),
      });
      const rs = await Promise.all(
        insts.map((inst, k) =>
          load(inst.url, req(k), { connections: Math.floor(c.connections / 2), duration: c.duration }),
        ),
      );
      await sleep(300);
      const [m] = await c.sql<{ n: number; d: number }>(
        'SELECT COUNT(*) AS n, COUNT(DISTINCT remark) AS d FROM t_order WHERE remark LIKE ?',
        [`${tag}%${c.runId}-%`],
      );
      const ok = rs.reduce((s, r) => s + count(r, 201), 0);
      return {
        rps: rs.reduce((s, r) => s + r.rps, 0),
        p99: Math.max(...rs.map((r) => r.p99)),
        ok,
        orders: Number(m.n),
        exact: Number(m.n) === Number(m.d) && Number(m.n) >= ok && Number(m.n) <= ok + c.connections,
        other: rs.map((r) => other(r, 201)).join(' / '),
      };
    };
    ctx.log('galera: distinct submits, 2 instances on the primary, then on 2 Galera nodes');
    const sp = await submits(ctx, [a, b], pc, 'gp');
    const sg = await submits(g, [ga, gb], gc, 'gg');
    ctx.rows.push({
      row: 'order submit (distinct), 2 instances on 2 Galera nodes',
      work: `POST /v1/orders split over two instances, each on its own node of a 3-node Galera cluster on this machine, vs two instances on the one primary just before (${ctx.connections} connections in all)`,
      result: `${fmt(sg.rps)} req/s (${pct(sg.rps, sp.rps)} of the primary's ${fmt(sp.rps)}), p99 ${fmt(sg.p99, 1)} ms (primary ${fmt(sp.p99, 1)}); ${fmt(sg.ok)} × 201, ${fmt(sg.orders)} orders, other: ${sg.other}`,
      target: 'one order per request',
      pass: sg.exact && sp.exact,
    });

    // ---- distinct callback applies ----------------------------------------------------------------
    const nTrades = ctx.quick ? 200 : 2000;
    const applies = async (c: BenchContext, insts: Instance[], tag: string) => {
      const trades = await makeTrades(c, c.api(insts[0]), nTrades, tag);
      const key = await gatewayKey(c);
      const d = await blast(
        insts,
        trades.map((t) => signedNotify(t, key)),
        c.connections,
      );
      const st = await applyStats(
        c,
        trades.map((t) => t.paymentNo),
      );
      return { perS: st.paid / d.wallS, p99: Math.max(...d.r.map((x) => x.p99)), ...st };
    };
    ctx.log('galera: distinct callback applies, primary then Galera');
    const ap = await applies(ctx, [a, b], 'gap');
    const ag = await applies(g, [ga, gb], 'gag');
    ctx.rows.push({
      row: 'callback apply (distinct), 2 instances on 2 Galera nodes',
      work: `${fmt(nTrades)} signed TRADE_SUCCESS notifies alternating over the two instances on two nodes, vs the same over two instances on the primary just before`,
      result: `${fmt(ag.perS)} applies/s (${pct(ag.perS, ap.perS)} of the primary's ${fmt(ap.perS)}), p99 ${fmt(ag.p99, 1)} ms (primary ${fmt(ap.p99, 1)}); paid ${ag.paid}/${nTrades}, double applies ${ag.doubleApplied}`,
      target: 'all paid once',
      pass: ag.paid === nTrades && ag.doubleApplied === 0 && ap.paid === nTrades && ap.doubleApplied === 0,
    });
  } finally {
    await ctx.stopInstance(b);
    await g.cleanup();
  }
}
