import { ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { ThrottlerGuard, ThrottlerLimitDetail } from '@nestjs/throttler';
import { rateLimitConfig } from '../../config/configuration';
import { DomainError, ErrorCode } from '../errors';

/** Which limit applies to which route, and whether it counts per user or per client address. */
export const RATE_LIMITED_ROUTES: Record<string, { limit: RateLimitName; per: 'user' | 'ip' }> = {
  'POST /v1/orders': { limit: 'submit', per: 'user' },
  'POST /v1/recharges': { limit: 'submit', per: 'user' },
  'POST /v1/orders/:orderNo/payments': { limit: 'prepay', per: 'user' },
  'POST /v1/idempotency-tokens': { limit: 'tokens', per: 'user' },
  'POST /v1/dev/tokens': { limit: 'devTokens', per: 'ip' },
  'POST /v1/callbacks/alipay': { limit: 'callback', per: 'ip' },
  'POST /v1/callbacks/wechat': { limit: 'callback', per: 'ip' },
  'POST /v1/callbacks/alipay/transfers': { limit: 'callback', per: 'ip' },
  'POST /v1/callbacks/wechat/transfers': { limit: 'callback', per: 'ip' },
};

export type RateLimitName = 'submit' | 'prepay' | 'tokens' | 'devTokens' | 'callback';

/**
 * The rate limiter: @nestjs/throttler's guard, driven by the route table above instead of decorators
 * on every controller, counting in Redis (RedisThrottlerStorage, shared by all instances).
 * Runs after the JWT guard (registered after it), so per-user limits key on the token's `sub`.
 * Over the limit: 429 RATE_LIMITED in the error envelope with Retry-After.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  @Inject(rateLimitConfig.KEY) private readonly rl!: ConfigType<typeof rateLimitConfig>;

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (!this.rl.enabled) return true;
    const req = context.switchToHttp().getRequest();
    const route = RATE_LIMITED_ROUTES[`${req.method} ${req.routeOptions?.url ?? ''}`];
    if (!route) return true;
    const throttler = this.throttlers.find((t) => t.name === route.limit);
    if (!throttler) return true;
    const ttl = this.rl.windowMs;
    return this.handleRequest({
      context,
      limit: throttler.limit as number,
      ttl,
      blockDuration: ttl,
      throttler,
      getTracker: (r: Record<string, any>) =>
        route.per === 'user' && r.user?.userId ? `u:${r.user.userId}` : `ip:${r.ip}`,
      generateKey: (_ctx, tracker, name) => `${name}:${tracker}`,
    });
  }

  protected async throwThrottlingException(
    _context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    throw new DomainError(
      ErrorCode.RATE_LIMITED,
      'Too many requests; retry later',
      { limit: detail.limit, windowMs: detail.ttl },
      { 'Retry-After': String(Math.max(1, detail.timeToBlockExpire)) },
    );
  }
}
