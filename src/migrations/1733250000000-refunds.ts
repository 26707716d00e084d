import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Refunds (issue 12, service side): one row per refund request, its number (Alipay `out_request_no`)
 * stored before the gateway is called; and the payment's refunded amount, which is the reservation
 * "refunded + amount ≤ paid" is a CAS on (pending refunds included, released when one fails).
 */
export class Refunds1733250000000 implements MigrationInterface {
  name = 'Refunds1733250000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE t_refund (
      id BIGINT NOT NULL AUTO_INCREMENT,
      refund_no VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
      payment_no VARCHAR(40) NOT NULL,
      order_no VARCHAR(32) NOT NULL,
      user_id VARCHAR(64) NOT NULL,
      channel VARCHAR(16) NOT NULL,
      amount BIGINT NOT NULL,
      status VARCHAR(16) NOT NULL,
      reason VARCHAR(256) NOT NULL,
      restock TINYINT(1) NOT NULL DEFAULT 0,
      wallet_debit BIGINT NOT NULL DEFAULT 0,
      attempts INT NOT NULL DEFAULT 0,
      version INT NOT NULL DEFAULT 0,
      requested_by VARCHAR(64) NOT NULL,
      idempotency_key VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NULL,
      request_fingerprint CHAR(64) NULL,
      failed_reason VARCHAR(256) NULL,
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
      succeeded_at DATETIME(3) NULL,
      failed_at DATETIME(3) NULL,
      PRIMARY KEY (id),
      UNIQUE KEY uq_refund_no (refund_no),
      UNIQUE KEY uq_refund_requester_idem (requested_by, idempotency_key),
      KEY idx_refund_payment (payment_no, status),
      KEY idx_refund_order (order_no, id),
      KEY idx_refund_pending (status, updated_at)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await q.query(`ALTER TABLE t_payment ADD COLUMN refunded_amount BIGINT NOT NULL DEFAULT 0`);
    // PARTIALLY_REFUNDED is 18 characters
    await q.query(`ALTER TABLE t_order MODIFY status VARCHAR(24) NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE t_order MODIFY status VARCHAR(16) NOT NULL`);
    await q.query(`ALTER TABLE t_payment DROP COLUMN refunded_amount`);
    await q.query(`DROP TABLE t_refund`);
  }
}
