import { BullModule, getQueueToken } from '@nestjs/bull';
import { DynamicModule } from '@nestjs/common';
import type { Queue } from 'bull';
import { RedisFactory } from '../redis/redis.factory';
import { EnqueueRetry } from './enqueue-retry';
import { QUEUES } from './queue.constants';

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

/**
 * Registers queues the oncepay way (use it instead of `BullModule.registerQueue`):
 * - each queue gets its own Bull prefix and so its own hash tag, `{<REDIS_KEY_PREFIX><queue>}`
 *   (on a Redis Cluster, a failed master stops only the queues whose slot it served);
 * - each queue's `add` is watched by EnqueueRetry: an add that fails (a failover, Redis away) is
 *   tried again within seconds with the same options, i.e. the same fixed jobId.
 */
export function registerQueues(...names: QueueName[]): DynamicModule {
  return BullModule.registerQueueAsync(
    ...names.map((name) => ({
      name,
      inject: [RedisFactory],
      useFactory: (f: RedisFactory) => ({ prefix: f.queuePrefix(name) }),
      extraProviders: [
        {
          provide: `oncepay:enqueue-retry:${name}`,
          inject: [getQueueToken(name), EnqueueRetry],
          useFactory: (q: Queue, retry: EnqueueRetry) => retry.watch(q),
        },
      ],
    })),
  );
}
