import { Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { REDIS, RedisFactory } from './redis.factory';

@Global()
@Module({
  providers: [
    RedisFactory,
    {
      provide: REDIS,
      inject: [RedisFactory],
      useFactory: (f: RedisFactory) => {
        const client = f.createClient();
        // errors surface on the commands; an 'error' listener keeps ioredis from logging unhandled events
        client.on('error', () => undefined);
        return client;
      },
    },
  ],
  exports: [REDIS, RedisFactory],
})
export class RedisModule implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
