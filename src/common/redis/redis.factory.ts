import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import Redis, { RedisOptions } from 'ioredis';
import { redisConfig } from '../../config/configuration';

export const REDIS = Symbol('REDIS');

/**
 * The one place Redis connections are made: the app's command client (guards, locks, keys) and
 * Bull's three connections all come from here, with the deployment's key prefix.
 *
 * The command client fails fast when Redis is away (one retry, a command timeout, no endless
 * offline queue) so that the guards can fail closed with 503 instead of hanging a request.
 */
@Injectable()
export class RedisFactory {
  constructor(@Inject(redisConfig.KEY) private readonly cfg: ConfigType<typeof redisConfig>) {}

  get keyPrefix(): string {
    return this.cfg.keyPrefix;
  }

  /** Command client with the key prefix applied by ioredis (also to EVAL keys). */
  createClient(name = 'oncepay'): Redis {
    return new Redis(this.cfg.url, {
      connectionName: name,
      keyPrefix: this.cfg.keyPrefix,
      maxRetriesPerRequest: 1,
      commandTimeout: this.cfg.commandTimeoutMs,
      connectTimeout: 2000,
      retryStrategy: (times) => Math.min(times * 100, 2000),
    });
  }

  /** Bull connections: Bull owns the prefix itself and needs blocking-friendly options. */
  createBullClient(type: 'client' | 'subscriber' | 'bclient', extra: RedisOptions = {}): Redis {
    return new Redis(this.cfg.url, {
      ...extra,
      connectionName: `oncepay-bull-${type}`,
      maxRetriesPerRequest: null,
      enableReadyCheck: false,
      connectTimeout: 2000,
      retryStrategy: (times) => Math.min(times * 200, 2000),
    });
  }

  /** Bull's key prefix: a hash tag so every key of one queue lands in one Redis Cluster slot. */
  get bullPrefix(): string {
    return `{${this.cfg.keyPrefix}bull}`;
  }
}
