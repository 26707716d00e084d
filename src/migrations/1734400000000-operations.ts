import { MigrationInterface, QueryRunner } from 'typeorm';
import { exactCollation } from './1733000000000-exact-identifiers';

/**
 * Operations (issue 24).
 *
 * - t_payment_anomaly gets a state: `OPEN → AUTO_REFUNDED` (the late money went back under `refund_no`)
 *   `| RESOLVED` (an operator, `resolved_by`, with `resolution_note`); `refund_no` is set while the
 *   automatic refund is under way, `failed_reason` says why it did not (yet) succeed. Existing rows are
 *   OPEN. KEY(status, id) serves the admin list (newest first, by status).
 * - t_reconciliation_run: every reconciliation run, scheduled or asked for: the day, the channels whose
 *   bills were read, the counts, and each mismatch with whether it was repaired (JSON), or why the run
 *   failed.
 */
export class Operations1734400000000 implements MigrationInterface {
  name = 'Operations1734400000000';

  async up(q: QueryRunner): Promise<void> {
    const exact = `CHARACTER SET utf8mb4 COLLATE ${await exactCollation(q)}`;
    await q.query(`ALTER TABLE t_payment_anomaly
      ADD COLUMN status VARCHAR(16) NOT NULL DEFAULT 'OPEN',
      ADD COLUMN refund_no VARCHAR(40) ${exact} NULL,
      ADD COLUMN failed_reason VARCHAR(256) NULL,
      ADD COLUMN resolved_by VARCHAR(64) ${exact} NULL,
      ADD COLUMN resolution_note VARCHAR(512) NULL,
      ADD COLUMN resolved_at DATETIME(3) NULL,
      ADD COLUMN version INT NOT NULL DEFAULT 0,
      ADD COLUMN updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
      ADD KEY idx_payment_anomaly_status (status, id),
      ADD KEY idx_payment_anomaly_refund (refund_no)`);
    await q.query(`CREATE TABLE t_reconciliation_run (
      id BIGINT NOT NULL AUTO_INCREMENT,
      bill_date CHAR(10) NOT NULL,
      channels VARCHAR(64) NOT NULL,
      \`trigger\` VARCHAR(16) NOT NULL,
      requested_by VARCHAR(64) ${exact} NULL,
      status VARCHAR(16) NOT NULL,
      checked INT NOT NULL DEFAULT 0,
      mismatch_count INT NOT NULL DEFAULT 0,
      repaired_count INT NOT NULL DEFAULT 0,
      mismatches JSON NULL,
      error VARCHAR(512) NULL,
      started_at DATETIME(3) NOT NULL,
      finished_at DATETIME(3) NULL,
      PRIMARY KEY (id),
      KEY idx_reconciliation_run_date (bill_date, id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE t_reconciliation_run`);
    await q.query(`ALTER TABLE t_payment_anomaly
      DROP KEY idx_payment_anomaly_status, DROP KEY idx_payment_anomaly_refund,
      DROP COLUMN status, DROP COLUMN refund_no, DROP COLUMN failed_reason, DROP COLUMN resolved_by,
      DROP COLUMN resolution_note, DROP COLUMN resolved_at, DROP COLUMN version, DROP COLUMN updated_at`);
  }
}

/** The identifier columns this migration adds (the identity test checks their collation). */
export const OPERATIONS_EXACT_COLUMNS = {
  t_payment_anomaly: ['refund_no', 'resolved_by'],
  t_reconciliation_run: ['requested_by'],
};
