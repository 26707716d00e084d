import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AccountResponse } from './dto/order-response.dto';

/**
 * The wallet (t_user_account). An account is created on first use with INSERT IGNORE, so two
 * first uses at once cannot fail each other. Balances move only by relative, conditional UPDATEs
 * inside the caller's transaction: the caller's exactly-once marker (t_uq_dipose) decides whether a
 * credit happens, this service only makes the arithmetic atomic.
 */
@Injectable()
export class WalletService {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * `{balance, currency}` for the user: a plain read on the primary (it may show a credit just made).
   * It writes nothing: a user without an account row has an empty wallet, created on its first credit.
   */
  async getAccount(userId: string): Promise<AccountResponse> {
    const rows = await this.dataSource.query(
      `SELECT balance, currency FROM t_user_account WHERE user_id = ?`,
      [userId],
    );
    if (!rows.length) return { balance: 0, currency: 'CNY' };
    return { balance: Number(rows[0].balance), currency: String(rows[0].currency) };
  }

  /**
   * Adds `amount` fen to the user's balance, inside the caller's transaction (creates the account
   * if needed). Not idempotent by itself: call it under a dedup marker (e.g. `ORDER_PAID`).
   */
  async credit(manager: EntityManager, userId: string, amount: number): Promise<void> {
    assertAmount(amount);
    await this.ensure(manager, userId);
    await manager.query(
      `UPDATE t_user_account SET balance = balance + ?, version = version + 1, updated_at = ?
       WHERE user_id = ?`,
      [amount, new Date(), userId],
    );
  }

  /**
   * Takes `amount` fen if the balance covers it, inside the caller's transaction. Returns false
   * (and changes nothing) when it does not; the balance can never go negative.
   */
  async debit(manager: EntityManager, userId: string, amount: number): Promise<boolean> {
    assertAmount(amount);
    const res = await manager.query(
      `UPDATE t_user_account SET balance = balance - ?, version = version + 1, updated_at = ?
       WHERE user_id = ? AND balance >= ?`,
      [amount, new Date(), userId, amount],
    );
    return Number(res.affectedRows) === 1;
  }

  private async ensure(manager: EntityManager, userId: string): Promise<void> {
    const now = new Date();
    await manager.query(
      `INSERT IGNORE INTO t_user_account (user_id, balance, currency, version, created_at, updated_at)
       VALUES (?, 0, 'CNY', 0, ?, ?)`,
      [userId, now, now],
    );
  }
}

function assertAmount(amount: number) {
  if (!Number.isSafeInteger(amount) || amount <= 0) {
    throw new Error(`wallet amount must be a positive integer of fen, got ${amount}`);
  }
}
