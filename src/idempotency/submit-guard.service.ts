import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { idempotencyConfig } from '../config/configuration';
import { REDIS } from '../common/redis/redis.factory';
import { IdempotencyMetrics } from './idempotency.metrics';
import { undoLostWrite } from './redis-guard';

/** Value layout: `<token>` while the first request runs, `<token>|<resultId>` once its result is known. */
const ATTACH = `local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then redis.call('SET', KEYS[1], ARGV[1] .. '|' .. ARGV[2], 'KEEPTTL') return 1 end
return 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

export type GuardResult =
  | { acquired: true; key: string; token: string }
  | { acquired: false; holder: { state: 'running' } | { state: 'done'; resultId: string } };

/**
 * The duplicate-submit guard: `SET submit:{user}:<fingerprint> <token> PX <window> NX GET`.
 * One request per fingerprint and window proceeds; the rest learn who holds it (GET answers the
 * holder's value in the same command). The holder attaches its result id (e.g. the orderNo) keeping
 * the TTL, or releases the key if its work failed (compare-and-delete, so it never frees a key that is
 * no longer its own). A hit costs one Redis round trip and no MySQL query. Redis errors propagate: the
 * caller decides fail-closed or open.
 */
@Injectable()
export class SubmitGuardService {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(idempotencyConfig.KEY) private readonly cfg: ConfigType<typeof idempotencyConfig>,
    private readonly metrics: IdempotencyMetrics,
  ) {}

  key(userId: string, fingerprint: string): string {
    return `submit:{${userId}}:${fingerprint}`;
  }

  async acquire(
    userId: string,
    fingerprint: string,
    windowMs = this.cfg.submitWindowMs,
  ): Promise<GuardResult> {
    const key = this.key(userId, fingerprint);
    const token = randomUUID();
    // one command, one round trip: SET NX GET (Redis ≥ 7.0) answers null when this call set the key,
    // else the holder's value (and sets nothing), read atomically with the refusal
    const prev = await this.redis.set(key, token, 'PX', windowMs, 'NX', 'GET').catch((err: unknown) => {
      // the SET may still land: never leave a guard that blocks the client's retry for the window
      undoLostWrite('Submit guard', () => this.release(key, token), windowMs);
      throw err;
    });
    if (prev === null) {
      this.metrics.event('submit_guard', 'pass');
      return { acquired: true, key, token };
    }
    this.metrics.event('submit_guard', 'blocked');
    const bar = prev.indexOf('|');
    return {
      acquired: false,
      holder: bar > 0 ? { state: 'done', resultId: prev.slice(bar + 1) } : { state: 'running' },
    };
  }

  /** Records the result id on the held key, keeping its TTL. False if the key is no longer ours. */
  async attachResult(key: string, token: string, resultId: string): Promise<boolean> {
    return (await this.redis.eval(ATTACH, 1, key, token, resultId)) === 1;
  }

  /** Frees the key if this token still holds it (the guarded work failed; a corrected retry may run). */
  async release(key: string, token: string): Promise<boolean> {
    return (await this.redis.eval(RELEASE, 1, key, token)) === 1;
  }
}
