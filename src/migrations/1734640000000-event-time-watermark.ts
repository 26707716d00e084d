import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The event sequencer's watermark becomes a time (src/events/commit-horizon.ts): every outbox row
 * created before it is decided. An id watermark cannot be made safe on a Galera cluster, where a node
 * that lags in applying may still allocate an id below one already committed elsewhere. The scan reads
 * t_outbox by created_at, so that column gets an index.
 */
export class EventTimeWatermark1734640000000 implements MigrationInterface {
  name = 'EventTimeWatermark1734640000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE t_event_sequencer ADD COLUMN time_watermark DATETIME(3) NULL`);
    await q.query(`ALTER TABLE t_event_sequencer DROP COLUMN outbox_watermark`);
    await q.query(`ALTER TABLE t_outbox ADD KEY idx_outbox_created (created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE t_outbox DROP KEY idx_outbox_created`);
    await q.query(`ALTER TABLE t_event_sequencer ADD COLUMN outbox_watermark BIGINT NOT NULL DEFAULT 0`);
    await q.query(`ALTER TABLE t_event_sequencer DROP COLUMN time_watermark`);
  }
}
