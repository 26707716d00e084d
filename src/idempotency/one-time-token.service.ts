import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { idempotencyConfig } from '../config/configuration';
import { DomainError, ErrorCode } from '../common/errors';
import { REDIS } from '../common/redis/redis.factory';
import { storeUnavailable, undoLostWrite } from './redis-guard';

/**
 * One-time tokens (the classic pre-issued anti-resubmit token): issue one, and the first request
 * carrying it consumes it atomically; every later use is TOKEN_USED.
 *
 * Keys: `tok:{<user>}:<token>` = "1" until consumed, then `used:<mark>` (kept for the token's TTL so a
 * second use is told apart from an unknown token), then `used:<mark>|<resultId>` once the first use's
 * result is known (a second use is TOKEN_USED naming it). A request refused without writing anything
 * gives its token back (`release`).
 */
@Injectable()
export class OneTimeTokenService {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(idempotencyConfig.KEY) private readonly cfg: ConfigType<typeof idempotencyConfig>,
  ) {}

  async issue(userId: string): Promise<{ token: string; expiresAt: string }> {
    const token = randomBytes(18).toString('base64url');
    await this.guarded(() => this.redis.set(this.key(userId, token), '1', 'PX', this.cfg.tokenTtlMs));
    return { token, expiresAt: new Date(Date.now() + this.cfg.tokenTtlMs).toISOString() };
  }

  /**
   * Consumes the token or throws TOKEN_USED / TOKEN_INVALID. Atomic: of N concurrent uses one wins.
   * Returns the consumer's mark, for `release` when the request turns out invalid.
   */
  async consume(userId: string, token: string, resultField = 'resultId'): Promise<string> {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(token)) {
      throw new DomainError(ErrorCode.TOKEN_INVALID, 'Idempotency-Token is unknown or expired');
    }
    const mark = `used:${randomBytes(8).toString('hex')}`;
    // '1' → 'used:<mark>' keeping the TTL; returns the previous value
    const prev = (await this.guarded(() =>
      this.redis.eval(
        `local v = redis.call('GET', KEYS[1])
         if v == '1' then redis.call('SET', KEYS[1], ARGV[1], 'KEEPTTL') end
         return v`,
        1,
        this.key(userId, token),
        mark,
      ),
    ).catch((err: unknown) => {
      // the consumption may still land: give the token back, or the client's retry is TOKEN_USED
      undoLostWrite('Token store', () => this.release(userId, token, mark), this.cfg.tokenTtlMs);
      throw err;
    })) as string | null;
    if (prev === '1') return mark;
    if (prev?.startsWith('used')) {
      // `used:<mark>|<resultId>` once the first use's result (or the number it may have made) is known
      const bar = prev.indexOf('|');
      const resultId = bar > 0 ? prev.slice(bar + 1) : undefined;
      throw new DomainError(
        ErrorCode.TOKEN_USED,
        resultId
          ? `Idempotency-Token was already used, by the request that made ${resultId}`
          : 'Idempotency-Token was already used',
        resultId ? { [resultField]: resultId } : undefined,
      );
    }
    throw new DomainError(ErrorCode.TOKEN_INVALID, 'Idempotency-Token is unknown or expired');
  }

  /**
   * Gives a token back after the request that consumed it failed validation (nothing was done with
   * it), so the client can correct the body and send it again with the same token. Fenced by the mark:
   * only the consumer that used it can give it back.
   */
  async release(userId: string, token: string, mark: string): Promise<boolean> {
    const given = await this.redis.eval(
      `if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], '1', 'KEEPTTL') return 1 end return 0`,
      1,
      this.key(userId, token),
      mark,
    );
    return given === 1;
  }

  /**
   * Records on a consumed token what its request made (the orderNo, the refundNo), or may have made
   * (an unknown outcome), so a later use is told `TOKEN_USED` naming it, not left guessing. Fenced by the
   * mark; keeps the TTL.
   */
  async recordResult(userId: string, token: string, mark: string, resultId: string): Promise<boolean> {
    const set = await this.redis.eval(
      `if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[1] .. '|' .. ARGV[2], 'KEEPTTL') return 1 end return 0`,
      1,
      this.key(userId, token),
      mark,
      resultId,
    );
    return set === 1;
  }

  private key(userId: string, token: string) {
    return `tok:{${userId}}:${token}`;
  }

  private async guarded<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw storeUnavailable('Token store', err);
    }
  }
}
