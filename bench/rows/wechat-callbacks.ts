import type { BenchContext } from '../lib/context';
import type { Instance } from '../lib/instances';
import { blastOnce } from '../lib/load';
import { fmt } from '../lib/table';
import { applyStats, makeTrades, signedWechatNotify, wechatKeys } from '../lib/trades';

const PATH = '/v1/callbacks/wechat';

/**
 * WeChat Pay notifies (issue 15): the same two measurements as the Alipay callback rows — distinct
 * TRANSACTION.SUCCESS notifies, each once, and one notify's duplicate storm over two instances — with
 * what WeChat adds on the way in: an RSA signature over the raw body checked first, then AES-256-GCM.
 */
export async function wechatCallbackRows(ctx: BenchContext, a: Instance): Promise<void> {
  const api = ctx.api(a);
  if (!(await api.routeExists('POST', PATH))) {
    ctx.rows.push({
      row: 'wechat callback apply (distinct trades)',
      work: `POST ${PATH}`,
      result: 'n/a (route missing)',
    });
    return;
  }
  const nDistinct = ctx.quick ? 200 : 1000;
  const copies = 1000;
  ctx.log(`making ${nDistinct + 1} pending wechat payments`);
  const trades = await makeTrades(ctx, api, nDistinct + 1, 'wx', 50, 'wechat');
  const keys = await wechatKeys(ctx);

  // ---- distinct applies, one instance ----------------------------------------------------------------
  ctx.log('wechat callback apply (distinct trades)');
  const distinct = trades.slice(0, nDistinct);
  const reqs = distinct.map((t) => ({ url: `${a.url}${PATH}`, ...signedWechatNotify(t, keys) }));
  const d = await blastOnce(reqs, ctx.connections);
  const dStats = await applyStats(
    ctx,
    distinct.map((t) => t.paymentNo),
  );
  const other = Object.entries(d.status)
    .filter(([c]) => c !== '204')
    .map(([c, n]) => `${c}×${n}`)
    .concat(d.errors ? [`socket errors×${d.errors}`] : []);
  ctx.rows.push({
    row: 'wechat callback apply (distinct trades)',
    work: `${fmt(nDistinct)} signed, encrypted TRANSACTION.SUCCESS notifies, each once, ${ctx.connections} connections`,
    result: `${fmt(dStats.paid / d.wallS)} applies/s, p99 ${fmt(d.p99, 1)} ms; 204 answers ${d.status[204] ?? 0}/${nDistinct}; paid ${dStats.paid}/${nDistinct}, double applies ${dStats.doubleApplied}, other ${other.length ? other.join(', ') : 'none'}`,
    target: 'all paid once (compare the Alipay row)',
    pass: dStats.paid === nDistinct && dStats.doubleApplied === 0,
  });

  // ---- duplicate storm over two instances --------------------------------------------------------------
  ctx.log('wechat callback duplicate storm (2 instances)');
  const b = await ctx.startInstance('WB');
  try {
    const t = trades[nDistinct];
    const n = signedWechatNotify(t, keys);
    const insts = [a, b];
    const s = await blastOnce(
      Array.from({ length: copies }, (_, i) => ({ url: `${insts[i % 2].url}${PATH}`, ...n })),
      200,
    );
    const st = await applyStats(ctx, [t.paymentNo]);
    ctx.rows.push({
      row: 'wechat callback duplicate storm, 2 instances',
      work: `1 trade × ${fmt(copies)} copies of one notify, 200 connections`,
      result: `applies: ${st.applied} (payment version ${st.versionOver1 ? '> 1' : '1'}), ${fmt(copies / s.wallS)} answers/s, p99 ${fmt(s.p99, 1)} ms, 204 answers ${s.status[204] ?? 0}/${copies}`,
      target: 'applies = 1',
      pass: st.applied === 1 && st.paid === 1,
    });
  } finally {
    await ctx.stopInstance(b);
  }
}
