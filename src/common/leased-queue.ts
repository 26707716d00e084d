import { DataSource } from 'typeorm';
import { TransactionService } from './database/transaction.service';

/**
 * A MySQL table used as a work queue: rows with an `id`, an `attempts` count and an `available_at`
 * time (DATETIME(3)). The outbox relay (t_outbox) and the buffered-callback worker (t_callback_log)
 * drain theirs through it; each keeps its own columns and outcomes.
 */
export interface LeasedTable {
  /** e.g. `t_outbox`; from code, never from input */
  table: string;
  /** the columns a worker reads besides `id` and `attempts` */
  columns: readonly string[];
  /** SQL condition of a row that still has work to do, e.g. `status = 'PENDING'` */
  pending: string;
  /**
   * SQL condition a pending row must also meet to be claimed (the claim's SELECT only, never the retry's
   * UPDATE: MySQL refuses a subquery on the table an UPDATE writes). The claimed table is aliased `q` then.
   */
  claimable?: string;
}

/** A claimed row: `attempts` as it was before this claim (this claim is try number attempts + 1). */
export interface LeasedRow {
  id: string;
  attempts: number;
}

/**
 * The SQL of a claim: select up to `?` due rows, skipping those another worker holds, then push their
 * `available_at` one lease (`?` µs) ahead and count the try. Both run in one transaction.
 *
 * `ORDER BY available_at, id` is the order of each table's pending index (InnoDB appends the primary
 * key), so the scan stops at the LIMIT and locks only the rows it returns. `ORDER BY id` needed a
 * filesort: the claim then locked every due row it read, and concurrent workers got nothing.
 */
export function claimSql(t: LeasedTable): { select: string; lease: string } {
  return {
    select:
      `SELECT id, ${[...t.columns, 'attempts'].join(', ')} FROM ${t.table}${t.claimable ? ' q' : ''}` +
      ` WHERE ${t.pending} AND available_at <= NOW(3)${t.claimable ? ` AND ${t.claimable}` : ''}` +
      ` ORDER BY available_at, id LIMIT ? FOR UPDATE SKIP LOCKED`,
    lease:
      `UPDATE ${t.table} SET attempts = attempts + 1, available_at = NOW(3) + INTERVAL ? MICROSECOND` +
      ` WHERE id IN (?)`,
  };
}

/**
 * The SQL of a retry: the row is due again in `?` µs, with the caller's columns set first (their
 * values go before the delay in the parameters). Only while the row still has work to do.
 */
export function retrySql(t: LeasedTable, setColumns: readonly string[] = []): string {
  const set = [...setColumns.map((c) => `${c} = ?`), 'available_at = NOW(3) + INTERVAL ? MICROSECOND'];
  return `UPDATE ${t.table} SET ${set.join(', ')} WHERE id = ? AND ${t.pending}`;
}

/**
 * Exponential backoff: `baseMs · 2^n`, at most `maxMs`. (The exponent is capped at 30 so the product
 * stays finite; with any base of 1 ms or more the cap of `maxMs` is reached long before.)
 */
export function backoffMs(n: number, baseMs: number, maxMs: number): number {
  return Math.min(baseMs * 2 ** Math.min(Math.max(n, 0), 30), maxMs);
}

/**
 * Claim / lease / retry over a {@link LeasedTable}, shared by every worker that drains a table:
 *
 * - `claim(batch, leaseMs)`: `SELECT … FOR UPDATE SKIP LOCKED` of due rows, and in the same short transaction
 *   their `available_at` one lease ahead and `attempts + 1`. Any number of instances claim at once,
 *   each row goes to one; a worker that dies mid-row leaves it to the next after the lease.
 * - `retryLater(id, delayMs, set)`: the row is due again after `delayMs` (see {@link backoffMs}).
 *
 * The work itself and the final outcome (SENT, applied, …) stay with the worker: they are the table's
 * own columns. Nothing here runs inside a caller's transaction.
 */
export class LeasedQueue<R extends LeasedRow> {
  private readonly sql: { select: string; lease: string };

  constructor(
    private readonly t: LeasedTable,
    private readonly tx: TransactionService,
    private readonly dataSource: DataSource,
  ) {
    this.sql = claimSql(t);
  }

  /** Claims up to `batch` due rows for `leaseMs`, counting the try. */
  claim(batch: number, leaseMs: number): Promise<R[]> {
    return this.tx.run(async (m) => {
      const rows: R[] = await m.query(this.sql.select, [batch]);
      if (rows.length) {
        await m.query(this.sql.lease, [leaseMs * 1000, rows.map((r) => r.id)]);
      }
      return rows;
    });
  }

  /** Makes a claimed row due again in `delayMs`, setting `set`'s columns too. */
  async retryLater(id: string, delayMs: number, set: Record<string, unknown> = {}): Promise<void> {
    const cols = Object.keys(set);
    await this.dataSource.query(retrySql(this.t, cols), [...cols.map((c) => set[c]), delayMs * 1000, id]);
  }
}
