import { AsyncLocalStorage } from 'node:async_hooks';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

/**
 * BENCH_EXPLAIN=true (bench instances only): a per-request waterfall of where a request's time goes.
 * Every request through the Nest pipeline gets a trace (from the global interceptor on); the mysql2
 * pool's `getConnection` (pool wait: asked → got a connection), every statement on a connection (sent
 * → answered, as the client sees it) and every ioredis command (written → answered) add a span to the
 * trace of the request that started them. What no span covers is the app's own time: its CPU and the
 * event loop's queue before a callback runs. `npm run bench -- --explain` reads `summary()` over
 * GET /bench/explain and sets the server's own per-statement times (performance_schema) beside it.
 *
 * Written here rather than with an APM library: what is wanted is exactly these three waits per request
 * and nothing sent anywhere; OpenTelemetry's mysql2 and ioredis instrumentations would bring a
 * collector pipeline into a bench-only switch for the same three numbers.
 */
export interface Span {
  kind: 'pool' | 'sql' | 'redis';
  label: string;
  start: number;
  end: number;
}

export interface Trace {
  route: string;
  t0: number;
  end: number;
  spans: Span[];
}

/** One position of a route's most common sequence of spans, averaged over the requests that had it. */
export interface WaterfallStep {
  kind: Span['kind'] | 'app';
  label: string;
  /** mean offset from the trace's start, ms */
  at: number;
  /** mean duration, ms */
  ms: number;
}

export interface RouteSummary {
  route: string;
  requests: number;
  /** share of the requests whose spans had the most common sequence (the waterfall's) */
  signatureShare: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  /** means per request over all of the route's requests */
  poolMs: number;
  sqlMs: number;
  redisMs: number;
  /** the rest: the app's CPU and the event loop's queue */
  appMs: number;
  statements: number;
  redisCommands: number;
  waterfall: WaterfallStep[];
}

export interface ExplainSummary {
  seconds: number;
  /** process CPU (user + system) over the window, ms, and per traced request */
  cpuMs: number;
  cpuMsPerRequest: number;
  /** event loop utilisation over the window (0..1) */
  elu: number;
  /** event loop delay over the window, ms */
  loopDelayMeanMs: number;
  loopDelayP99Ms: number;
  routes: RouteSummary[];
}

const MAX_TRACES = 50_000;

/** "SELECT t_payment", "INSERT t_uq_dipose", "COMMIT", … — a statement's verb and first table. */
export function statementLabel(sql: string): string {
  const s = sql.replace(/`/g, '').replace(/\s+/g, ' ').trim();
  const verb =
    /^(START TRANSACTION|SET SESSION|SET|COMMIT|ROLLBACK|SAVEPOINT|RELEASE SAVEPOINT|SELECT|INSERT IGNORE|INSERT|UPDATE|DELETE|REPLACE)\b/i
      .exec(s)?.[1]
      ?.toUpperCase();
  if (!verb) return s.slice(0, 24);
  if (!/^(SELECT|INSERT|UPDATE|DELETE|REPLACE)/.test(verb)) return verb;
  const table =
    verb === 'SELECT'
      ? /\bFROM\s+([\w.]+)/i.exec(s)?.[1]
      : verb.startsWith('INSERT') || verb === 'REPLACE'
        ? /\bINTO\s+([\w.]+)/i.exec(s)?.[1]
        : verb === 'UPDATE'
          ? /^UPDATE\s+([\w.]+)/i.exec(s)?.[1]
          : /\bFROM\s+([\w.]+)/i.exec(s)?.[1];
  const name = table?.split('.').pop() ?? '?';
  const rows = verb.startsWith('INSERT') && /\)\s*,\s*\(/.test(s) ? ' (rows)' : '';
  const suffix = /FOR UPDATE/i.test(s) ? ' FOR UPDATE' : /ON DUPLICATE KEY/i.test(s) ? ' upsert' : '';
  return `${verb} ${name}${rows}${suffix}`;
}

/** The process-wide tracer (one per instance; patched in once, at module start). */
export class RequestTracer {
  private readonly als = new AsyncLocalStorage<Trace>();
  private traces: Trace[] = [];
  private since = performance.now();
  private cpu0 = process.cpuUsage();
  private elu0 = performance.eventLoopUtilization();
  private readonly delay = monitorEventLoopDelay({ resolution: 5 });

  constructor() {
    this.delay.enable();
  }

  /** Runs `fn` (the request's handling) with a fresh trace; the trace is kept when `fn` settles. */
  run<T>(route: string, fn: () => T): T {
    const trace: Trace = { route, t0: performance.now(), end: 0, spans: [] };
    return this.als.run(trace, fn);
  }

  /** Closes the current request's trace (called by the interceptor when the response is decided). */
  finish(): void {
    const t = this.als.getStore();
    if (!t || t.end) return;
    t.end = performance.now();
    t.spans.sort((a, b) => a.start - b.start);
    if (this.traces.length < MAX_TRACES) this.traces.push(t);
  }

  private span(kind: Span['kind'], label: string): ((this: void) => void) | undefined {
    const t = this.als.getStore();
    if (!t || t.end) return undefined;
    const start = performance.now();
    return () => {
      // a command that outlives its request (fire and forget) is not part of the request's time
      if (!t.end) t.spans.push({ kind, label, start, end: performance.now() });
    };
  }

  /** Wraps a mysql2 (callback) pool: pool wait per `getConnection`, each statement per connection. */
  patchMysqlPool(pool: { getConnection: (cb: (err: unknown, conn: unknown) => void) => void }): void {
    const orig = pool.getConnection.bind(pool);
    const patched = new WeakSet<object>();
    pool.getConnection = (cb) => {
      const done = this.span('pool', 'pool wait');
      orig((err, conn) => {
        done?.();
        if (conn && !patched.has(conn as object)) {
          patched.add(conn as object);
          this.patchConnection(conn as { query: (...a: unknown[]) => unknown });
        }
        cb(err, conn);
      });
    };
  }

  private patchConnection(conn: { query: (...a: unknown[]) => unknown }): void {
    const orig = conn.query.bind(conn);
    conn.query = (...args: unknown[]) => {
      const q = args[0];
      const sql = typeof q === 'string' ? q : ((q as { sql?: string })?.sql ?? '');
      const done = this.span('sql', statementLabel(sql));
      const cbAt = args.findIndex((a) => typeof a === 'function');
      if (done && cbAt >= 0) {
        const cb = args[cbAt] as (...r: unknown[]) => void;
        args[cbAt] = (...r: unknown[]) => {
          done();
          cb(...r);
        };
      }
      return orig(...args);
    };
  }

  /** Wraps ioredis's `sendCommand` (every client of the process: the app's, Bull's, the throttler's). */
  patchRedis(proto: { sendCommand: (cmd: unknown, ...rest: unknown[]) => unknown }): void {
    const orig = proto.sendCommand;
    const span = (label: string) => this.span('redis', label);
    proto.sendCommand = function (this: unknown, cmd: unknown, ...rest: unknown[]) {
      const c = cmd as { name?: string; promise?: Promise<unknown> };
      const done = span(String(c?.name ?? '?').toUpperCase());
      const r = orig.call(this, cmd, ...rest);
      if (done) c?.promise?.then(done, done);
      return r;
    };
  }

  reset(): void {
    this.traces = [];
    this.since = performance.now();
    this.cpu0 = process.cpuUsage();
    this.elu0 = performance.eventLoopUtilization();
    this.delay.reset();
  }

  summary(): ExplainSummary {
    const cpu = process.cpuUsage(this.cpu0);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    const by = new Map<string, Trace[]>();
    for (const t of this.traces) by.set(t.route, [...(by.get(t.route) ?? []), t]);
    const routes = [...by.entries()].map(([route, ts]) => summarise(route, ts));
    routes.sort((a, b) => b.requests - a.requests);
    return {
      seconds: (performance.now() - this.since) / 1000,
      cpuMs,
      cpuMsPerRequest: this.traces.length ? cpuMs / this.traces.length : 0,
      elu: performance.eventLoopUtilization(this.elu0).utilization,
      loopDelayMeanMs: this.delay.mean / 1e6,
      loopDelayP99Ms: this.delay.percentile(99) / 1e6,
      routes,
    };
  }
}

function covered(spans: Span[]): number {
  // union of the span intervals (Redis and MySQL may overlap)
  const xs = [...spans].sort((a, b) => a.start - b.start);
  let sum = 0;
  let from = -Infinity;
  let to = -Infinity;
  for (const s of xs) {
    if (s.start > to) {
      if (to > from) sum += to - from;
      from = s.start;
      to = s.end;
    } else to = Math.max(to, s.end);
  }
  if (to > from) sum += to - from;
  return sum;
}

function summarise(route: string, ts: Trace[]): RouteSummary {
  const n = ts.length;
  const total = (t: Trace) => t.end - t.t0;
  const sum = (f: (t: Trace) => number) => ts.reduce((s, t) => s + f(t), 0) / n;
  const kindMs = (t: Trace, k: Span['kind']) =>
    t.spans.filter((s) => s.kind === k).reduce((s, x) => s + (x.end - x.start), 0);
  const sorted = ts.map(total).sort((a, b) => a - b);
  const sigOf = (t: Trace) => t.spans.map((s) => `${s.kind}:${s.label}`).join('|');
  const sigs = new Map<string, Trace[]>();
  for (const t of ts) {
    const k = sigOf(t);
    sigs.set(k, [...(sigs.get(k) ?? []), t]);
  }
  const [, common] = [...sigs.entries()].sort((a, b) => b[1].length - a[1].length)[0];
  const waterfall: WaterfallStep[] = [];
  const m = common.length;
  const positions = common[0].spans.length;
  let prevEnd = 0;
  for (let i = 0; i < positions; i++) {
    const at = common.reduce((s, t) => s + (t.spans[i].start - t.t0), 0) / m;
    const ms = common.reduce((s, t) => s + (t.spans[i].end - t.spans[i].start), 0) / m;
    if (at - prevEnd > 0.05) waterfall.push({ kind: 'app', label: 'app', at: prevEnd, ms: at - prevEnd });
    waterfall.push({ kind: common[0].spans[i].kind, label: common[0].spans[i].label, at, ms });
    prevEnd = Math.max(prevEnd, at + ms);
  }
  const end = common.reduce((s, t) => s + total(t), 0) / m;
  if (end - prevEnd > 0.05) waterfall.push({ kind: 'app', label: 'app', at: prevEnd, ms: end - prevEnd });
  return {
    route,
    requests: n,
    signatureShare: m / n,
    meanMs: sum(total),
    p50Ms: sorted[Math.floor(n * 0.5)],
    p99Ms: sorted[Math.min(n - 1, Math.floor(n * 0.99))],
    poolMs: sum((t) => kindMs(t, 'pool')),
    sqlMs: sum((t) => kindMs(t, 'sql')),
    redisMs: sum((t) => kindMs(t, 'redis')),
    appMs: sum((t) => total(t) - covered(t.spans)),
    statements: sum((t) => t.spans.filter((s) => s.kind === 'sql').length),
    redisCommands: sum((t) => t.spans.filter((s) => s.kind === 'redis').length),
    waterfall,
  };
}
