import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AccountResponse } from './dto/account.dto';
import { WalletRepository } from './wallet.repository';

/**
 * The wallet (t_user_account, through WalletRepository). An account is created by its first credit,
 * in the same upsert (`INSERT … ON DUPLICATE KEY UPDATE`), so two first credits at once cannot fail
 * each other; order submit also creates it (WalletRepository.ensureRow), as the row its per-user lock
 * takes. Balances move only by relative statements (the upsert, a conditional debit) inside the
 * caller's transaction: the caller's exactly-once marker (t_uq_dipose) decides whether a credit
 * happens, this service only checks the amount and makes the arithmetic atomic.
 */
@Injectable()
export class WalletService {
  constructor(private readonly accounts: WalletRepository) {}

  /**
   * `{balance, currency}` for the user: a plain read on the primary (it may show a credit just made).
   * It writes nothing: a user without an account row has an empty wallet, created on its first credit.
   */
  async getAccount(userId: string): Promise<AccountResponse> {
    return (await this.accounts.findAccount(null, userId)) ?? { balance: 0, currency: 'CNY' };
  }

  /**
   * Adds `amount` fen to the user's balance, inside the caller's transaction, creating the account
   * if needed: one upsert. Not idempotent by itself: call it under a dedup marker (e.g. a refund's).
   */
  async credit(manager: EntityManager, userId: string, amount: number): Promise<void> {
    assertAmount(amount);
    await this.accounts.credit(manager, userId, amount);
  }

  /**
   * Credits a RECHARGE order's total to its user, inside the caller's transaction (which holds the
   * order row's lock): one upsert that reads the order itself, so the caller needs no read of it.
   * Does nothing for any other order type. Not idempotent by itself: call it under the order's
   * `ORDER_PAID` marker. Returns whether a wallet was credited.
   */
  creditRecharge(manager: EntityManager, orderNo: string): Promise<boolean> {
    return this.accounts.creditRecharge(manager, orderNo);
  }

  /**
   * Takes `amount` fen if the balance covers it, inside the caller's transaction. Returns false
   * (and changes nothing) when it does not; the balance can never go negative.
   */
  async debit(manager: EntityManager, userId: string, amount: number): Promise<boolean> {
    assertAmount(amount);
    return this.accounts.debit(manager, userId, amount);
  }

  /**
   * Makes the user's wallet row (balance 0) if missing, in an autocommit statement of its own: call it
   * BEFORE opening the transaction that then calls `lockForSubmit` (see WalletRepository.ensureRow).
   */
  ensureRow(userId: string, now: Date): Promise<void> {
    return this.accounts.ensureRow(userId, now);
  }

  /**
   * Serialises one user's order submits on the wallet row, inside the caller's transaction (the
   * unpaid-orders cap is counted under it).
   * @throws UserRowMissing when the row is gone: `ensureRow` again, then retry the transaction.
   */
  lockForSubmit(manager: EntityManager, userId: string): Promise<void> {
    return this.accounts.lockForSubmit(manager, userId);
  }
}

function assertAmount(amount: number) {
  if (!Number.isSafeInteger(amount) || amount <= 0) {
    throw new Error(`wallet amount must be a positive integer of fen, got ${amount}`);
  }
}
