import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One success path (issue 11): `t_order.paid_by` records which payment paid the order (so the order
 * side can tell a repeat of the same payment from a second payment), and `idx_payment_closed` lets
 * the payment sweeper find recently closed payments of reopened orders (paid at the gateway after
 * the close).
 */
export class OneSuccessPath1733100000000 implements MigrationInterface {
  name = 'OneSuccessPath1733100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE t_order ADD COLUMN paid_by VARCHAR(40) NULL AFTER paid_at`);
    await q.query(`ALTER TABLE t_payment ADD KEY idx_payment_closed (status, closed_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE t_payment DROP KEY idx_payment_closed`);
    await q.query(`ALTER TABLE t_order DROP COLUMN paid_by`);
  }
}
