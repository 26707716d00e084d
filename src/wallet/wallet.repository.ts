import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

/** Thrown by `WalletRepository.lockForSubmit` when the user's row is missing: `ensureRow`, then retry. */
export class UserRowMissing extends Error {}

/** How many user ids `ensureRow` remembers before it starts over (a few MB at most). */
const KNOWN_USERS_MAX = 100_000;

/**
 * t_user_account (the wallet) with purpose-named queries in plain SQL, as OrderRepository. Every
 * method takes the caller's manager first: the balance changes and the submit lock only run inside the
 * caller's transaction, the account read also without one (null). The exception is `ensureRow`, which
 * must never run inside a transaction (see there). Balances move only by relative statements: the
 * credit upserts and the conditional debit.
 */
@Injectable()
export class WalletRepository {
  /** Users whose t_user_account row this instance has seen exist (rows are never deleted). */
  private readonly knownUsers = new Set<string>();

  constructor(private readonly dataSource: DataSource) {}

  private m(manager: EntityManager | null): EntityManager {
    return manager ?? this.dataSource.manager;
  }

  /** The user's balance and currency, or null when the user has no row. */
  async findAccount(
    manager: EntityManager | null,
    userId: string,
  ): Promise<{ balance: number; currency: string } | null> {
    const rows = await this.m(manager).query(
      `SELECT balance, currency FROM t_user_account WHERE user_id = ?`,
      [userId],
    );
    if (!rows.length) return null;
    return { balance: Number(rows[0].balance), currency: String(rows[0].currency) };
  }

  /** Adds `amount` fen to the user's balance, creating the row if needed: one upsert. */
  async credit(manager: EntityManager, userId: string, amount: number): Promise<void> {
    const now = new Date();
    await manager.query(
      `INSERT INTO t_user_account (user_id, balance, currency, version, created_at, updated_at)
       VALUES (?, ?, 'CNY', 1, ?, ?)
       ON DUPLICATE KEY UPDATE balance = balance + VALUES(balance), version = version + 1,
         updated_at = VALUES(updated_at)`,
      [userId, amount, now, now],
    );
  }

  /** Takes `amount` fen if the balance covers it (`balance >= ?`): true iff the row changed. */
  async debit(manager: EntityManager, userId: string, amount: number): Promise<boolean> {
    const res = await manager.query(
      `UPDATE t_user_account SET balance = balance - ?, version = version + 1, updated_at = ?
       WHERE user_id = ? AND balance >= ?`,
      [amount, new Date(), userId, amount],
    );
    return Number(res.affectedRows) === 1;
  }

  /**
   * Creates the user's row if missing (balance 0), in its own autocommit statement on the pool. Takes
   * no manager on purpose: call it BEFORE opening the submit transaction. Concurrent INSERT IGNOREs of
   * one new key inside transactions that then lock it deadlock on InnoDB, and a second pool connection
   * taken while a transaction holds one deadlocks the pool itself once every connection is held by
   * such a transaction (DB_POOL_SIZE concurrent submits hung forever before this moved out).
   *
   * A user whose row this instance has already made or seen costs nothing: the row is never deleted,
   * so the statement runs once per user per instance, not once per submit. Should the row vanish
   * anyway (a restore, a manual delete), `lockForSubmit` throws `UserRowMissing` and forgets the
   * user, and the next call makes the row again.
   */
  async ensureRow(userId: string, now: Date): Promise<void> {
    if (this.knownUsers.has(userId)) return;
    await this.dataSource.query(
      `INSERT IGNORE INTO t_user_account (user_id, balance, currency, version, created_at, updated_at)
       VALUES (?, 0, 'CNY', 0, ?, ?)`,
      [userId, now, now],
    );
    if (this.knownUsers.size >= KNOWN_USERS_MAX) this.knownUsers.clear();
    this.knownUsers.add(userId);
  }

  /**
   * Serialises one user's submits: writes the user's row (made by `ensureRow` first;
   * `version = version + 1`), which holds its lock until the transaction ends, so the unpaid-order
   * count read after it cannot be raced by a concurrent submit. A write, not `SELECT … FOR UPDATE`:
   * on a multi-primary Galera cluster a read lock holds on one node only, while two submits of one
   * user on two nodes that both write this row conflict at certification, and the loser is rolled
   * back and run again (TransactionService), counting the winner's order. Uses only the
   * transaction's own connection.
   * @throws UserRowMissing when the row is gone (the user is forgotten: `ensureRow` makes it again)
   */
  async lockForSubmit(manager: EntityManager, userId: string): Promise<void> {
    const res = await manager.query('UPDATE t_user_account SET version = version + 1 WHERE user_id = ?', [
      userId,
    ]);
    if (Number((res as { affectedRows?: number }).affectedRows) !== 1) {
      this.knownUsers.delete(userId);
      throw new UserRowMissing(`lockForSubmit: no t_user_account row for ${userId}; ensureRow first`);
    }
  }
}
