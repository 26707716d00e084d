import { MigrationInterface, QueryRunner } from 'typeorm';
import { exactCollation } from './1733000000000-exact-identifiers';

/** The ledger accounts payouts post to: money on its way out of the wallets, per channel. */
export const PAYOUT_LEDGER_ACCOUNTS = ['payouts:alipay', 'payouts:wechat'];

/**
 * Payouts (issue 26): money out of a wallet to the user's Alipay or WeChat account, "the number first".
 * The row and its `payout_no` (Alipay `out_biz_no`, WeChat `out_bill_no`) are stored in the same
 * transaction as the wallet debit; every gateway call reuses the number with the stored parameters.
 * UNIQUE(user_id, idempotency_key) is the backstop of the create's Idempotency-Key. (status, updated_at)
 * serves the sweeper; (user_id, id) the "mine" list. t_payout_daily holds each user's total of a China
 * day, moved by a conditional UPDATE (`total + ? <= limit`) in the create's transaction, so two payouts
 * at once cannot both pass the daily limit (no lock is relied on).
 */
export class Payouts1734730000000 implements MigrationInterface {
  name = 'Payouts1734730000000';

  async up(q: QueryRunner): Promise<void> {
    const exact = `CHARACTER SET utf8mb4 COLLATE ${await exactCollation(q)}`;
    await q.query(`CREATE TABLE t_payout (
      id BIGINT NOT NULL AUTO_INCREMENT,
      payout_no VARCHAR(32) ${exact} NOT NULL,
      user_id VARCHAR(64) ${exact} NOT NULL,
      channel VARCHAR(16) NOT NULL,
      payee_identity VARCHAR(100) ${exact} NOT NULL,
      payee_name VARCHAR(100) NULL,
      amount BIGINT NOT NULL,
      status VARCHAR(16) NOT NULL,
      failed_reason VARCHAR(255) NULL,
      channel_order_id VARCHAR(64) ${exact} NULL,
      idempotency_key VARCHAR(255) ${exact} NULL,
      request_fingerprint CHAR(64) ${exact} NULL,
      attempts INT NOT NULL DEFAULT 0,
      version INT NOT NULL DEFAULT 0,
      china_day CHAR(10) NOT NULL,
      reviewed_by VARCHAR(64) NULL,
      created_at DATETIME(3) NOT NULL,
      updated_at DATETIME(3) NOT NULL,
      sent_at DATETIME(3) NULL,
      succeeded_at DATETIME(3) NULL,
      failed_at DATETIME(3) NULL,
      PRIMARY KEY (id),
      UNIQUE KEY uq_payout_no (payout_no),
      UNIQUE KEY uq_payout_user_idem (user_id, idempotency_key),
      KEY idx_payout_user (user_id, id),
      KEY idx_payout_status (status, updated_at)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await q.query(`CREATE TABLE t_payout_daily (
      user_id VARCHAR(64) ${exact} NOT NULL,
      china_day CHAR(10) NOT NULL,
      total BIGINT NOT NULL DEFAULT 0,
      PRIMARY KEY (user_id, china_day)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await q.query(
      `INSERT IGNORE INTO t_ledger_account (kind, owner, created_at) VALUES ${PAYOUT_LEDGER_ACCOUNTS.map(() => `('SYSTEM', ?, CURRENT_TIMESTAMP(3))`).join(', ')}`,
      PAYOUT_LEDGER_ACCOUNTS,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE t_payout_daily`);
    await q.query(`DROP TABLE t_payout`);
  }
}
