import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { markOutboxWritten } from './outbox-commit.subscriber';

/**
 * Writes events into t_outbox inside the caller's transaction: the event exists if and only if the
 * change it announces committed. OutboxRelay (this folder) publishes pending rows to the Bull queue
 * `outbox`, nudged as soon as the transaction commits; the callback module consumes them.
 */
@Injectable()
export class OutboxService {
  /** `eventKey` must be deterministic for the event (it becomes the Bull jobId). UNIQUE(topic, event_key). */
  async add(manager: EntityManager, topic: string, eventKey: string, payload: object): Promise<void> {
    // plain SQL, as the repositories write: TypeORM's insert builder (entity metadata, expression map,
    // column escaping) cost a measurable share of the CPU of every apply transaction (issue 28); no
    // subscriber listens to t_outbox inserts, and no row default is read back. The row is the one the
    // builder wrote (OutboxEvent: created_at, attempts and the id from the table's defaults).
    await manager.query(
      `INSERT IGNORE INTO t_outbox (topic, event_key, payload, status, available_at)
       VALUES (?, ?, ?, 'PENDING', CURRENT_TIMESTAMP(3))`,
      [topic, eventKey, JSON.stringify(payload)],
    );
    markOutboxWritten(manager.queryRunner);
  }
}
