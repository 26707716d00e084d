import { BullModule } from '@nestjs/bull';
import { Global, Module } from '@nestjs/common';
import { RedisFactory } from '../redis/redis.factory';
import { EnqueueRetry } from './enqueue-retry';
import { DEFAULT_JOB_OPTIONS } from './queue.constants';

/**
 * Bull, wired to the shared Redis factory. Queues are registered by the module that owns them,
 * through `registerQueues(...)` (queue.register.ts), which gives each queue its own hash tag. Every
 * queue gets the same connection options from here (a queue sets only its prefix), which is what lets
 * the queues share their command and subscriber connections (RedisFactory.bullClient).
 */
@Global()
@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [RedisFactory],
      useFactory: (f: RedisFactory) => ({
        prefix: f.queuePrefix('default'),
        defaultJobOptions: DEFAULT_JOB_OPTIONS,
        createClient: (type, opts) => f.bullClient(type, opts),
      }),
    }),
  ],
  providers: [EnqueueRetry],
  exports: [BullModule, EnqueueRetry],
})
export class QueueModule {}
