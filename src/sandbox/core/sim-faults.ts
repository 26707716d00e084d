import { DataSource } from 'typeorm';

/**
 * Fault arming, written once for the three protocols. A trade row carries, per faultable call `<kind>`,
 * the armed fault `<kind>_fault` and how many calls it still takes, `<kind>_fault_left`. Arming sets both
 * (`none` disarms); each call takes one with a conditional decrement, so N armed faults fire exactly N
 * times however many instances call at once.
 */
export class SimFaults<K extends string> {
  constructor(
    private readonly ds: DataSource,
    /** the protocol's trade table (a constant of the face, never user input) */
    private readonly table: string,
  ) {}

  /** Arms the given kinds on trade `id` for the next `times` calls (default 1); `none` disarms. */
  async arm(id: number, faults: Partial<Record<K, string>>, times = 1): Promise<void> {
    for (const [kind, fault] of Object.entries(faults) as Array<[K, string | undefined]>) {
      if (!fault) continue;
      const off = fault === 'none';
      await this.ds.query(`UPDATE ${this.table} SET ${kind}_fault = ?, ${kind}_fault_left = ? WHERE id = ?`, [
        off ? null : fault,
        off ? 0 : times,
        id,
      ]);
    }
  }

  /** Takes one armed fault of `kind` from trade `row`, as read before the call; null when none fires. */
  async take<F extends string>(row: { id: number }, kind: K): Promise<F | null> {
    const fault = (row as Record<string, unknown>)[`${kind}_fault`] as F | null | undefined;
    if (!fault || fault === 'none') return null;
    const res = await this.ds.query(
      `UPDATE ${this.table} SET ${kind}_fault_left = ${kind}_fault_left - 1
       WHERE id = ? AND ${kind}_fault = ? AND ${kind}_fault_left > 0`,
      [row.id, fault],
    );
    return res.affectedRows === 1 ? fault : null;
  }
}

/** The armed-fault view of a trade row: `{fault, left}` while calls are left, else null. */
export function armed(row: object, kind: string): { fault: unknown; left: number } | null {
  const r = row as Record<string, unknown>;
  const left = Number(r[`${kind}_fault_left`] ?? 0);
  return left > 0 ? { fault: r[`${kind}_fault`], left } : null;
}
