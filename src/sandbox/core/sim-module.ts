import { Process, Processor } from '@nestjs/bull';
import { DynamicModule, Inject, Type } from '@nestjs/common';
import type { Job } from 'bull';
import { QueueName, registerQueues } from '../../common/queue/queue.register';
import { validateEnv } from '../../config/env.validation';
import { SimNotifier, SimNotifyJob } from './sim-notifier';

/**
 * Whether the sandbox is on for an environment: PAYMENT_GATEWAY=sandbox outside production. An invalid
 * environment counts as off (main.ts reports it properly).
 */
export function sandboxEnabledIn(raw: Record<string, string | undefined> = process.env): boolean {
  try {
    const e = validateEnv(raw);
    return e.PAYMENT_GATEWAY === 'sandbox' && e.NODE_ENV !== 'production';
  } catch {
    return false;
  }
}

/**
 * A face's module, registered only when the sandbox is on (else empty: production never gets its routes,
 * queue or processor); `queue` is the face's notify queue, registered with it.
 */
export function simModule(
  module: Type,
  raw: Record<string, string | undefined>,
  { queue, imports = [], ...rest }: Omit<DynamicModule, 'module'> & { queue?: QueueName },
): DynamicModule {
  if (!sandboxEnabledIn(raw)) return { module };
  return { module, imports: queue ? [registerQueues(queue), ...imports] : imports, ...rest };
}

/**
 * A face's notify queue consumer, written once: it delivers the core's notifies (concurrency lets
 * `duplicate` copies and many trades go out together) and hands the face's settle jobs (`kind: 'settle'`)
 * to `settle` on the face's service `F`.
 */
export function simNotifyProcessor<F>(
  name: string,
  queue: string,
  notify: Type<{ core: SimNotifier }>,
  settle?: { face: Type<F>; run: (face: F, job: { kind: 'settle' }) => Promise<void> },
): Type {
  @Processor(queue)
  class SimNotifyProcessor {
    constructor(
      @Inject(notify) private readonly notify: { core: SimNotifier },
      @Inject(settle?.face ?? notify) private readonly face: F,
    ) {}

    @Process({ concurrency: 16 })
    async handle(job: Job<SimNotifyJob | { kind: 'settle' }>): Promise<void> {
      if (job.data.kind === 'settle' && settle) await settle.run(this.face, job.data);
      else await this.notify.core.deliver(job.data as SimNotifyJob);
    }
  }
  Object.defineProperty(SimNotifyProcessor, 'name', { value: name });
  return SimNotifyProcessor;
}
