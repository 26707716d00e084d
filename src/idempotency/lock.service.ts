import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { DomainError, ErrorCode } from '../common/errors';
import { REDIS } from '../common/redis/redis.factory';
import { IdempotencyMetrics } from './idempotency.metrics';
import { redisOr503, sleep, undoLostWrite } from './redis-guard';

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;

export interface LockOptions {
  /** How long to wait for the lock before giving up with 409 REQUEST_IN_PROGRESS (default 3000 ms). */
  waitMs?: number;
  /** Renew the lock every ttl/3 while `fn` runs (a watchdog for long work). */
  renew?: boolean;
}

/**
 * A Redis lock for mutual exclusion of short critical sections (e.g. one pre-pay per order at a
 * time). `SET key token NX PX ttl`; release and renewal compare the token in Lua, so a holder whose
 * lock expired can never release or extend the next holder's lock. A lock only narrows races: the
 * database CAS and unique keys stay the arbiters of correctness.
 */
@Injectable()
export class LockService {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly metrics: IdempotencyMetrics,
  ) {}

  async withLock<T>(key: string, ttlMs: number, fn: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
    const token = await this.acquire(key, ttlMs, opts.waitMs ?? 3000);
    const timer = opts.renew
      ? setInterval(() => void this.redis.eval(RENEW, 1, key, token, ttlMs).catch(() => undefined), ttlMs / 3)
      : undefined;
    try {
      return await fn();
    } finally {
      if (timer) clearInterval(timer);
      await this.release(key, token).catch(() => undefined);
    }
  }

  /** Takes the lock or throws REQUEST_IN_PROGRESS after `waitMs`; returns the owner token. */
  async acquire(key: string, ttlMs: number, waitMs: number): Promise<string> {
    const token = randomUUID();
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      const ok = await redisOr503('Lock store', () => this.redis.set(key, token, 'PX', ttlMs, 'NX')).catch(
        (err: unknown) => {
          // the SET may still land: never leave a lock that nobody holds until its TTL
          undoLostWrite('Lock store', () => this.release(key, token), ttlMs);
          throw err;
        },
      );
      if (ok === 'OK') {
        this.metrics.lockWait.observe({ outcome: 'acquired' }, (Date.now() - started) / 1000);
        this.metrics.event('lock', attempt === 0 ? 'acquired' : 'acquired_after_wait');
        return token;
      }
      const waited = Date.now() - started;
      if (waited >= waitMs) {
        this.metrics.lockWait.observe({ outcome: 'timeout' }, waited / 1000);
        this.metrics.event('lock', 'timeout');
        throw new DomainError(
          ErrorCode.REQUEST_IN_PROGRESS,
          'Another request holds this resource; retry',
          { key },
          {
            'Retry-After': '1',
          },
        );
      }
      // bounded exponential backoff with full jitter
      await sleep(Math.min(waitMs - waited, Math.random() * Math.min(200, 10 * 2 ** attempt) + 5));
    }
  }

  /** Compare-and-delete: true if this token still held the lock. */
  async release(key: string, token: string): Promise<boolean> {
    return (await this.redis.eval(RELEASE, 1, key, token)) === 1;
  }
}
