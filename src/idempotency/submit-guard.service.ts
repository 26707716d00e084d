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
/** Our value (or none): `<token>|<resultId>` (or `<token>`) for ARGV[3] ms. Another holder's value stays. */
const HOLD = `local v = redis.call('GET', KEYS[1])
if v and v ~= ARGV[1] then return 0 end
local val = ARGV[1]
if ARGV[2] ~= '' then val = val .. '|' .. ARGV[2] end
redis.call('SET', KEYS[1], val, 'PX', ARGV[3])
return 1`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

/** Done holders one instance remembers (about 200 bytes each); the oldest are dropped first. */
export const MAX_DONE_KEPT = 10_000;

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
 *
 * A holder seen done (`<token>|<resultId>`) stays done until its key expires: nothing releases it (the
 * compare-and-delete wants the bare token) and ATTACH keeps its TTL. So once this instance has seen one, it
 * remembers it until that expiry (PTTL, asked once, off the request path) and answers the next duplicates
 * of that body without Redis. That can only refuse, never admit: a key Redis lost early (a flush, a
 * failover) still refuses its duplicates here until the window it was set for has passed.
 */
@Injectable()
export class SubmitGuardService {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(idempotencyConfig.KEY) private readonly cfg: ConfigType<typeof idempotencyConfig>,
    private readonly metrics: IdempotencyMetrics,
  ) {}

  /** Done holders seen by this instance: key → result id and until when (performance.now() ms). */
  private readonly done = new Map<string, { resultId: string; until: number }>();
  private readonly asking = new Set<string>();

  key(userId: string, fingerprint: string): string {
    return `submit:{${userId}}:${fingerprint}`;
  }

  async acquire(
    userId: string,
    fingerprint: string,
    windowMs = this.cfg.submitWindowMs,
  ): Promise<GuardResult> {
    const key = this.key(userId, fingerprint);
    const seen = this.done.get(key);
    if (seen) {
      if (performance.now() < seen.until) {
        this.metrics.event('submit_guard', 'blocked');
        return { acquired: false, holder: { state: 'done', resultId: seen.resultId } };
      }
      this.done.delete(key);
    }
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
    if (bar <= 0) return { acquired: false, holder: { state: 'running' } };
    const resultId = prev.slice(bar + 1);
    this.remember(key, prev, resultId);
    return { acquired: false, holder: { state: 'done', resultId } };
  }

  /**
   * Keeps a done holder until its key expires: `asked + PTTL` is never later than that expiry (Redis
   * measured the PTTL after `asked`). GET and PTTL in one MULTI, so the TTL is the one of the value seen
   * (not of a newer holder, had the key expired and been set again meanwhile). Not awaited, asked once
   * per key at a time; a failure only means the next duplicate asks Redis.
   */
  private remember(key: string, value: string, resultId: string): void {
    if (this.done.has(key) || this.asking.has(key)) return;
    this.asking.add(key);
    const asked = performance.now();
    this.redis
      .multi()
      .get(key)
      .pttl(key)
      .exec()
      .then(
        (res) => {
          const [got, ttl] = (res ?? []).map(([err, v]) => (err ? undefined : v));
          // another holder, gone, or no expiry: nothing to remember
          if (got !== value || typeof ttl !== 'number' || ttl <= 0) return;
          // oldest first (windows are alike, so also the soonest to expire): drop the expired, and make
          // room when full
          const t = performance.now();
          for (const [k, v] of this.done) {
            if (v.until > t && this.done.size < MAX_DONE_KEPT) break;
            this.done.delete(k);
          }
          this.done.set(key, { resultId, until: asked + ttl });
        },
        () => undefined,
      )
      .finally(() => this.asking.delete(key))
      .catch(() => undefined);
  }

  /** Records the result id on the held key, keeping its TTL. False if the key is no longer ours. */
  async attachResult(key: string, token: string, resultId: string): Promise<boolean> {
    return (await this.redis.eval(ATTACH, 1, key, token, resultId)) === 1;
  }

  /**
   * Keeps the key held, naming `resultId` when given, for `ms` (longer than the window): the guarded
   * work's outcome is unknown (its COMMIT got no answer), so a retry of the same body must be refused
   * (409 DUPLICATE_SUBMIT naming what it may have made), never run again.
   */
  async hold(key: string, token: string, resultId: string | undefined, ms: number): Promise<boolean> {
    return (await this.redis.eval(HOLD, 1, key, token, resultId ?? '', ms)) === 1;
  }

  /** Frees the key if this token still holds it (the guarded work failed; a corrected retry may run). */
  async release(key: string, token: string): Promise<boolean> {
    return (await this.redis.eval(RELEASE, 1, key, token)) === 1;
  }
}
