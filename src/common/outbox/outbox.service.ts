import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { OutboxEvent } from './outbox.entity';

/**
 * Writes events into t_outbox inside the caller's transaction: the event exists if and only if the
 * change it announces committed. The relay (callback module) publishes pending rows to Bull.
 */
@Injectable()
export class OutboxService {
  /** `eventKey` must be deterministic for the event (it becomes the Bull jobId). UNIQUE(topic, event_key). */
  async add(manager: EntityManager, topic: string, eventKey: string, payload: object): Promise<void> {
    await manager
      .createQueryBuilder()
      .insert()
      .into(OutboxEvent)
      .values({
        topic,
        eventKey,
        payload: payload as Record<string, unknown>,
        status: 'PENDING',
        availableAt: () => 'CURRENT_TIMESTAMP(3)',
      } as any)
      .orIgnore()
      .execute();
  }
}
