import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The sandbox gateway's refunds (issue 12): one row per refund request number of a trade, the trade's
 * cumulative refunded amount and its refund fault switches, and the refund number on notify attempts.
 */
export class SandboxRefunds1733200000000 implements MigrationInterface {
  name = 'SandboxRefunds1733200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE sandbox_refund (
      id BIGINT NOT NULL AUTO_INCREMENT,
      out_trade_no VARCHAR(64) NOT NULL,
      out_request_no VARCHAR(64) NOT NULL,
      refund_amount BIGINT NOT NULL,
      refund_reason VARCHAR(256) NULL,
      status VARCHAR(16) NOT NULL,
      refund_fee_after BIGINT NULL,
      notify_id VARCHAR(64) NULL,
      notify_url VARCHAR(512) NULL,
      gmt_refund DATETIME(3) NULL,
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      PRIMARY KEY (id),
      UNIQUE KEY uq_sandbox_refund_request (out_trade_no, out_request_no),
      KEY idx_sandbox_refund_gmt (gmt_refund)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await q.query(`ALTER TABLE sandbox_trade
      ADD COLUMN refund_fee BIGINT NOT NULL DEFAULT 0,
      ADD COLUMN refund_fault VARCHAR(24) NULL,
      ADD COLUMN refund_fault_left INT NOT NULL DEFAULT 0,
      ADD COLUMN refund_query_fault VARCHAR(24) NULL,
      ADD COLUMN refund_query_fault_left INT NOT NULL DEFAULT 0,
      ADD COLUMN refund_notify_mode VARCHAR(24) NULL,
      ADD COLUMN refund_notify_times INT NULL,
      ADD COLUMN refund_notify_delay_ms INT NULL`);
    await q.query(`ALTER TABLE sandbox_notify_attempt ADD COLUMN out_biz_no VARCHAR(64) NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE sandbox_notify_attempt DROP COLUMN out_biz_no`);
    await q.query(`ALTER TABLE sandbox_trade
      DROP COLUMN refund_fee, DROP COLUMN refund_fault, DROP COLUMN refund_fault_left,
      DROP COLUMN refund_query_fault, DROP COLUMN refund_query_fault_left,
      DROP COLUMN refund_notify_mode, DROP COLUMN refund_notify_times, DROP COLUMN refund_notify_delay_ms`);
    await q.query(`DROP TABLE sandbox_refund`);
  }
}
