/**
 * npm run bench [-- --quick] [-- --no-write] [-- --only callbacks,wechat-callbacks,unionpay-callbacks,refunds,transfers,payouts,events,galera] [-- --explain] [-- --repeat N]
 *
 * Starts its own oncepay instances (node dist/src/main.js) on a fresh database and Redis prefix,
 * measures the ceilings and the business rows with autocannon in the same run (so the ratios hold),
 * prints a markdown table, and (full run) writes it to docs/benchmarks.md. Cleans up on exit, error
 * and Ctrl-C. A row whose route is not there prints "n/a (route missing)".
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { BenchContext } from './lib/context';
import { explainRequested, startExplainDb } from './lib/explain';
import { machineInfo, MYSQL } from './lib/infra';
import type { Instance } from './lib/instances';
import { ensurePeer } from './lib/peer';
import { markdown } from './lib/table';
import { BENCH_NOTES } from './notes';
import { callbackRows } from './rows/callbacks';
import { strategyRaceRow } from './rows/strategies';
import { ceilingRows } from './rows/ceilings';
import { endToEndRow } from './rows/end-to-end';
import { eventRows } from './rows/events';
import { galeraRows } from './rows/galera';
import { orderRows } from './rows/orders';
import { refundRows } from './rows/refunds';
import { transferRows } from './rows/transfers';
import { payoutRows } from './rows/payouts';
import { unionpayCallbackRows } from './rows/unionpay-callbacks';
import { wechatCallbackRows } from './rows/wechat-callbacks';

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  // --only a,b: just those groups (never written to the doc: the table would be partial)
  const onlyAt = args.indexOf('--only');
  const only = onlyAt >= 0 ? new Set((args[onlyAt + 1] ?? '').split(',')) : null;
  const explain = explainRequested(args);
  // an explained run is on another server with performance_schema on: never written to the doc
  const write = !quick && !only && !explain && !args.includes('--no-write');
  const started = Date.now();
  const ctx = new BenchContext(quick, quick ? 2 : 10, 50, {
    // a window longer than any storm, so a duplicate can only be rejected, never let through late
    SUBMIT_DEDUP_WINDOW_MS: '600000',
    // the callback rows pre-create thousands of payments in seconds; their active queries (10/20/30 s
    // after pre-pay) would land inside later rows and be measured as theirs
    PAYMENT_QUERY_DELAYS_MS: '600000',
  });
  if (explain) {
    // everything (instances, the bench's own connections) on the bench's own MariaDB
    MYSQL.port = startExplainDb((line) => ctx.log(line));
    process.env.DB_PORT = String(MYSQL.port);
    ctx.dbPort = MYSQL.port;
    ctx.explain = true;
    ctx.baseEnv.BENCH_EXPLAIN = 'true';
  }
  const load0 = loadavg();
  const onSignal = (sig: string) => {
    ctx.log(`${sig}: cleaning up`);
    void ctx.cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', () => onSignal('SIGINT'));
  process.once('SIGTERM', () => onSignal('SIGTERM'));

  const repeatAt = args.indexOf('--repeat');
  if (repeatAt >= 0) ctx.repeat = Math.max(1, Number(args[repeatAt + 1]) || 3);
  let failed = false;
  try {
    ctx.log(`database ${ctx.dbName}, Redis prefix ${ctx.redisPrefix}, ${quick ? 'quick' : 'full'} run`);
    const peerDir = ensurePeer((line) => ctx.log(line));
    const a = await ctx.startInstance('A', peerDir ? { BENCH_PEER_DIR: peerDir } : {});
    const groups: Array<[string, (c: BenchContext, i: Instance) => Promise<void>]> = [
      ['ceilings', ceilingRows],
      ['orders', orderRows],
      ['callbacks', callbackRows],
      ['strategies', strategyRaceRow],
      ['wechat-callbacks', wechatCallbackRows],
      ['unionpay-callbacks', unionpayCallbackRows],
      ['refunds', refundRows],
      ['transfers', transferRows],
      ['payouts', payoutRows],
      ['events', eventRows],
      ['end-to-end', endToEndRow],
      ['galera', galeraRows],
    ];
    for (const [name, run] of groups) {
      if (only && !only.has(name)) continue;
      ctx.log(
        `${name} (load average ${loadavg()
          .map((x) => x.toFixed(1))
          .join(' ')})`,
      );
      try {
        await run(ctx, a);
      } catch (err) {
        // one broken group must not hide the others' numbers
        failed = true;
        ctx.log(`${name} failed: ${(err as Error).stack ?? err}`);
        ctx.rows.push({
          row: name,
          work: '',
          result: `error: ${String((err as Error).message ?? err).slice(0, 160)}`,
          pass: false,
        });
      }
    }
    memoryRow(ctx);
  } catch (err) {
    failed = true;
    ctx.log(`bench aborted: ${(err as Error).stack ?? err}`);
  } finally {
    await ctx.cleanup();
  }

  const machine = await machineInfo();
  const elapsed = Math.round((Date.now() - started) / 1000);
  const table = markdown(ctx.rows);
  const misses = ctx.rows.filter((r) => r.pass === false).length;
  const loadNote = `load average at start ${load0.map((x) => x.toFixed(1)).join(' ')}, at end ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`;
  if (ctx.explains.length)
    process.stdout.write(`\n## Waterfalls (--explain)\n\n${ctx.explains.join('\n\n')}\n`);
  process.stdout.write(
    `\n${table}\n\nmachine: ${machine}; ${loadNote}\nrun: ${quick ? 'npm run bench -- --quick' : 'npm run bench'}, ${elapsed} s, ${misses} miss(es)\n`,
  );
  if (write && !failed) writeDoc(table, `${machine}; ${loadNote}`, elapsed);
  return failed ? 1 : 0;
}

function memoryRow(ctx: BenchContext): void {
  if (!ctx.memory.length) return;
  const worst = Math.max(...ctx.memory.map((m) => m.peakMb));
  const by = new Map<string, string[]>();
  for (const m of ctx.memory)
    by.set(m.during, [...(by.get(m.during) ?? []), `${m.name} ${m.peakMb.toFixed(0)} MB`]);
  ctx.rows.push({
    row: 'memory',
    work: 'peak RSS of each instance under the submit loads (VmRSS from /proc/<pid>/status, every 250 ms)',
    result: [...by.entries()].map(([during, xs]) => `${during}: ${xs.join(', ')}`).join('; '),
    target: 'peak RSS ≤ 250 MB',
    pass: worst <= 250,
  });
}

function writeDoc(table: string, machine: string, elapsed: number): void {
  const path = join(__dirname, '..', '..', 'docs', 'benchmarks.md');
  const intro = `# Benchmarks

Measured by \`npm run bench\` (bench/bench.ts), which rewrites the table below after every full run.
How to read it, what each row does and why the targets are what they are: see the notes after the table.

- machine: ${machine}
- command: \`npm run bench\` (full run, ${elapsed} s, finished ${new Date().toISOString().slice(0, 16)}Z)

`;
  writeFileSync(path, `${intro}${table}\n\n${BENCH_NOTES}`);
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`${err?.stack ?? err}\n`);
    process.exit(1);
  },
);
