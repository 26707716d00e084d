import { Module } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { ThrottlerModule } from '@nestjs/throttler';
import type Redis from 'ioredis';
import { rateLimitConfig } from '../../config/configuration';
import { MetricsService } from '../metrics/metrics.service';
import { REDIS } from '../redis/redis.factory';
import { RedisThrottlerStorage } from './redis-throttler.storage';

/** @nestjs/throttler with our Redis storage; the guard itself is registered by AuthModule (after the JWT guard). */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [rateLimitConfig.KEY, REDIS, MetricsService],
      useFactory: (rl: ConfigType<typeof rateLimitConfig>, redis: Redis, metrics: MetricsService) => {
        const storeErrors = metrics.counter(
          'oncepay_rate_limit_store_errors_total',
          'Rate-limit checks let through because Redis did not answer (fail-open)',
          [],
        );
        return {
          storage: new RedisThrottlerStorage(redis, () => storeErrors.inc()),
          throttlers: [
            { name: 'submit', limit: rl.submit, ttl: rl.windowMs },
            { name: 'prepay', limit: rl.prepay, ttl: rl.windowMs },
            { name: 'tokens', limit: rl.tokens, ttl: rl.windowMs },
            { name: 'devTokens', limit: rl.devTokens, ttl: rl.windowMs },
            { name: 'callback', limit: rl.callback, ttl: rl.windowMs },
          ],
        };
      },
    }),
  ],
})
export class RateLimitModule {}
