import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * t_callback_log: every gateway notify, kept raw before anything else is done with it.
 *
 * One row per receipt in sync mode (`dedup` NULL). In buffered mode a verified notify is appended
 * with `dedup = 1` through INSERT IGNORE, so UNIQUE(channel, notify_id, trade_status, dedup) keeps
 * one row per notification and status; NULLs never collide, so receipts logged in sync mode, and
 * forged notifies, can never occupy the slot of a genuine buffered one.
 */
export class Callbacks1732353000000 implements MigrationInterface {
  name = 'Callbacks1732353000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE t_callback_log (
      id BIGINT NOT NULL AUTO_INCREMENT,
      channel VARCHAR(16) NOT NULL,
      notify_id VARCHAR(128) NULL,
      trade_status VARCHAR(32) NULL,
      out_trade_no VARCHAR(64) NULL,
      raw_body MEDIUMTEXT NOT NULL,
      verified TINYINT NOT NULL DEFAULT 0,
      outcome VARCHAR(32) NOT NULL DEFAULT 'RECEIVED',
      detail VARCHAR(255) NULL,
      dedup TINYINT NULL,
      attempts INT NOT NULL DEFAULT 0,
      available_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      applied_at DATETIME(3) NULL,
      received_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      PRIMARY KEY (id),
      UNIQUE KEY uq_callback_notify (channel, notify_id, trade_status, dedup),
      KEY idx_callback_buffer (dedup, applied_at, available_at),
      KEY idx_callback_trade (out_trade_no)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE t_callback_log`);
  }
}
