import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The payout simulator's WeChat notifies (MCHTRANSFER.BILL.FINISHED): where a bill's notify goes, how it
 * is delivered (normal, drop, duplicate, late, armed on the payee) and how many were sent.
 */
export class SandboxPayoutNotify1734730200000 implements MigrationInterface {
  name = 'SandboxPayoutNotify1734730200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE sandbox_payee
      ADD COLUMN notify_mode VARCHAR(16) NULL,
      ADD COLUMN notify_delay_ms INT NOT NULL DEFAULT 0`);
    await q.query(`ALTER TABLE sandbox_transfer
      ADD COLUMN mch_id VARCHAR(32) NULL,
      ADD COLUMN notify_url VARCHAR(255) NULL,
      ADD COLUMN notify_mode VARCHAR(16) NULL,
      ADD COLUMN notify_delay_ms INT NOT NULL DEFAULT 0,
      ADD COLUMN notifies INT NOT NULL DEFAULT 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE sandbox_transfer DROP COLUMN notifies, DROP COLUMN notify_delay_ms,
      DROP COLUMN notify_mode, DROP COLUMN notify_url, DROP COLUMN mch_id`);
    await q.query('ALTER TABLE sandbox_payee DROP COLUMN notify_delay_ms, DROP COLUMN notify_mode');
  }
}
