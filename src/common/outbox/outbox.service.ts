import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { markOutboxWritten } from './outbox-commit.subscriber';
import { OutboxEvent } from './outbox.entity';

/**
 * Writes events into t_outbox inside the caller's transaction: the event exists if and only if the
 * change it announces committed. OutboxRelay (this folder) publishes pending rows to the Bull queue
 * `outbox`, nudged as soon as the transaction commits; the callback module consumes them.
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
      // no read-back of the row's defaults: one round trip less inside every apply transaction
      .updateEntity(false)
      .execute();
    markOutboxWritten(manager.queryRunner);
  }
}
