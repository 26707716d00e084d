import { Injectable, OnModuleInit } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { DomainError, ErrorCode } from '../common/errors';
import { LEDGER_SYSTEM_ACCOUNTS } from '../migrations/1734200000000-ledger';
import { PAYOUT_LEDGER_ACCOUNTS } from '../migrations/1734730000000-payouts';
import { AccountResponse } from './dto/account.dto';
import { LedgerEntryPageDto } from './dto/ledger.dto';
import { decodeIdCursor, encodeIdCursor } from './cursor';
import {
  clearing,
  JournalKind,
  JournalRefType,
  LedgerAccountRef,
  OPENING,
  payouts,
  REVENUE,
  system,
  wallet,
} from './ledger';
import { LedgerRepository } from './ledger.repository';
import { WalletRepository } from './wallet.repository';

/** The reference a wallet movement is posted under (a payment's, a refund's, a manual one's number). */
export interface WalletMove {
  userId: string;
  /** positive integer fen */
  amount: number;
}

/**
 * The wallet (t_user_account, through WalletRepository) and its ledger (LedgerRepository). Every method
 * that changes a balance is here, is named for the movement it records, runs inside the caller's
 * transaction, and posts one balanced journal there (docs/ledger.md): the balance column stays the fast,
 * conditional path (`WHERE balance >= ?`), the journal is what proves it.
 *
 * An account is created by its first credit, in the same upsert (`INSERT … ON DUPLICATE KEY UPDATE`), so
 * two first credits at once cannot fail each other; order submit also creates it (`ensureRow`), as the
 * row its per-user lock takes. None of these is idempotent by itself: the caller's exactly-once marker
 * (t_uq_dipose) decides whether a movement happens; the ledger's UNIQUE(account, kind, reference)
 * refuses a second posting of the same one.
 */
@Injectable()
export class WalletService implements OnModuleInit {
  constructor(
    private readonly accounts: WalletRepository,
    private readonly ledger: LedgerRepository,
  ) {}

  /** The system accounts, made (autocommit) and remembered at start, so postings never insert them. */
  async onModuleInit(): Promise<void> {
    await this.ledger.ensureAccounts([...LEDGER_SYSTEM_ACCOUNTS, ...PAYOUT_LEDGER_ACCOUNTS].map(system));
  }

  /**
   * `{balance, currency}` for the user: a plain read on the primary (it may show a credit just made).
   * It writes nothing: a user without an account row has an empty wallet, created on its first credit.
   */
  async getAccount(userId: string): Promise<AccountResponse> {
    return (await this.accounts.findAccount(null, userId)) ?? { balance: 0, currency: 'CNY' };
  }

  /** A page of the user's ledger entries, newest first (GET /v1/account/entries). */
  async listEntries(userId: string, q: { limit?: number; cursor?: string }): Promise<LedgerEntryPageDto> {
    const limit = q.limit ?? 20;
    const before = q.cursor ? decodeIdCursor(q.cursor) : null;
    const rows = await this.ledger.listWalletEntries(null, userId, before, limit + 1);
    const page = rows.slice(0, limit);
    return {
      items: page.map((r) => ({
        amount: r.amount,
        kind: r.kind,
        refType: r.refType,
        refId: r.refId,
        balanceAfter: r.balanceAfter ?? 0,
        createdAt: r.createdAt.toISOString(),
      })),
      nextCursor: rows.length > limit ? encodeIdCursor(page[page.length - 1].id) : null,
    };
  }

  /** The balance, or null when the user has no wallet row (transfers: the recipient check). */
  async findBalance(m: EntityManager | null, userId: string): Promise<number | null> {
    return (await this.accounts.findAccount(m, userId))?.balance ?? null;
  }

  /**
   * A paid RECHARGE order's credit: `clearing:<channel>` → wallet (kind RECHARGE, reference the
   * payment). Call it under the order's `ORDER_PAID` marker.
   */
  async creditRecharge(
    m: EntityManager,
    p: WalletMove & { paymentNo: string; channel: string },
  ): Promise<void> {
    await this.creditAndPost(m, p, 'RECHARGE', 'PAYMENT', p.paymentNo, clearing(p.channel));
  }

  /**
   * A wallet payment: wallet → `revenue` (kind WALLET_PAYMENT, reference the payment) if the balance
   * covers it. Returns false (and changes nothing) when it does not; the balance never goes negative.
   */
  async payFromWallet(m: EntityManager, p: WalletMove & { paymentNo: string }): Promise<boolean> {
    return this.debitAndPost(m, p, 'WALLET_PAYMENT', 'PAYMENT', p.paymentNo, REVENUE);
  }

  /** A refund of a wallet payment: `revenue` → wallet (kind REFUND, reference the refund). */
  async refundToWallet(m: EntityManager, p: WalletMove & { refundNo: string }): Promise<void> {
    await this.creditAndPost(m, p, 'REFUND', 'REFUND', p.refundNo, REVENUE);
  }

  /**
   * A recharge's credit taken back when its refund is created: wallet → `clearing:<channel>` (kind
   * RECHARGE_REFUND). False (nothing taken) when the balance is too low.
   */
  async takeBackRecharge(
    m: EntityManager,
    p: WalletMove & { refundNo: string; channel: string },
  ): Promise<boolean> {
    return this.debitAndPost(m, p, 'RECHARGE_REFUND', 'REFUND', p.refundNo, clearing(p.channel));
  }

  /** `takeBackRecharge` undone when that refund FAILED: `clearing:<channel>` → wallet. */
  async giveBackRecharge(
    m: EntityManager,
    p: WalletMove & { refundNo: string; channel: string },
  ): Promise<void> {
    await this.creditAndPost(m, p, 'RECHARGE_REFUND_REVERSAL', 'REFUND', p.refundNo, clearing(p.channel));
  }

  /**
   * A payout's debit, in the transaction that stores the payout: wallet → `payouts:<channel>` (kind
   * PAYOUT, reference the payout). False (nothing taken) when the balance is too low.
   */
  async payOut(m: EntityManager, p: WalletMove & { payoutNo: string; channel: string }): Promise<boolean> {
    return this.debitAndPost(m, p, 'PAYOUT', 'PAYOUT', p.payoutNo, payouts(p.channel));
  }

  /**
   * A payout's money back (it failed, was rejected in review, or bounced after success):
   * `payouts:<channel>` → wallet (kind PAYOUT_REVERSAL). Call it under `PAYOUT_REVERSED`.
   */
  async returnPayout(m: EntityManager, p: WalletMove & { payoutNo: string; channel: string }): Promise<void> {
    await this.creditAndPost(m, p, 'PAYOUT_REVERSAL', 'PAYOUT', p.payoutNo, payouts(p.channel));
  }

  /**
   * A manual credit from `opening` (kind ADJUSTMENT, reference `ref`, unique per wallet): support
   * corrections, and the tests' way to give a wallet money.
   */
  async adjust(m: EntityManager, p: WalletMove & { ref: string }): Promise<void> {
    await this.creditAndPost(m, p, 'ADJUSTMENT', 'MANUAL', p.ref, OPENING);
  }

  /**
   * A transfer's move, in the caller's (the execute's) transaction: the sender's conditional debit
   * (`balance >= amount`), the receiver's credit, one journal sender −a / receiver +a (kind TRANSFER,
   * reference the transfer). The two wallet rows are locked in one global order, the smaller user id
   * first (ids are ASCII, so JS order is the column's binary order), so A→B and B→A at the same moment
   * wait for each other instead of deadlocking.
   * @throws DomainError INSUFFICIENT_BALANCE when the sender's balance is short: the caller's
   *   transaction must roll back (the receiver may already be credited in it when their id sorts first).
   */
  async transfer(
    m: EntityManager,
    p: { fromUserId: string; toUserId: string; amount: number; transferNo: string },
  ): Promise<void> {
    assertAmount(p.amount);
    if (p.fromUserId === p.toUserId) throw new Error('a transfer needs two wallets');
    const debit = async () => {
      if (!(await this.accounts.debit(m, p.fromUserId, p.amount))) {
        throw new DomainError(
          ErrorCode.INSUFFICIENT_BALANCE,
          'The wallet balance is too low for this transfer',
          {
            transferNo: p.transferNo,
            amount: p.amount,
          },
        );
      }
    };
    const credit = () => this.accounts.credit(m, p.toUserId, p.amount);
    if (p.fromUserId < p.toUserId) {
      await debit();
      await credit();
    } else {
      await credit();
      await debit();
    }
    await this.ledger.post(m, {
      kind: 'TRANSFER',
      refType: 'TRANSFER',
      refId: p.transferNo,
      lines: [
        { account: wallet(p.fromUserId), amount: -p.amount },
        { account: wallet(p.toUserId), amount: p.amount },
      ],
    });
  }

  /**
   * Makes the user's wallet row (balance 0) and its ledger account if missing, in autocommit
   * statements of their own: call it BEFORE opening the transaction that then calls `lockForSubmit`
   * (see WalletRepository.ensureRow).
   */
  async ensureRow(userId: string, now: Date): Promise<void> {
    await this.accounts.ensureRow(userId, now);
    await this.ledger.ensureAccounts([wallet(userId)]);
  }

  /**
   * Serialises one user's order submits on the wallet row, inside the caller's transaction (the
   * unpaid-orders cap is counted under it).
   * @throws UserRowMissing when the row is gone: `ensureRow` again, then retry the transaction.
   */
  lockForSubmit(manager: EntityManager, userId: string): Promise<void> {
    return this.accounts.lockForSubmit(manager, userId);
  }

  // ---- the two shapes of a one-wallet movement ---------------------------------------------------

  private async creditAndPost(
    m: EntityManager,
    p: WalletMove,
    kind: JournalKind,
    refType: JournalRefType,
    refId: string,
    from: LedgerAccountRef,
  ): Promise<void> {
    assertAmount(p.amount);
    await this.accounts.credit(m, p.userId, p.amount);
    await this.ledger.post(m, {
      kind,
      refType,
      refId,
      lines: [
        { account: from, amount: -p.amount },
        { account: wallet(p.userId), amount: p.amount },
      ],
    });
  }

  private async debitAndPost(
    m: EntityManager,
    p: WalletMove,
    kind: JournalKind,
    refType: JournalRefType,
    refId: string,
    to: LedgerAccountRef,
  ): Promise<boolean> {
    assertAmount(p.amount);
    if (!(await this.accounts.debit(m, p.userId, p.amount))) return false;
    await this.ledger.post(m, {
      kind,
      refType,
      refId,
      lines: [
        { account: wallet(p.userId), amount: -p.amount },
        { account: to, amount: p.amount },
      ],
    });
    return true;
  }
}

export function assertAmount(amount: number) {
  if (!Number.isSafeInteger(amount) || amount <= 0) {
    throw new Error(`wallet amount must be a positive integer of fen, got ${amount}`);
  }
}
