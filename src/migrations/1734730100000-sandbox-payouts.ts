import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The payout simulator's state (src/sandbox/payouts): the payees it knows (with a fault armed for the
 * next transfer to one), and every transfer it made, one row per (protocol, out_no) — so "one transfer
 * at the gateway" is a row count, and a number sent with other parameters is counted, never made twice.
 */
export class SandboxPayouts1734730100000 implements MigrationInterface {
  name = 'SandboxPayouts1734730100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE sandbox_payee (
      protocol VARCHAR(8) NOT NULL,
      identity VARCHAR(128) NOT NULL,
      name VARCHAR(100) NULL,
      fault VARCHAR(32) NULL,
      fault_n INT NOT NULL DEFAULT 0,
      fault_ms INT NOT NULL DEFAULT 0,
      PRIMARY KEY (protocol, identity)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
    await q.query(`CREATE TABLE sandbox_transfer (
      id BIGINT NOT NULL AUTO_INCREMENT,
      protocol VARCHAR(8) NOT NULL,
      out_no VARCHAR(64) NOT NULL,
      app_id VARCHAR(64) NULL,
      order_id VARCHAR(64) NOT NULL,
      payee_identity VARCHAR(128) NOT NULL,
      amount BIGINT NOT NULL,
      params_hash CHAR(64) NOT NULL,
      status VARCHAR(24) NOT NULL,
      fail_reason VARCHAR(64) NULL,
      calls INT NOT NULL DEFAULT 1,
      inconsistent_calls INT NOT NULL DEFAULT 0,
      queries INT NOT NULL DEFAULT 0,
      hide_queries INT NOT NULL DEFAULT 0,
      close_at DATETIME(3) NULL,
      created_at DATETIME(3) NOT NULL,
      updated_at DATETIME(3) NOT NULL,
      PRIMARY KEY (id),
      UNIQUE KEY uq_sandbox_transfer (protocol, out_no)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE sandbox_transfer');
    await q.query('DROP TABLE sandbox_payee');
  }
}
