import { readFileSync } from 'node:fs';
import type { BenchContext } from '../lib/context';
import type { Instance } from '../lib/instances';
import { fmt, pct } from '../lib/table';
import { applyStats, gatewayKey, makeTrades, signedNotify } from '../lib/trades';
import { blast } from './callbacks';

/** The production strategy and the demonstrations a user would hand-roll (all through the same checks). */
const RACERS = ['unique_key', 'for_update', 'optimistic', 'mutex'];

/** utime + stime of a process, ms (/proc/<pid>/stat, clock ticks at 100 Hz). */
function cpuMs(pid: number | undefined): number {
  if (!pid) return NaN;
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Issue 28: the strategies race. Each racer on one instance of its own (all four up at once, idle when
 * not loaded), `rounds` rounds of K distinct signed notifies each, the order of the racers rotated per
 * round so a drift of the machine's load does not favour one; per racer the median applies/s and the
 * instance's CPU per apply (/proc, the less noisy of the two on a shared machine), with min–max.
 * Every racer goes through the same pipeline and the same checks (merchant in the adapter, channel and
 * amount in PaymentSuccessService.applyIn); only the dedup differs.
 */
export async function strategyRaceRow(ctx: BenchContext, a: Instance): Promise<void> {
  const rounds = ctx.repeat ?? 3;
  const k = ctx.quick ? 100 : 400;
  const warm = 20;
  const api = ctx.api(a);
  ctx.log(`strategies race: making ${RACERS.length * (warm + rounds * k)} pending alipay payments`);
  const all = await makeTrades(ctx, api, RACERS.length * (warm + rounds * k), 'sr');
  const key = await gatewayKey(ctx);
  let at = 0;
  const take = (n: number) => all.slice(at, (at += n));
  const insts = await Promise.all(
    RACERS.map((s) => ctx.startInstance(`R-${s}`, { CALLBACK_DEDUP_STRATEGY: s })),
  );
  // warm-up (JIT, pool), not counted
  for (const inst of insts)
    await blast(
      [inst],
      take(warm).map((t) => signedNotify(t, key)),
      ctx.connections,
    );
  const rps = new Map<string, number[]>(RACERS.map((s) => [s, []]));
  const cpu = new Map<string, number[]>(RACERS.map((s) => [s, []]));
  const orders: string[] = [];
  let paidAll = true;
  let doubles = 0;
  for (let r = 0; r < rounds; r++) {
    const seq = RACERS.map((_, i) => (i + r) % RACERS.length);
    for (const i of seq) {
      const trades = take(k);
      const c0 = cpuMs(insts[i].pid);
      const res = await blast(
        [insts[i]],
        trades.map((t) => signedNotify(t, key)),
        ctx.connections,
      );
      const c1 = cpuMs(insts[i].pid);
      const st = await applyStats(
        ctx,
        trades.map((t) => t.paymentNo),
      );
      if (st.paid !== k) paidAll = false;
      doubles += st.doubleApplied;
      rps.get(RACERS[i])!.push(st.paid / res.wallS);
      cpu.get(RACERS[i])!.push(((c1 - c0) * 1000) / k);
    }
    const ranked = [...RACERS].sort((x, y) => rps.get(y)![r] - rps.get(x)![r]);
    orders.push(ranked.join(' > '));
    ctx.log(
      `strategies race round ${r + 1}: ${ranked.map((s) => `${s} ${fmt(rps.get(s)![r])}/s`).join(', ')}`,
    );
  }
  for (const inst of insts) await ctx.stopInstance(inst);
  const med = (s: string) => median(rps.get(s)!);
  const cells = RACERS.map((s) => {
    const xs = rps.get(s)!;
    const cs = cpu.get(s)!;
    return `${s} ${fmt(med(s))}/s (${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}), CPU ${fmt(median(cs))} µs/apply (${fmt(Math.min(...cs))}–${fmt(Math.max(...cs))})`;
  });
  const alternatives = RACERS.filter((s) => s !== 'unique_key').sort((x, y) => med(y) - med(x));
  const fastest = alternatives[0];
  const ahead = rps
    .get('unique_key')!
    .filter((x, r) => RACERS.every((s) => s === 'unique_key' || x >= rps.get(s)![r])).length;
  ctx.rows.push({
    row: 'strategies race (one instance each)',
    work: `${RACERS.join(', ')} × ${rounds} rounds × ${k} distinct signed notifies, ${ctx.connections} connections, order rotated per round`,
    result: `median (min–max): ${cells.join('; ')}. unique_key vs the fastest alternative, ${fastest}: ${pct(med('unique_key'), med(fastest))}; unique_key first in ${ahead} of ${rounds} rounds; per round: ${orders.join(' | ')}; all paid ${paidAll ? 'yes' : 'NO'}, doubles ${doubles}`,
    target: 'all paid once; unique_key median ≥ the fastest of for_update, optimistic, mutex',
    pass: paidAll && doubles === 0 && med('unique_key') >= med(fastest),
  });
}
