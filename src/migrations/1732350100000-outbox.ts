import { MigrationInterface, QueryRunner } from 'typeorm';

export class Outbox1732350100000 implements MigrationInterface {
  name = 'Outbox1732350100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE t_outbox (
      id BIGINT NOT NULL AUTO_INCREMENT,
      topic VARCHAR(64) NOT NULL,
      event_key VARCHAR(128) NOT NULL,
      payload JSON NOT NULL,
      status VARCHAR(16) NOT NULL DEFAULT 'PENDING',
      attempts INT NOT NULL DEFAULT 0,
      available_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      sent_at DATETIME(3) NULL,
      PRIMARY KEY (id),
      UNIQUE KEY uq_outbox_event (topic, event_key),
      KEY idx_outbox_pending (status, available_at)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE t_outbox`);
  }
}
