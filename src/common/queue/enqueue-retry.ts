import { Injectable, Logger, OnApplicationShutdown, Optional } from '@nestjs/common';
import type { JobOptions, Queue } from 'bull';
import { MetricsService } from '../metrics/metrics.service';

interface PendingAdd {
  queue: Queue;
  add: (...args: unknown[]) => Promise<unknown>;
  args: unknown[];
  jobId: string;
  firstFailedAt: number;
  tries: number;
}

/** How often pending adds are tried again, how long before the sweepers are left to it, how many kept. */
const RETRY_EVERY_MS = 1000;
const GIVE_UP_AFTER_MS = 10 * 60_000;
const MAX_PENDING = 10_000;
const TRY_TIMEOUT_MS = 3000;

/**
 * Re-adds Bull jobs whose `add` failed (a Redis Cluster failover, Redis away for a moment).
 *
 * The caller still sees its add fail (and logs it, as before); this keeps the add and tries it
 * again every second with the same options, so the same fixed jobId: a job that did reach Redis is
 * not added twice, and every job handler of oncepay may run again safely anyway. The delay of a
 * delayed job is shortened by the time it waited here. Kept in memory only: after a crash or after
 * ten minutes the sweepers, which read MySQL, find the work as they always did.
 *
 * Why a wrapper and not a library: Bull has no retry for `add` itself, and ioredis' own retries
 * (maxRetriesPerRequest, retryDelayOnFailover) would hold the caller's request for the whole failover.
 */
@Injectable()
export class EnqueueRetry implements OnApplicationShutdown {
  private readonly logger = new Logger(EnqueueRetry.name);
  private readonly pending = new Map<string, PendingAdd>();
  private timer?: NodeJS.Timeout;
  private running = false;
  private readonly counter;
  private readonly gauge;

  constructor(@Optional() metrics?: MetricsService) {
    this.counter = metrics?.counter(
      'oncepay_enqueue_retries_total',
      'Bull adds that failed and were kept for a retry (failed), then added (recovered) or left to the sweepers (given_up)',
      ['queue', 'result'],
    );
    this.gauge = metrics?.gauge('oncepay_enqueue_pending', 'Bull adds waiting for a retry');
  }

  /** Wraps `queue.add` (once per queue instance). */
  watch(queue: Queue): Queue {
    const marked = queue as Queue & { __enqueueRetry?: boolean };
    if (marked.__enqueueRetry) return queue;
    marked.__enqueueRetry = true;
    const add = queue.add.bind(queue) as (...args: unknown[]) => Promise<unknown>;
    (queue as { add: unknown }).add = (...args: unknown[]) => {
      const p = add(...args);
      p.catch((err: Error) => this.keep(queue, add, args, err));
      return p;
    };
    return queue;
  }

  get size(): number {
    return this.pending.size;
  }

  private keep(queue: Queue, add: PendingAdd['add'], args: unknown[], err: Error): void {
    const opts = jobOptions(args);
    if (!opts?.jobId) {
      this.logger.warn(`queue ${queue.name}: add without a jobId failed, not retried: ${err.message}`);
      return;
    }
    const key = `${queue.name}\u0000${opts.jobId}`;
    if (this.pending.has(key)) return;
    if (this.pending.size >= MAX_PENDING) {
      this.counter?.inc({ queue: queue.name, result: 'given_up' });
      return;
    }
    this.pending.set(key, {
      queue,
      add,
      args,
      jobId: String(opts.jobId),
      firstFailedAt: Date.now(),
      tries: 0,
    });
    this.counter?.inc({ queue: queue.name, result: 'failed' });
    this.gauge?.set(this.pending.size);
    this.logger.warn(`queue ${queue.name}: job ${opts.jobId} not added (${err.message}); retrying`);
    this.timer ??= setInterval(() => void this.retryAll(), RETRY_EVERY_MS).unref();
  }

  private async retryAll(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await Promise.all([...this.pending.entries()].map(([key, p]) => this.retryOne(key, p)));
    } finally {
      this.running = false;
      this.gauge?.set(this.pending.size);
      if (this.pending.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    }
  }

  private async retryOne(key: string, p: PendingAdd): Promise<void> {
    const waited = Date.now() - p.firstFailedAt;
    p.tries++;
    try {
      await withTimeout(p.add(...withShorterDelay(p.args, waited)), TRY_TIMEOUT_MS);
      this.pending.delete(key);
      this.counter?.inc({ queue: p.queue.name, result: 'recovered' });
      this.logger.log(`queue ${p.queue.name}: job ${p.jobId} added after ${waited} ms (${p.tries} retries)`);
    } catch (err) {
      if (waited < GIVE_UP_AFTER_MS) return;
      this.pending.delete(key);
      this.counter?.inc({ queue: p.queue.name, result: 'given_up' });
      this.logger.error(
        `queue ${p.queue.name}: job ${p.jobId} still not added after ${waited} ms, left to the sweepers: ${(err as Error).message}`,
      );
    }
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.pending.size) {
      this.logger.warn(
        `${this.pending.size} job add(s) not retried before shutdown: the sweepers will find them`,
      );
    }
    this.pending.clear();
  }
}

/** Bull's add is add(data, opts?) or add(name, data, opts?). */
function jobOptions(args: unknown[]): JobOptions | undefined {
  const opts = typeof args[0] === 'string' ? args[2] : args[1];
  return opts && typeof opts === 'object' ? (opts as JobOptions) : undefined;
}

function withShorterDelay(args: unknown[], waitedMs: number): unknown[] {
  const i = typeof args[0] === 'string' ? 2 : 1;
  const opts = args[i] as JobOptions | undefined;
  if (!opts?.delay) return args;
  const copy = [...args];
  copy[i] = { ...opts, delay: Math.max(0, opts.delay - waitedMs) };
  return copy;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]);
}
