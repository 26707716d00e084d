import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, sleep } from './infra';

/** dist/src/main.js, found from this compiled file (dist/bench/lib/instances.js). */
export const MAIN_JS = join(__dirname, '..', '..', 'src', 'main.js');

/**
 * Node flags every oncepay process runs with, the same as the Dockerfile's CMD and `npm run start:prod`
 * (test/node-flags.e2e-spec.ts keeps the three equal). Node 24's V8 sizes the young generation's
 * semi-spaces larger than Node 20 did: peak RSS under the submit load went 208 → 313 MB; capped at
 * 16 MB it was about 204 MB with the same throughput, at 8 MB another ~17 MB less for ~3 % more
 * GC time per submit. Under a sustained load what is left is the old generation filling with dead
 * objects between two full GCs, which V8 lets grow to several times the live heap (3,200 submits:
 * 80 → 160 MB used without one): `--heap-growing-percent=30` starts the next full GC once the heap has
 * grown 30 % past what the last one kept. Neither is a cap: a larger live heap gets a proportionally
 * larger limit, so they cannot crash a healthy instance (docs/benchmarks.md, "Memory").
 */
export const PRODUCT_NODE_FLAGS = ['--max-semi-space-size=8', '--heap-growing-percent=30'];

/**
 * BENCH_CPU_PROFILE=<folder>: every instance also runs with `--cpu-prof` and writes its profile there when
 * it stops (`node dist/bench/profile-top.js <file>` prints the top self-time functions).
 */
function profileFlags(name = 'instance'): string[] {
  const dir = process.env.BENCH_CPU_PROFILE;
  return dir
    ? ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`]
    : [];
}

export interface InstanceOptions {
  dbName: string;
  redisPrefix: string;
  redisUrl?: string;
  env?: Record<string, string>;
  port?: number;
  /** Name in logs. */
  name?: string;
}

/**
 * One oncepay process (`node dist/src/main.js`), started with its own environment. Its stderr is kept
 * (last lines) to explain a failed start; stdout (warn-level logs) is discarded unless BENCH_VERBOSE.
 */
export class Instance {
  proc?: ChildProcess;
  port = 0;
  private tail: string[] = [];
  exited = false;

  constructor(readonly opts: InstanceOptions) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  async start(timeoutMs = 60000): Promise<this> {
    this.port = this.opts.port ?? (this.port || (await freePort()));
    this.exited = false;
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      NODE_ENV: 'development',
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      PORT: String(this.port),
      DB_NAME: this.opts.dbName,
      REDIS_KEY_PREFIX: this.opts.redisPrefix,
      BENCH_ROUTES: 'true',
      // the bench measures throughput from few clients and users: abuse limits off unless a run sets them
      RATE_LIMIT_ENABLED: 'false',
      ORDER_MAX_UNPAID: '1000000',
      ...(this.opts.redisUrl ? { REDIS_URL: this.opts.redisUrl } : {}),
      ...this.opts.env,
    };
    const proc = spawn(process.execPath, [...PRODUCT_NODE_FLAGS, ...profileFlags(this.opts.name), MAIN_JS], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc = proc;
    const keep = (b: Buffer) => {
      const lines = b.toString().split('\n').filter(Boolean);
      this.tail.push(...lines);
      if (this.tail.length > 40) this.tail.splice(0, this.tail.length - 40);
      if (process.env.BENCH_VERBOSE) lines.forEach((l) => process.stderr.write(`[${this.opts.name}] ${l}\n`));
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    proc.on('exit', () => {
      this.exited = true;
    });
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.exited) throw new Error(`${this.opts.name} exited during start:\n${this.tail.join('\n')}`);
      try {
        const res = await fetch(`${this.url}/health`, { signal: AbortSignal.timeout(1000) });
        if (res.status < 500) return this;
      } catch {
        // not listening yet
      }
      await sleep(200);
    }
    throw new Error(`${this.opts.name} did not become healthy in ${timeoutMs} ms:\n${this.tail.join('\n')}`);
  }

  /** SIGTERM (graceful) or SIGKILL; resolves when the process is gone. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', waitMs = 10000): Promise<void> {
    const proc = this.proc;
    if (!proc || this.exited) return;
    const gone = new Promise<void>((r) => proc.once('exit', () => r()));
    proc.kill(signal);
    const timer = sleep(waitMs).then(() => 'timeout');
    if ((await Promise.race([gone, timer])) === 'timeout') {
      proc.kill('SIGKILL');
      await gone;
    }
  }

  /** Peak resident set (VmHWM) and current (VmRSS) in MB, from /proc (Linux). */
  memory(): { peakMb: number; rssMb: number } | undefined {
    if (!this.pid || this.exited) return undefined;
    try {
      const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
      const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
      return { peakMb: kb('VmHWM') / 1024, rssMb: kb('VmRSS') / 1024 };
    } catch {
      return undefined;
    }
  }

  lastLog(): string {
    return this.tail.join('\n');
  }
}

/**
 * Polls /proc/<pid>/status while a load runs, keeping the highest VmRSS seen (VmHWM would include
 * every earlier load of the process, so it cannot attribute a peak to one load).
 */
export function sampleRss(instances: Instance[], everyMs = 250): () => number[] {
  const peak = instances.map(() => 0);
  const t = setInterval(() => {
    instances.forEach((inst, i) => {
      const m = inst.memory();
      if (m) peak[i] = Math.max(peak[i], m.rssMb);
    });
  }, everyMs);
  return () => {
    clearInterval(t);
    instances.forEach((inst, i) => {
      const m = inst.memory();
      if (m) peak[i] = Math.max(peak[i], m.rssMb);
    });
    return peak;
  };
}
