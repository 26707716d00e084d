import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Events out (src/events): the gap-free event feed (t_event, positions assigned by one sequencer),
 * webhook endpoints, one delivery row per (endpoint, event) and every attempt of it.
 */
export class EventsOut1734500000000 implements MigrationInterface {
  name = 'EventsOut1734500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE t_event (
      position BIGINT NOT NULL,
      id VARCHAR(40) NOT NULL,
      type VARCHAR(64) NOT NULL,
      resource VARCHAR(100) NOT NULL,
      version INT NOT NULL,
      outbox_id BIGINT NOT NULL,
      data JSON NOT NULL,
      created_at DATETIME(3) NOT NULL,
      sequenced_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      PRIMARY KEY (position),
      UNIQUE KEY uq_event_id (id),
      UNIQUE KEY uq_event_source (outbox_id, type),
      KEY idx_event_resource (resource, version)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await q.query(`CREATE TABLE t_event_sequencer (
      id TINYINT NOT NULL,
      outbox_watermark BIGINT NOT NULL DEFAULT 0,
      lease_owner VARCHAR(64) NULL,
      lease_until DATETIME(3) NULL,
      PRIMARY KEY (id)
    ) ENGINE=InnoDB`);
    await q.query(`INSERT INTO t_event_sequencer (id, outbox_watermark) VALUES (1, 0)`);
    await q.query(`CREATE TABLE t_webhook_endpoint (
      id VARCHAR(40) NOT NULL,
      url VARCHAR(2048) NOT NULL,
      events JSON NOT NULL,
      secret VARCHAR(128) NOT NULL,
      previous_secret VARCHAR(128) NULL,
      previous_secret_until DATETIME(3) NULL,
      status VARCHAR(16) NOT NULL DEFAULT 'ENABLED',
      disabled_reason VARCHAR(255) NULL,
      disabled_at DATETIME(3) NULL,
      failing_since DATETIME(3) NULL,
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      PRIMARY KEY (id),
      KEY idx_webhook_endpoint_status (status)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await q.query(`CREATE TABLE t_webhook_delivery (
      id BIGINT NOT NULL AUTO_INCREMENT,
      endpoint_id VARCHAR(40) NOT NULL,
      event_position BIGINT NOT NULL,
      event_id VARCHAR(40) NOT NULL,
      status VARCHAR(16) NOT NULL DEFAULT 'PENDING',
      attempts INT NOT NULL DEFAULT 0,
      available_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      leased_until DATETIME(3) NULL,
      lease_token VARCHAR(40) NULL,
      delivered_at DATETIME(3) NULL,
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      PRIMARY KEY (id),
      UNIQUE KEY uq_webhook_delivery (endpoint_id, event_position),
      KEY idx_webhook_delivery_due (status, available_at),
      KEY idx_webhook_delivery_event (event_id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await q.query(`CREATE TABLE t_webhook_attempt (
      id BIGINT NOT NULL AUTO_INCREMENT,
      delivery_id BIGINT NOT NULL,
      endpoint_id VARCHAR(40) NOT NULL,
      event_id VARCHAR(40) NOT NULL,
      attempt INT NOT NULL,
      started_at DATETIME(3) NOT NULL,
      latency_ms INT NOT NULL,
      status_code INT NULL,
      error VARCHAR(255) NULL,
      response_body VARCHAR(1024) NULL,
      outcome VARCHAR(16) NOT NULL,
      next_attempt_at DATETIME(3) NULL,
      PRIMARY KEY (id),
      KEY idx_webhook_attempt_endpoint (endpoint_id, id),
      KEY idx_webhook_attempt_delivery (delivery_id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE t_webhook_attempt`);
    await q.query(`DROP TABLE t_webhook_delivery`);
    await q.query(`DROP TABLE t_webhook_endpoint`);
    await q.query(`DROP TABLE t_event_sequencer`);
    await q.query(`DROP TABLE t_event`);
  }
}
