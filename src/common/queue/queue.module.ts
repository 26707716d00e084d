import { BullModule } from '@nestjs/bull';
import { Global, Module } from '@nestjs/common';
import { RedisFactory } from '../redis/redis.factory';
import { EnqueueRetry } from './enqueue-retry';
import { DEFAULT_JOB_OPTIONS } from './queue.constants';

/**
 * Bull, wired to the shared Redis factory. Queues are registered by the module that owns them,
 * through `registerQueues(...)` (queue.register.ts), which gives each queue its own hash tag.
 */
@Global()
@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [RedisFactory],
      useFactory: (f: RedisFactory) => ({
        prefix: f.queuePrefix('default'),
        defaultJobOptions: DEFAULT_JOB_OPTIONS,
        createClient: (type, opts) => f.createBullClient(type, opts),
      }),
    }),
  ],
  providers: [EnqueueRetry],
  exports: [BullModule, EnqueueRetry],
})
export class QueueModule {}
