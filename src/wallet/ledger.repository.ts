import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { assertBalanced, Journal, LedgerAccountRef } from './ledger';

/** One wallet entry as GET /v1/account/entries shows it. */
export interface EntryRow {
  id: number;
  amount: number;
  kind: string;
  refType: string;
  refId: string;
  balanceAfter: number | null;
  createdAt: Date;
}

/** How many account keys the instance remembers as existing before it starts over. */
const KNOWN_MAX = 100_000;

const key = (a: LedgerAccountRef) => `${a.kind}\u0000${a.owner}`;

/** A journal id: time-ordered (base36 ms) + 48 random bits; unique without a round trip. */
export function newJournalId(now = Date.now()): string {
  return `J${now.toString(36)}${randomBytes(6).toString('hex')}`;
}

/**
 * t_ledger_account and t_ledger_entry in plain SQL (the wallet module's style). Postings run inside
 * the caller's transaction (the one that moves the balance); account creation outside one
 * (`ensureAccounts`, autocommit, like WalletRepository.ensureRow) or, for an account this instance
 * has not seen, as an `INSERT IGNORE` inside the posting's transaction. The balances of system
 * accounts are never stored: they are the sums of their entries, so no posting locks a shared row.
 */
@Injectable()
export class LedgerRepository {
  /** Accounts this instance knows to exist (committed); rows are never deleted. */
  private readonly known = new Set<string>();

  constructor(private readonly dataSource: DataSource) {}

  /** Makes the accounts if missing, each in an autocommit statement on the pool (never in a transaction). */
  async ensureAccounts(refs: LedgerAccountRef[]): Promise<void> {
    const missing = refs.filter((r) => !this.known.has(key(r)));
    if (!missing.length) return;
    await this.dataSource.query(
      `INSERT IGNORE INTO t_ledger_account (kind, owner, created_at) VALUES ${missing.map(() => '(?, ?, ?)').join(', ')}`,
      missing.flatMap((r) => [r.kind, r.owner, new Date()]),
    );
    this.remember(missing);
  }

  private remember(refs: LedgerAccountRef[]): void {
    if (this.known.size + refs.length > KNOWN_MAX) this.known.clear();
    for (const r of refs) this.known.add(key(r));
  }

  /**
   * Posts one balanced journal in the caller's transaction, after the balance changes it records: one
   * `INSERT … SELECT … UNION ALL …` whose wallet lines take `balance_after` from t_user_account as this
   * transaction now sees it. Every line must land (a missing account or wallet row throws, rolling the
   * caller back); UNIQUE(account_id, kind, ref_type, ref_id) refuses a second posting of a movement.
   * @returns the journal id
   */
  async post(m: EntityManager, j: Journal, now = new Date()): Promise<string> {
    assertBalanced(j);
    const unknown = j.lines.map((l) => l.account).filter((a) => !this.known.has(key(a)));
    if (unknown.length) {
      const res = await m.query(
        `INSERT IGNORE INTO t_ledger_account (kind, owner, created_at) VALUES ${unknown.map(() => '(?, ?, ?)').join(', ')}`,
        unknown.flatMap((a) => [a.kind, a.owner, now]),
      );
      // nothing inserted: they all existed, committed (an uncommitted insert would have made us wait)
      if (Number(res?.affectedRows ?? 0) === 0) this.remember(unknown);
    }
    const journalId = newJournalId(now.getTime());
    const parts: string[] = [];
    const params: unknown[] = [];
    for (const l of j.lines) {
      params.push(journalId, l.amount, j.kind, j.refType, j.refId, now, l.account.owner);
      parts.push(
        l.account.kind === 'WALLET'
          ? `SELECT ?, la.id, ?, ?, ?, ?, ua.balance, ? FROM t_ledger_account la
               JOIN t_user_account ua ON ua.user_id = la.owner WHERE la.kind = 'WALLET' AND la.owner = ?`
          : `SELECT ?, la.id, ?, ?, ?, ?, NULL, ? FROM t_ledger_account la
              WHERE la.kind = 'SYSTEM' AND la.owner = ?`,
      );
    }
    const res = await m.query(
      `INSERT INTO t_ledger_entry (journal_id, account_id, amount, kind, ref_type, ref_id, balance_after, created_at)
       ${parts.join(' UNION ALL ')}`,
      params,
    );
    if (Number(res?.affectedRows ?? 0) !== j.lines.length) {
      throw new Error(
        `journal ${j.kind} ${j.refType}:${j.refId}: ${res?.affectedRows} of ${j.lines.length} entries written (an account or wallet row is missing)`,
      );
    }
    return journalId;
  }

  /** A page of one wallet's entries, newest first, with ids below `beforeId` (keyset). */
  async listWalletEntries(
    m: EntityManager | null,
    userId: string,
    beforeId: number | null,
    limit: number,
  ): Promise<EntryRow[]> {
    const rows: Array<Record<string, unknown>> = await (m ?? this.dataSource.manager).query(
      `SELECT e.id, e.amount, e.kind, e.ref_type, e.ref_id, e.balance_after, e.created_at
         FROM t_ledger_account la JOIN t_ledger_entry e ON e.account_id = la.id
        WHERE la.kind = 'WALLET' AND la.owner = ? ${beforeId ? 'AND e.id < ?' : ''}
        ORDER BY e.id DESC LIMIT ?`,
      beforeId ? [userId, beforeId, limit] : [userId, limit],
    );
    return rows.map((r) => ({
      id: Number(r.id),
      amount: Number(r.amount),
      kind: String(r.kind),
      refType: String(r.ref_type),
      refId: String(r.ref_id),
      balanceAfter: r.balance_after === null ? null : Number(r.balance_after),
      createdAt: new Date(r.created_at as string),
    }));
  }

  /** The entries posted for one reference (tests, the transfer's journal). */
  async entriesOf(
    m: EntityManager | null,
    refType: string,
    refId: string,
  ): Promise<Array<{ journalId: string; kind: string; owner: string; amount: number }>> {
    const rows: Array<Record<string, unknown>> = await (m ?? this.dataSource.manager).query(
      `SELECT e.journal_id, e.kind, la.owner, e.amount FROM t_ledger_entry e
         JOIN t_ledger_account la ON la.id = e.account_id
        WHERE e.ref_type = ? AND e.ref_id = ? ORDER BY e.id`,
      [refType, refId],
    );
    return rows.map((r) => ({
      journalId: String(r.journal_id),
      kind: String(r.kind),
      owner: String(r.owner),
      amount: Number(r.amount),
    }));
  }
}
