import { MigrationInterface, QueryRunner } from 'typeorm';
import { exactCollation } from './1733000000000-exact-identifiers';

/** The system accounts every database starts with (others, e.g. a new channel's clearing, are made on use). */
export const LEDGER_SYSTEM_ACCOUNTS = [
  'opening',
  'revenue',
  'clearing:alipay',
  'clearing:wechat',
  'clearing:unionpay',
];

/** The journal of existing balances (one per database, posted by this migration). */
export const OPENING_JOURNAL_ID = 'opening-1734200000000';

/**
 * The double-entry ledger of the wallet module (issue 22).
 *
 * `t_ledger_account`: every place wallet money can sit: each user's wallet (kind WALLET, owner = the user
 * id) and the system accounts (kind SYSTEM: `clearing:<channel>`, `revenue`, `opening`, later
 * `payouts:<channel>`). `t_ledger_entry`: one row per account per journal, signed fen; the entries of
 * one journal sum to 0; `balance_after` is the wallet's balance right after the entry (NULL for system
 * accounts, which keep no balance column: theirs is the sum of their entries, so no hot row is locked).
 * UNIQUE(account_id, kind, ref_type, ref_id): one movement of one kind per reference per account, so
 * a second posting of the same recharge, payment, refund or transfer fails instead of moving twice.
 *
 * Existing balances get one opening journal: each wallet with a balance +balance, `opening` −sum.
 * Run it while no old instance moves money (the opening journal is a snapshot of t_user_account).
 */
export class Ledger1734200000000 implements MigrationInterface {
  name = 'Ledger1734200000000';

  async up(q: QueryRunner): Promise<void> {
    const exact = `CHARACTER SET utf8mb4 COLLATE ${await exactCollation(q)}`;
    await q.query(`CREATE TABLE t_ledger_account (
      id BIGINT NOT NULL AUTO_INCREMENT,
      kind VARCHAR(16) NOT NULL,
      owner VARCHAR(64) ${exact} NOT NULL,
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      PRIMARY KEY (id),
      UNIQUE KEY uq_ledger_account_owner (kind, owner)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await q.query(`CREATE TABLE t_ledger_entry (
      id BIGINT NOT NULL AUTO_INCREMENT,
      journal_id VARCHAR(40) ${exact} NOT NULL,
      account_id BIGINT NOT NULL,
      amount BIGINT NOT NULL,
      kind VARCHAR(32) NOT NULL,
      ref_type VARCHAR(32) ${exact} NOT NULL,
      ref_id VARCHAR(64) ${exact} NOT NULL,
      balance_after BIGINT NULL,
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      PRIMARY KEY (id),
      UNIQUE KEY uq_ledger_entry_once (account_id, kind, ref_type, ref_id),
      KEY idx_ledger_entry_journal (journal_id),
      KEY idx_ledger_entry_account (account_id, id),
      KEY idx_ledger_entry_ref (ref_type, ref_id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await q.query(
      `INSERT INTO t_ledger_account (kind, owner) VALUES ${LEDGER_SYSTEM_ACCOUNTS.map(() => `('SYSTEM', ?)`).join(', ')}`,
      LEDGER_SYSTEM_ACCOUNTS,
    );
    await q.query(
      `INSERT INTO t_ledger_account (kind, owner, created_at)
       SELECT 'WALLET', user_id, created_at FROM t_user_account`,
    );
    await q.query(
      `INSERT INTO t_ledger_entry (journal_id, account_id, amount, kind, ref_type, ref_id, balance_after, created_at)
       SELECT ?, la.id, ua.balance, 'OPENING', 'MIGRATION', '1734200000000', ua.balance, CURRENT_TIMESTAMP(3)
         FROM t_user_account ua JOIN t_ledger_account la ON la.kind = 'WALLET' AND la.owner = ua.user_id
        WHERE ua.balance <> 0`,
      [OPENING_JOURNAL_ID],
    );
    await q.query(
      `INSERT INTO t_ledger_entry (journal_id, account_id, amount, kind, ref_type, ref_id, balance_after, created_at)
       SELECT ?, (SELECT id FROM t_ledger_account WHERE kind = 'SYSTEM' AND owner = 'opening'), -SUM(balance),
              'OPENING', 'MIGRATION', '1734200000000', NULL, CURRENT_TIMESTAMP(3)
         FROM t_user_account HAVING SUM(balance) <> 0`,
      [OPENING_JOURNAL_ID],
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE t_ledger_entry`);
    await q.query(`DROP TABLE t_ledger_account`);
  }
}

/** The identifier columns of the ledger (the identity test checks their collation). */
export const LEDGER_EXACT_COLUMNS = {
  t_ledger_account: ['owner'],
  t_ledger_entry: ['journal_id', 'ref_type', 'ref_id'],
};
