import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AccountResponse } from './dto/order-response.dto';

/**
 * The wallet (t_user_account). An account is created by its first credit, in the same upsert
 * (`INSERT … ON DUPLICATE KEY UPDATE`), so two first credits at once cannot fail each other; order
 * submit also creates it (OrderRepository.ensureUserRow), as the row its per-user lock takes.
 * Balances move only by relative statements (the upsert, a conditional debit) inside the caller's
 * transaction: the caller's exactly-once marker (t_uq_dipose) decides whether a credit happens,
 * this service only makes the arithmetic atomic.
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
   * Adds `amount` fen to the user's balance, inside the caller's transaction, creating the account
   * if needed: one upsert. Not idempotent by itself: call it under a dedup marker (e.g. a refund's).
   */
  async credit(manager: EntityManager, userId: string, amount: number): Promise<void> {
    assertAmount(amount);
    const now = new Date();
    await manager.query(
      `INSERT INTO t_user_account (user_id, balance, currency, version, created_at, updated_at)
       VALUES (?, ?, 'CNY', 1, ?, ?)
       ON DUPLICATE KEY UPDATE balance = balance + VALUES(balance), version = version + 1,
         updated_at = VALUES(updated_at)`,
      [userId, amount, now, now],
    );
  }

  /**
   * Credits a RECHARGE order's total to its user, inside the caller's transaction (which holds the
   * order row's lock): one upsert that reads the order itself, so the caller needs no read of it.
   * Does nothing for any other order type. Not idempotent by itself: call it under the order's
   * `ORDER_PAID` marker. Returns whether a wallet was credited.
   */
  async creditRecharge(manager: EntityManager, orderNo: string): Promise<boolean> {
    const now = new Date();
    const res = await manager.query(
      `INSERT INTO t_user_account (user_id, balance, currency, version, created_at, updated_at)
       SELECT o.user_id, o.total_amount, 'CNY', 1, ?, ?
         FROM t_order o WHERE o.order_no = ? AND o.type = 'RECHARGE' AND o.total_amount > 0
       ON DUPLICATE KEY UPDATE balance = t_user_account.balance + VALUES(balance),
         version = t_user_account.version + 1, updated_at = VALUES(updated_at)`,
      [now, now, orderNo],
    );
    return Number(res?.affectedRows ?? 0) > 0;
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
}

function assertAmount(amount: number) {
  if (!Number.isSafeInteger(amount) || amount <= 0) {
    throw new Error(`wallet amount must be a positive integer of fen, got ${amount}`);
  }
}
