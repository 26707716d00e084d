import { Logger } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type Redis from 'ioredis';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/*
 * Fixed window per key, with a block once the limit is passed. KEYS[1] counts hits (expires with the
 * window), KEYS[2] marks a block. Both share a hash tag, so the script is Redis Cluster safe.
 * Returns {hits, window ms left, blocked 0|1, block ms left}.
 */
const INCREMENT = `
local hits = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) ttl = tonumber(ARGV[1]) end
local bttl = redis.call('PTTL', KEYS[2])
if bttl > 0 then return {hits, ttl, 1, bttl} end
if hits > tonumber(ARGV[2]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
  return {hits, ttl, 1, tonumber(ARGV[3])}
end
return {hits, ttl, 0, 0}`;

/**
 * @nestjs/throttler storage on the application's own ioredis client, so every instance shares the
 * counters (and the key prefix, the command timeout and, later, a Cluster client come for free).
 *
 * Hand-written (about 40 lines) rather than `@nest-lab/throttler-storage-redis`: that package's peer
 * range stops at NestJS 11 (the NestJS 12 upgrade would be blocked on it) and it opens its own Redis
 * connection instead of using ours.
 *
 * Fails OPEN: when Redis does not answer, the request is let through (and counted in
 * `oncepay_rate_limit_store_errors_total`). A limiter must never take the service down; the
 * exactly-once guarantees do not depend on it.
 */
export class RedisThrottlerStorage implements ThrottlerStorage {
  private readonly logger = new Logger('RateLimit');
  private lastWarn = 0;

  constructor(
    private readonly redis: Redis,
    private readonly onStoreError: () => void = () => undefined,
  ) {}

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    const base = `rl:{${throttlerName}:${key}}`;
    try {
      const r = (await this.redis.eval(
        INCREMENT,
        2,
        `${base}:hits`,
        `${base}:block`,
        String(ttl),
        String(limit),
        String(Math.max(1, blockDuration)),
      )) as number[];
      return {
        totalHits: Number(r[0]),
        timeToExpire: Math.ceil(Number(r[1]) / 1000),
        isBlocked: Number(r[2]) === 1,
        timeToBlockExpire: Math.ceil(Number(r[3]) / 1000),
      };
    } catch (err) {
      this.onStoreError();
      if (Date.now() - this.lastWarn > 10_000) {
        this.lastWarn = Date.now();
        this.logger.warn(`rate-limit store unavailable, letting requests through: ${(err as Error).message}`);
      }
      return { totalHits: 0, timeToExpire: Math.ceil(ttl / 1000), isBlocked: false, timeToBlockExpire: 0 };
    }
  }
}
