import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The sandbox gateway's state (the Alipay simulator). In MySQL so that every instance of oncepay
 * sees one gateway. Amounts are fen here too; the protocol layer converts to yuan.
 */
export class Sandbox1732352000000 implements MigrationInterface {
  name = 'Sandbox1732352000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE sandbox_key (
      name VARCHAR(32) NOT NULL,
      private_pem TEXT NULL,
      public_pem TEXT NOT NULL,
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      PRIMARY KEY (name)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await q.query(`CREATE TABLE sandbox_trade (
      id BIGINT NOT NULL AUTO_INCREMENT,
      out_trade_no VARCHAR(64) NOT NULL,
      trade_no VARCHAR(64) NOT NULL,
      app_id VARCHAR(32) NOT NULL,
      total_amount BIGINT NOT NULL,
      subject VARCHAR(256) NOT NULL,
      time_expire VARCHAR(32) NULL,
      notify_url VARCHAR(512) NULL,
      params_hash CHAR(64) NOT NULL,
      qr_code VARCHAR(256) NOT NULL,
      status VARCHAR(24) NOT NULL DEFAULT 'WAIT_BUYER_PAY',
      scanned TINYINT NOT NULL DEFAULT 0,
      buyer_id VARCHAR(32) NULL,
      success_notify_id VARCHAR(64) NULL,
      close_notify_id VARCHAR(64) NULL,
      query_fault VARCHAR(24) NULL,
      query_fault_left INT NOT NULL DEFAULT 0,
      close_fault VARCHAR(24) NULL,
      close_fault_left INT NOT NULL DEFAULT 0,
      paid_after_close TINYINT NOT NULL DEFAULT 0,
      gmt_create DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      gmt_payment DATETIME(3) NULL,
      gmt_close DATETIME(3) NULL,
      version INT NOT NULL DEFAULT 0,
      PRIMARY KEY (id),
      UNIQUE KEY uq_sandbox_trade_out (out_trade_no),
      UNIQUE KEY uq_sandbox_trade_no (trade_no),
      KEY idx_sandbox_trade_payment (gmt_payment)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await q.query(`CREATE TABLE sandbox_notify_attempt (
      id BIGINT NOT NULL AUTO_INCREMENT,
      out_trade_no VARCHAR(64) NOT NULL,
      notify_id VARCHAR(64) NOT NULL,
      trade_status VARCHAR(24) NOT NULL,
      mode VARCHAR(24) NOT NULL,
      seq INT NOT NULL,
      copy INT NOT NULL DEFAULT 1,
      outcome VARCHAR(16) NOT NULL DEFAULT 'SENDING',
      http_status INT NULL,
      response_body VARCHAR(256) NULL,
      error VARCHAR(256) NULL,
      payload TEXT NULL,
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      finished_at DATETIME(3) NULL,
      PRIMARY KEY (id),
      UNIQUE KEY uq_sandbox_attempt (notify_id, seq, copy),
      KEY idx_sandbox_attempt_trade (out_trade_no)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE sandbox_notify_attempt`);
    await q.query(`DROP TABLE sandbox_trade`);
    await q.query(`DROP TABLE sandbox_key`);
  }
}
