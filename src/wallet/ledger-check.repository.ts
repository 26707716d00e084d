import { Injectable } from '@nestjs/common';
import { DataSource, QueryRunner } from 'typeorm';

/** A wallet whose balance column and ledger entries disagree (or a balance with no ledger account). */
export interface WalletDrift {
  userId: string;
  balance: number;
  entries: number;
  /** balance − entries, signed fen */
  drift: number;
}

export interface LedgerSnapshot {
  journals: number;
  entries: number;
  accounts: number;
  /** the sum of every entry (0 when every journal is balanced) */
  total: number;
  unbalancedJournals: Array<{ journalId: string; sum: number }>;
  drift: WalletDrift[];
  /** each system account's balance (the sum of its entries) */
  system: Array<{ account: string; balance: number }>;
}

/** How many unbalanced journals / drifting wallets one check reports (the counts are exact). */
const REPORT_MAX = 1000;

/**
 * The ledger check's reads, all in ONE consistent snapshot (REPEATABLE READ, `START TRANSACTION WITH
 * CONSISTENT SNAPSHOT, READ ONLY`): a journal and the balances it moved commit together, so a check
 * running beside live transfers sees each one entirely or not at all. Plain reads, no locks.
 */
@Injectable()
export class LedgerCheckRepository {
  constructor(private readonly dataSource: DataSource) {}

  async snapshot(): Promise<LedgerSnapshot> {
    const qr = this.dataSource.createQueryRunner('master');
    await qr.connect();
    try {
      await qr.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
      await qr.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
      try {
        return await this.read(qr);
      } finally {
        await qr.query('COMMIT');
      }
    } finally {
      await qr.release();
    }
  }

  private async read(qr: QueryRunner): Promise<LedgerSnapshot> {
    const [totals] = await qr.query(
      `SELECT COUNT(*) AS entries, COUNT(DISTINCT journal_id) AS journals, COALESCE(SUM(amount), 0) AS total
         FROM t_ledger_entry`,
    );
    const [accounts] = await qr.query(`SELECT COUNT(*) AS n FROM t_ledger_account`);
    const unbalanced: Array<Record<string, unknown>> = await qr.query(
      `SELECT journal_id, SUM(amount) AS s FROM t_ledger_entry GROUP BY journal_id HAVING SUM(amount) <> 0
        LIMIT ${REPORT_MAX}`,
    );
    const drift: Array<Record<string, unknown>> = await qr.query(
      `SELECT la.owner AS user_id, COALESCE(ua.balance, 0) AS balance, COALESCE(e.s, 0) AS entries
         FROM t_ledger_account la
         LEFT JOIN t_user_account ua ON ua.user_id = la.owner
         LEFT JOIN (SELECT account_id, SUM(amount) AS s FROM t_ledger_entry GROUP BY account_id) e
                ON e.account_id = la.id
        WHERE la.kind = 'WALLET' AND COALESCE(ua.balance, 0) <> COALESCE(e.s, 0)
       UNION ALL
       SELECT ua.user_id, ua.balance, 0 FROM t_user_account ua
         LEFT JOIN t_ledger_account la ON la.kind = 'WALLET' AND la.owner = ua.user_id
        WHERE la.id IS NULL AND ua.balance <> 0
       LIMIT ${REPORT_MAX}`,
    );
    const system: Array<Record<string, unknown>> = await qr.query(
      `SELECT la.owner, COALESCE(SUM(e.amount), 0) AS s FROM t_ledger_account la
         LEFT JOIN t_ledger_entry e ON e.account_id = la.id
        WHERE la.kind = 'SYSTEM' GROUP BY la.id, la.owner ORDER BY la.owner`,
    );
    return {
      journals: Number(totals.journals),
      entries: Number(totals.entries),
      accounts: Number(accounts.n),
      total: Number(totals.total),
      unbalancedJournals: unbalanced.map((r) => ({ journalId: String(r.journal_id), sum: Number(r.s) })),
      drift: drift.map((r) => {
        const balance = Number(r.balance);
        const entries = Number(r.entries);
        return { userId: String(r.user_id), balance, entries, drift: balance - entries };
      }),
      system: system.map((r) => ({ account: String(r.owner), balance: Number(r.s) })),
    };
  }
}
