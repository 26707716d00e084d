import { DataSource, EntityManager } from 'typeorm';
import { SimFaults } from './sim-faults';

/**
 * How one protocol's trade table spells the simulator's trade: its table, its status column and the
 * values that mean open / paid / closed, the columns the transitions stamp, the BIGINT columns (the
 * driver returns them as strings). A constant of the face, never user input.
 */
export interface SimTradeTable {
  table: string;
  status: string;
  open: string;
  /** the state a payment sets first; `alsoPaid` are later states of a paid trade (WeChat's REFUND) */
  paid: string;
  alsoPaid?: readonly string[];
  /** null: the protocol has no close (UnionPay's QR consume) */
  closed: string | null;
  paidAt: string;
  closedAt?: string;
  numeric: readonly string[];
  /** the table has paid_after_close and version columns */
  versioned: boolean;
}

/** Where a create landed: a new or the same trade in one of its states, or the number taken by others. */
export type SimCreated<R> = { trade: R; state: 'open' | 'paid' | 'closed' } | { trade: R; state: 'conflict' };

/** Extra SET of a transition: `col = ?` pairs, or raw SQL with its parameters (e.g. a COALESCE). */
export type SimSet = Record<string, unknown> | { sql: string; params: unknown[] };

/**
 * The simulated trade, written once for the three protocols: create (same number + same parameters →
 * the same trade; other parameters → a conflict), pay by the simulated buyer (from open, or from closed
 * when a test asks for a payment that lands after the close), close, reads, the fault hooks and the row
 * lock refunds run under. Every transition is a compare-and-set on the status, so concurrent calls
 * from several instances agree; each face keeps its wire format, its numbers and its answers.
 */
export class SimTrades<R extends { id: number }> {
  readonly faults: SimFaults<string>;

  constructor(
    private readonly ds: DataSource,
    readonly t: SimTradeTable,
  ) {
    this.faults = new SimFaults(ds, t.table);
  }

  /** One trade by a face's lookup (`where` uses `?` placeholders), numbers as numbers. */
  async one(where: string, params: unknown[], m: EntityManager | DataSource = this.ds, forUpdate = false) {
    const lock = forUpdate ? ' FOR UPDATE' : '';
    const rows: R[] = await m.query(`SELECT * FROM ${this.t.table} WHERE ${where} LIMIT 1${lock}`, params);
    return rows[0] ? this.row(rows[0]) : null;
  }

  /** Many trades by a face's lookup (the bills), numbers as numbers. */
  async many(where: string, params: unknown[]): Promise<R[]> {
    const rows: R[] = await this.ds.query(`SELECT * FROM ${this.t.table} WHERE ${where}`, params);
    return rows.map((r) => this.row(r));
  }

  /** The trade under a row lock, for a use case that must see it unchanged until commit (refunds). */
  async lock(m: EntityManager, id: number): Promise<R> {
    return (await this.one('id = ?', [id], m, true))!;
  }

  state(r: R): 'open' | 'paid' | 'closed' {
    const s = (r as Record<string, unknown>)[this.t.status];
    if (s === this.t.open) return 'open';
    if (s === this.t.paid || this.t.alsoPaid?.includes(s as string)) return 'paid';
    return 'closed';
  }

  /**
   * Creates the trade once: INSERT IGNORE on the face's unique key, then the row that holds it is read
   * back and `same` says whether it was made with these parameters (a concurrent create with others
   * loses here, never silently shares a trade). Columns in `now` are stamped with the database clock.
   */
  async create(
    cols: Record<string, unknown>,
    find: () => Promise<R | null>,
    same: (r: R) => boolean,
    now: readonly string[] = [],
  ): Promise<SimCreated<R>> {
    const names = [...Object.keys(cols), ...now];
    const values = [...Object.keys(cols).map(() => '?'), ...now.map(() => 'CURRENT_TIMESTAMP(3)')];
    await this.ds.query(
      `INSERT IGNORE INTO ${this.t.table} (${names.join(', ')}) VALUES (${values.join(', ')})`,
      Object.values(cols),
    );
    const trade = (await find())!;
    return same(trade) ? { trade, state: this.state(trade) } : { trade, state: 'conflict' };
  }

  /** The buyer pays: open → paid (closed → paid too with `afterClose`). False when the state was other. */
  async pay(r: R, set: SimSet, afterClose = false): Promise<boolean> {
    const { status, open, paid, closed, paidAt, versioned } = this.t;
    const from = afterClose && closed ? [open, closed] : [open];
    const [extra, params] = setSql(set);
    // paid_after_close is assigned first: MySQL evaluates SET left to right with the new values
    const res = await this.ds.query(
      `UPDATE ${this.t.table} SET ${versioned ? `paid_after_close = (${status} = ?), version = version + 1, ` : ''}
         ${status} = ?, ${paidAt} = CURRENT_TIMESTAMP(3)${extra}
       WHERE id = ? AND ${status} IN (?)`,
      [...(versioned ? [closed] : []), paid, ...params, r.id, from],
    );
    return res.affectedRows === 1;
  }

  /** open → closed. False when the trade was not open (paid or closed meanwhile). */
  async close(r: R, set: SimSet = {}): Promise<boolean> {
    const { status, open, closed, closedAt, versioned } = this.t;
    const [extra, params] = setSql(set);
    const res = await this.ds.query(
      `UPDATE ${this.t.table} SET ${status} = ?${closedAt ? `, ${closedAt} = CURRENT_TIMESTAMP(3)` : ''}
         ${versioned ? ', version = version + 1' : ''}${extra}
       WHERE id = ? AND ${status} = ?`,
      [closed, ...params, r.id, open],
    );
    return res.affectedRows === 1;
  }

  /** Sets face columns of a trade (refund outcome or notify arming). */
  async update(r: R, set: SimSet, m: EntityManager | DataSource = this.ds): Promise<void> {
    const [extra, params] = setSql(set);
    if (!extra) return;
    await m.query(`UPDATE ${this.t.table} SET ${extra.slice(2)} WHERE id = ?`, [...params, r.id]);
  }

  private row(r: R): R {
    const out = { ...r } as Record<string, unknown>;
    for (const c of this.t.numeric) if (out[c] !== null && out[c] !== undefined) out[c] = Number(out[c]);
    return out as R;
  }
}

/** `, a = ?, b = ?` and its parameters. */
function setSql(set: SimSet): [string, unknown[]] {
  if ('sql' in set && typeof set.sql === 'string' && Array.isArray(set.params)) {
    return [set.sql ? `, ${set.sql}` : '', set.params];
  }
  const entries = Object.entries(set);
  return [entries.map(([k]) => `, ${k} = ?`).join(''), entries.map(([, v]) => v)];
}
