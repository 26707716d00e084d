import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { Connection } from 'mysql2/promise';
import type { ExplainSummary, RouteSummary } from '../../src/bench-support/request-trace';
import { statementLabel } from '../../src/bench-support/request-trace';
import type { BenchContext } from './context';
import { mysqlConn } from './infra';
import type { Instance } from './instances';
import { fmt } from './table';

/**
 * `npm run bench -- --explain` (or BENCH_EXPLAIN=1): the bench runs on a MariaDB of its own with
 * performance_schema on (.ci/bench-mariadb.sh, port BENCH_DB_PORT or 3321), its instances trace every
 * request (BENCH_EXPLAIN=true, src/bench-support/request-trace.ts), and each row wrapped in `explained`
 * prints a waterfall: per route, the most common sequence of pool waits, statements and Redis commands
 * with their mean client-side times, the server's own time for each kind of statement (statement
 * digests), InnoDB row-lock waits (status counters, and `information_schema.innodb_lock_waits` sampled
 * every 100 ms during the row), and the app's CPU and event-loop delay.
 */
export function explainRequested(args: string[]): boolean {
  return args.includes('--explain') || ['1', 'true'].includes(process.env.BENCH_EXPLAIN ?? '');
}

/** Starts (or reuses) the bench's own MariaDB and returns its port. */
export function startExplainDb(log: (s: string) => void): number {
  const port = Number(process.env.BENCH_DB_PORT ?? 3321);
  const script = join(__dirname, '..', '..', '..', '.ci', 'bench-mariadb.sh');
  const out = execFileSync('bash', [script], { env: { ...process.env, BENCH_DB_PORT: String(port) } });
  log(out.toString().trim());
  return port;
}

interface Digest {
  label: string;
  count: number;
  /** server time per statement, ms */
  ms: number;
  lockMs: number;
  rowsExamined: number;
}

async function status(c: Connection): Promise<Record<string, number>> {
  const [rows] = await c.query("SHOW GLOBAL STATUS WHERE Variable_name LIKE 'Innodb_row_lock%'");
  return Object.fromEntries(
    (rows as Array<{ Variable_name: string; Value: string }>).map((r) => [r.Variable_name, Number(r.Value)]),
  );
}

/** Samples the waiting lock requests by table every `everyMs` until stopped. */
function sampleLockWaits(c: Connection, everyMs = 100) {
  const byTable = new Map<string, number>();
  let samples = 0;
  let withWaits = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      try {
        const [rows] = await c.query(
          `SELECT l.lock_table AS t, l.lock_index AS i, COUNT(*) AS n
             FROM information_schema.innodb_lock_waits w
             JOIN information_schema.innodb_locks l ON l.lock_id = w.requested_lock_id
            GROUP BY l.lock_table, l.lock_index`,
        );
        samples++;
        const rs = rows as Array<{ t: string; i: string | null; n: number }>;
        if (rs.length) withWaits++;
        for (const r of rs) {
          const k = `${String(r.t).replace(/`/g, '').split('/').pop()}${r.i ? `.${r.i}` : ''}`;
          byTable.set(k, (byTable.get(k) ?? 0) + Number(r.n));
        }
      } catch {
        // the sampler must never fail a row
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return async () => {
    stopped = true;
    await loop;
    return { samples, withWaits, byTable };
  };
}

/**
 * Runs `run` (one timed load of a row) with the waterfall around it when the bench explains; else
 * just runs it. The block is logged and kept in `ctx.explains` (printed after the table).
 */
export async function explained<T>(
  ctx: BenchContext,
  insts: Instance[],
  title: string,
  run: () => Promise<T>,
): Promise<T> {
  if (!ctx.explain) return run();
  const c = await mysqlConn(ctx.dbName, ctx.dbPort);
  try {
    for (const i of insts) {
      const res = await fetch(`${i.url}/bench/explain/reset`, { method: 'POST' });
      if (res.status !== 204)
        throw new Error(`${i.opts.name}: POST /bench/explain/reset answered ${res.status}`);
    }
    await c.query('TRUNCATE performance_schema.events_statements_summary_by_digest');
    const s0 = await status(c);
    const lockConn = await mysqlConn(ctx.dbName, ctx.dbPort);
    const stopLocks = sampleLockWaits(lockConn);
    const t0 = Date.now();
    let result: T;
    let locks: Awaited<ReturnType<typeof stopLocks>>;
    try {
      result = await run();
    } finally {
      locks = await stopLocks();
      await lockConn.end();
    }
    const wallS = (Date.now() - t0) / 1000;
    const s1 = await status(c);
    const summaries = await Promise.all(
      insts.map(async (i) => (await (await fetch(`${i.url}/bench/explain`)).json()) as ExplainSummary),
    );
    const [rows] = await c.query(
      `SELECT DIGEST_TEXT AS d, COUNT_STAR AS n, SUM_TIMER_WAIT AS w, SUM_LOCK_TIME AS l, SUM_ROWS_EXAMINED AS r
         FROM performance_schema.events_statements_summary_by_digest WHERE SCHEMA_NAME = ?`,
      [ctx.dbName],
    );
    const digests = new Map<string, Digest>();
    for (const r of rows as Array<{ d: string | null; n: number; w: number; l: number; r: number }>) {
      const label = statementLabel(r.d ?? '?');
      const d = digests.get(label) ?? { label, count: 0, ms: 0, lockMs: 0, rowsExamined: 0 };
      // picoseconds; keep sums, divide at the end
      d.count += Number(r.n);
      d.ms += Number(r.w) / 1e9;
      d.lockMs += Number(r.l) / 1e9;
      d.rowsExamined += Number(r.r);
      digests.set(label, d);
    }
    const text = render(title, wallS, summaries, digests, s0, s1, locks);
    ctx.explains.push(text);
    ctx.log(`explain: ${title}\n${text}`);
    return result;
  } finally {
    await c.end();
  }
}

function render(
  title: string,
  wallS: number,
  sums: ExplainSummary[],
  digests: Map<string, Digest>,
  s0: Record<string, number>,
  s1: Record<string, number>,
  locks: { samples: number; withWaits: number; byTable: Map<string, number> },
): string {
  const out: string[] = [`### ${title}`, ''];
  const per = (label: string) => {
    const d = digests.get(label);
    return d && d.count ? d : undefined;
  };
  for (const [k, s] of sums.entries()) {
    out.push(
      `instance ${k + 1}: ${fmt(s.seconds, 1)} s traced; CPU ${fmt(s.cpuMs)} ms (${fmt(s.cpuMsPerRequest, 2)} ms per request, ` +
        `${fmt((100 * s.cpuMs) / 1000 / s.seconds)} % of one core); event loop busy ${fmt(100 * s.elu)} %, ` +
        `delay mean ${fmt(s.loopDelayMeanMs, 1)} ms, p99 ${fmt(s.loopDelayP99Ms, 1)} ms`,
    );
    for (const r of s.routes.filter((x) => x.requests >= 5).slice(0, 3)) out.push('', ...route(r, per));
  }
  const waits = (s1.Innodb_row_lock_waits ?? 0) - (s0.Innodb_row_lock_waits ?? 0);
  const waitMs = (s1.Innodb_row_lock_time ?? 0) - (s0.Innodb_row_lock_time ?? 0);
  const tables = [...locks.byTable.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5);
  out.push(
    '',
    `InnoDB row-lock waits during the row (${fmt(wallS, 1)} s): ${fmt(waits)} waits, ${fmt(waitMs)} ms in total` +
      `${waits ? ` (${fmt(waitMs / waits, 1)} ms each)` : ''}; sampled every 100 ms: waits seen in ${locks.withWaits} of ${locks.samples} samples` +
      `${tables.length ? `, on ${tables.map(([t, n]) => `${t} ×${n}`).join(', ')}` : ''}`,
  );
  const top = [...digests.values()].sort((a, b) => b.ms - a.ms).slice(0, 12);
  out.push(
    '',
    'server time per kind of statement (performance_schema digests, whole server, this row):',
    '',
    '| statement | count | server ms each | lock ms each | rows examined each | share of server time |',
    '|---|---|---|---|---|---|',
  );
  const total = top.reduce((s, d) => s + d.ms, 0) || 1;
  for (const d of top)
    out.push(
      `| ${d.label} | ${fmt(d.count)} | ${fmt(d.ms / d.count, 3)} | ${fmt(d.lockMs / d.count, 3)} | ${fmt(d.rowsExamined / d.count, 1)} | ${fmt((100 * d.ms) / total)} % |`,
    );
  return out.join('\n');
}

function route(r: RouteSummary, per: (label: string) => Digest | undefined): string[] {
  const lines = [
    `**${r.route}**: ${fmt(r.requests)} requests traced, handler time mean ${fmt(r.meanMs, 1)} ms (p50 ${fmt(r.p50Ms, 1)}, p99 ${fmt(r.p99Ms, 1)}): ` +
      `pool wait ${fmt(r.poolMs, 1)} ms, ${fmt(r.statements, 1)} statements ${fmt(r.sqlMs, 1)} ms, ` +
      `${fmt(r.redisCommands, 1)} Redis commands ${fmt(r.redisMs, 1)} ms, app (CPU + event-loop queue) ${fmt(r.appMs, 1)} ms`,
    '',
    `waterfall of the most common sequence (${fmt(100 * r.signatureShare)} % of the requests):`,
    '',
    '| at ms | step | ms | server ms (digest mean) |',
    '|---|---|---|---|',
  ];
  for (const w of r.waterfall) {
    const d = w.kind === 'sql' ? per(w.label) : undefined;
    const name =
      w.kind === 'app' ? '(app: CPU, event loop)' : w.kind === 'redis' ? `Redis ${w.label}` : w.label;
    lines.push(`| ${fmt(w.at, 1)} | ${name} | ${fmt(w.ms, 2)} | ${d ? fmt(d.ms / d.count, 3) : ''} |`);
  }
  return lines;
}
