import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import Redis, { Cluster, ClusterOptions, RedisOptions } from 'ioredis';
import { redisConfig } from '../../config/configuration';
import { MetricsService } from '../metrics/metrics.service';

export const REDIS = Symbol('REDIS');

/** A single-node client or a Redis Cluster client: both speak the same commands. */
export type RedisClient = Redis | Cluster;

/**
 * The one place Redis connections are made: the app's command client (guards, locks, keys) and
 * Bull's connections all come from here, with the deployment's key prefix. `REDIS_URL` gives
 * single-node clients, `REDIS_CLUSTER_NODES` gives `Redis.Cluster` clients (same options, per node).
 *
 * The command client fails fast when Redis is away (one retry, a command timeout, no endless
 * offline queue) so that the guards can fail closed with 503 instead of hanging a request.
 *
 * Every client's connection errors are logged (at most once per client per 10 s, with the count
 * since) and counted in `oncepay_redis_errors_total{client}`: never swallowed.
 */
@Injectable()
export class RedisFactory {
  private readonly logger = new Logger('Redis');
  private readonly sharedBull = new Map<'client' | 'subscriber', RedisClient>();

  constructor(
    @Inject(redisConfig.KEY) private readonly cfg: ConfigType<typeof redisConfig>,
    @Optional() private readonly metrics?: MetricsService,
  ) {}

  get keyPrefix(): string {
    return this.cfg.keyPrefix;
  }

  get isCluster(): boolean {
    return this.cfg.clusterNodes.length > 0;
  }

  /** Command client with the key prefix applied by ioredis (also to EVAL keys). */
  createClient(name = 'oncepay'): RedisClient {
    const opts: RedisOptions = {
      connectionName: name,
      maxRetriesPerRequest: 1,
      commandTimeout: this.cfg.commandTimeoutMs,
      connectTimeout: 2000,
      retryStrategy: (times) => Math.min(times * 100, 2000),
    };
    const client = this.isCluster
      ? new Cluster(this.seedNodes(), {
          ...this.clusterOptions(opts),
          keyPrefix: this.cfg.keyPrefix,
          // a request waits at most about one command timeout for a moved or failed-over slot
          retryDelayOnFailover: 100,
          retryDelayOnClusterDown: 100,
          retryDelayOnTryAgain: 100,
          maxRedirections: Math.max(4, Math.ceil(this.cfg.commandTimeoutMs / 100)),
          clusterRetryStrategy: (times) => Math.min(times * 100, 2000),
        })
      : new Redis(this.cfg.url, { ...opts, keyPrefix: this.cfg.keyPrefix });
    return this.watch(client, name);
  }

  /**
   * Bull's connection of one type for one queue. The `client` (commands) and the `subscriber`
   * (pub/sub events) are one connection each, shared by every queue of the app: every command of
   * Bull names its full keys and every queue's listener picks its own channels, and Bull gives all
   * queues the same options (queue.module.ts). The blocking `bclient` stays one per queue, since a
   * blocking wait holds its connection (Bull's "reusing Redis connections" pattern). This cut the
   * Redis connections of an instance from about 25 to 11.
   */
  bullClient(type: 'client' | 'subscriber' | 'bclient', extra: RedisOptions = {}): RedisClient {
    if (type === 'bclient') return this.createBullClient(type, extra);
    let shared = this.sharedBull.get(type);
    if (!shared) {
      shared = this.createBullClient(type, extra);
      // each queue adds its own 'error' listener (and, on the subscriber, 'message' and 'pmessage')
      shared.setMaxListeners(0);
      this.sharedBull.set(type, shared);
    }
    return shared;
  }

  /**
   * A new Bull connection: Bull owns the prefix itself and needs blocking-friendly options
   * (`maxRetriesPerRequest: null`, `enableReadyCheck: false`, Bull's documented cluster settings).
   */
  private createBullClient(type: 'client' | 'subscriber' | 'bclient', extra: RedisOptions = {}): RedisClient {
    const opts: RedisOptions = {
      ...extra,
      connectionName: `oncepay-bull-${type}`,
      maxRetriesPerRequest: null,
      enableReadyCheck: false,
      connectTimeout: 2000,
      retryStrategy: (times) => Math.min(times * 200, 2000),
    };
    const client = this.isCluster
      ? new Cluster(this.seedNodes(), {
          ...this.clusterOptions(opts),
          enableReadyCheck: false,
          // an add during a failover fails after ~2 s; EnqueueRetry then adds it again (same jobId)
          retryDelayOnFailover: 200,
          retryDelayOnClusterDown: 200,
          retryDelayOnTryAgain: 200,
          maxRedirections: 10,
          clusterRetryStrategy: (times) => Math.min(times * 200, 2000),
        })
      : new Redis(this.cfg.url, opts);
    return this.watch(client, `bull-${type}`);
  }

  /**
   * Bull's key prefix for one queue: its own hash tag, `{<REDIS_KEY_PREFIX><queue>}`, so every key of
   * that queue lands in one Redis Cluster slot (Bull's scripts need that) and each queue lives on
   * the master of its own slot: losing one master stops only the queues on it.
   */
  queuePrefix(queue: string): string {
    return `{${this.cfg.keyPrefix}${queue}}`;
  }

  private seedNodes() {
    return this.cfg.clusterNodes.map((n) => ({ host: n.host, port: n.port }));
  }

  private clusterOptions(node: RedisOptions): ClusterOptions {
    const first = this.cfg.clusterNodes[0];
    return {
      redisOptions: {
        ...node,
        username: first?.username,
        password: first?.password,
        tls: first?.tls ? {} : undefined,
      },
      slotsRefreshTimeout: 2000,
      // a failed-over slot is found again without waiting for a MOVED
      slotsRefreshInterval: 2000,
    };
  }

  private watch<T extends RedisClient>(client: T, name: string): T {
    const errors = this.metrics?.counter(
      'oncepay_redis_errors_total',
      'Redis connection and command errors seen by a client, by client',
      ['client'],
    );
    let lastLog = 0;
    let since = 0;
    const onError = (err: Error) => {
      errors?.inc({ client: name });
      since++;
      const now = Date.now();
      if (now - lastLog >= 10_000) {
        this.logger.warn(
          `${name}: ${err.message}${since > 1 ? ` (${since} errors since the last log)` : ''}`,
        );
        lastLog = now;
        since = 0;
      }
    };
    client.on('error', onError);
    // a cluster reports a node it cannot reach as 'node error' (the command then retries elsewhere)
    if (client instanceof Cluster) {
      client.on('node error', (err: Error, key: string) =>
        onError(new Error(`node ${key}: ${err?.message ?? err}`)),
      );
    }
    return client;
  }
}
