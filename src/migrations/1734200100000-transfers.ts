import { MigrationInterface, QueryRunner } from 'typeorm';
import { exactCollation } from './1733000000000-exact-identifiers';

/**
 * Wallet-to-wallet transfers, "the number first" (issue 22): the row and its `transfer_no` are created
 * before anything moves; execute moves the money through that number once (marker
 * `t_uq_dipose('TRANSFER', transfer_no)`, CAS CREATED → SUCCEEDED). UNIQUE(from_user, idempotency_key)
 * is the database backstop of the create's Idempotency-Key. (status, expires_at) serves the expiry
 * sweep; (from_user, id) and (to_user, id) the "mine" list, newest first.
 */
export class Transfers1734200100000 implements MigrationInterface {
  name = 'Transfers1734200100000';

  async up(q: QueryRunner): Promise<void> {
    const exact = `CHARACTER SET utf8mb4 COLLATE ${await exactCollation(q)}`;
    await q.query(`CREATE TABLE t_transfer (
      id BIGINT NOT NULL AUTO_INCREMENT,
      transfer_no VARCHAR(32) ${exact} NOT NULL,
      from_user VARCHAR(64) ${exact} NOT NULL,
      to_user VARCHAR(64) ${exact} NOT NULL,
      amount BIGINT NOT NULL,
      currency CHAR(3) NOT NULL DEFAULT 'CNY',
      memo VARCHAR(200) NULL,
      status VARCHAR(16) NOT NULL,
      idempotency_key VARCHAR(255) ${exact} NULL,
      request_fingerprint CHAR(64) ${exact} NULL,
      version INT NOT NULL DEFAULT 0,
      created_at DATETIME(3) NOT NULL,
      updated_at DATETIME(3) NOT NULL,
      expires_at DATETIME(3) NOT NULL,
      executed_at DATETIME(3) NULL,
      cancelled_at DATETIME(3) NULL,
      PRIMARY KEY (id),
      UNIQUE KEY uq_transfer_no (transfer_no),
      UNIQUE KEY uq_transfer_user_idem (from_user, idempotency_key),
      KEY idx_transfer_from (from_user, id),
      KEY idx_transfer_to (to_user, id),
      KEY idx_transfer_status_expires (status, expires_at)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE t_transfer`);
  }
}

/** The identifier columns of t_transfer (the identity test checks their collation). */
export const TRANSFER_EXACT_COLUMNS = {
  t_transfer: ['transfer_no', 'from_user', 'to_user', 'idempotency_key', 'request_fingerprint'],
};
