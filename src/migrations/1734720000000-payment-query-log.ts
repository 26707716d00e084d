import { MigrationInterface, QueryRunner } from 'typeorm';
import { exactCollation } from './1733000000000-exact-identifiers';

/**
 * Issue 24: every active query of a payment's gateway and its answer, for the payment's timeline
 * (src/payment/query-log). One row per question asked: who asked (the query job, the sweeper, the
 * expiry close), the answer's state and when it came, and what the answer led to. Never a raw body.
 */
export class PaymentQueryLog1734720000000 implements MigrationInterface {
  name = 'PaymentQueryLog1734720000000';

  async up(q: QueryRunner): Promise<void> {
    const exact = `CHARACTER SET utf8mb4 COLLATE ${await exactCollation(q)}`;
    await q.query(`CREATE TABLE t_payment_query_log (
      id BIGINT NOT NULL AUTO_INCREMENT,
      payment_no VARCHAR(64) ${exact} NOT NULL,
      channel VARCHAR(16) NOT NULL,
      source VARCHAR(16) NOT NULL,
      attempt INT NULL,
      answer VARCHAR(16) NOT NULL,
      detail VARCHAR(255) NULL,
      outcome VARCHAR(16) NOT NULL,
      asked_at DATETIME(3) NOT NULL,
      answered_at DATETIME(3) NOT NULL,
      PRIMARY KEY (id),
      KEY idx_query_log_payment (payment_no, id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE t_payment_query_log');
  }
}
