import { Global, Inject, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { REDIS, RedisClient, RedisFactory } from './redis.factory';

@Global()
@Module({
  providers: [
    RedisFactory,
    {
      provide: REDIS,
      inject: [RedisFactory],
      useFactory: (f: RedisFactory) => f.createClient(),
    },
  ],
  exports: [REDIS, RedisFactory],
})
export class RedisModule implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    private readonly factory: RedisFactory,
  ) {}

  /**
   * A single-node client pointed at a node of a Redis Cluster would answer MOVED for most keys
   * (and refuse SELECT): refuse to start instead. A Redis that is away is not checked here: the app
   * starts and its guards fail closed until it is back.
   */
  async onModuleInit(): Promise<void> {
    if (this.factory.isCluster) return;
    const info = await Promise.race([
      this.redis.info('cluster').catch(() => ''),
      new Promise<string>((r) => setTimeout(() => r(''), 1500).unref()),
    ]);
    if (/cluster_enabled:1/.test(info)) {
      throw new Error(
        'REDIS_URL points at a node of a Redis Cluster: set REDIS_CLUSTER_NODES (and unset REDIS_URL) instead',
      );
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
