import { MigrationInterface, QueryRunner } from 'typeorm';
import { exactCollation } from './1733000000000-exact-identifiers';

/**
 * User refund requests (issue 12): a buyer asks for (part of) a paid order's money back; an admin
 * approves (which creates the refund, in the same transaction as the request's OPEN → APPROVED CAS) or
 * rejects. `open_flag` is 1 while the request is OPEN and NULL once decided, so
 * UNIQUE(order_no, open_flag) allows one open request per order and any number of decided ones.
 * Identifier columns compare byte for byte (binary NO PAD, as 1733000000000 asks of every new one).
 */
export class RefundRequests1733400000000 implements MigrationInterface {
  name = 'RefundRequests1733400000000';

  async up(q: QueryRunner): Promise<void> {
    const exact = `CHARACTER SET utf8mb4 COLLATE ${await exactCollation(q)}`;
    await q.query(`CREATE TABLE t_refund_request (
      id BIGINT NOT NULL AUTO_INCREMENT,
      request_no VARCHAR(40) ${exact} NOT NULL,
      order_no VARCHAR(32) ${exact} NOT NULL,
      user_id VARCHAR(64) ${exact} NOT NULL,
      amount BIGINT NOT NULL,
      reason VARCHAR(256) NOT NULL,
      status VARCHAR(16) NOT NULL,
      open_flag TINYINT NULL,
      refund_no VARCHAR(40) ${exact} NULL,
      decided_by VARCHAR(64) ${exact} NULL,
      reject_reason VARCHAR(256) NULL,
      idempotency_key VARCHAR(255) ${exact} NULL,
      request_fingerprint CHAR(64) ${exact} NULL,
      version INT NOT NULL DEFAULT 0,
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
      decided_at DATETIME(3) NULL,
      PRIMARY KEY (id),
      UNIQUE KEY uq_refund_request_no (request_no),
      UNIQUE KEY uq_refund_request_open (order_no, open_flag),
      UNIQUE KEY uq_refund_request_user_idem (user_id, idempotency_key),
      KEY idx_refund_request_status (status, id),
      KEY idx_refund_request_user (user_id, id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE t_refund_request`);
  }
}

/** The identifier columns of t_refund_request (the identity test checks their collation). */
export const REFUND_REQUEST_EXACT_COLUMNS = {
  t_refund_request: [
    'request_no',
    'order_no',
    'user_id',
    'refund_no',
    'decided_by',
    'idempotency_key',
    'request_fingerprint',
  ],
};
