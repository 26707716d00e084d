import { BullModule } from '@nestjs/bull';
import { Global, Module } from '@nestjs/common';
import { RedisFactory } from '../redis/redis.factory';
import { DEFAULT_JOB_OPTIONS } from './queue.constants';

/** Bull, wired to the shared Redis factory. Queues are registered by the module that owns them. */
@Global()
@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [RedisFactory],
      useFactory: (f: RedisFactory) => ({
        prefix: f.bullPrefix,
        defaultJobOptions: DEFAULT_JOB_OPTIONS,
        createClient: (type, opts) => {
          const c = f.createBullClient(type, opts);
          c.on('error', () => undefined);
          return c;
        },
      }),
    }),
  ],
  exports: [BullModule],
})
export class QueueModule {}
