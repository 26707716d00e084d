import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { isDuplicateKey } from '../common/database/db-errors';
import { TransactionService } from '../common/database/transaction.service';
import { IdempotencyMetrics } from './idempotency.metrics';

export type RunOnceResult<T> = { status: 'done'; result: T } | { status: 'duplicate' };

/**
 * Exactly-once through the `t_uq_dipose` unique key (uq_1: ref_type, ref_id).
 *
 * The marker row is inserted FIRST, inside the same transaction as the work. A concurrent second
 * caller blocks on the first one's row lock; when the first commits, the second gets ER_DUP_ENTRY
 * and is told "duplicate" (never a 500). If the work throws, the transaction rolls back with the
 * marker, so a retry can run. Redis plays no part: MySQL alone decides.
 */
@Injectable()
export class DedupService {
  constructor(
    private readonly tx: TransactionService,
    private readonly dataSource: DataSource,
    private readonly metrics: IdempotencyMetrics,
  ) {}

  /**
   * Runs `work` once per (refType, refId), ever.
   * @param opts.manager join this outer transaction (its owner commits; a duplicate leaves it usable,
   *   as MySQL rolls back only the failed statement).
   */
  async runOnce<T>(
    refType: string,
    refId: string,
    work: (manager: EntityManager) => Promise<T>,
    opts: { manager?: EntityManager } = {},
  ): Promise<RunOnceResult<T>> {
    if (!refType || refType.length > 32 || !refId || refId.length > 64) {
      throw new Error(`runOnce: ref_type (1-32) / ref_id (1-64) out of range: ${refType}/${refId}`);
    }
    const result = await this.tx.run(async (m): Promise<RunOnceResult<T>> => {
      try {
        await m.query('INSERT INTO t_uq_dipose (ref_type, ref_id) VALUES (?, ?)', [refType, refId]);
      } catch (err) {
        if (isDuplicateKey(err)) return { status: 'duplicate' };
        throw err;
      }
      return { status: 'done', result: await work(m) };
    }, opts);
    this.metrics.event('run_once', result.status === 'done' ? 'applied' : 'duplicate');
    return result;
  }

  /**
   * Inserts several markers with ONE statement inside `m`'s transaction (a round trip less than one
   * `runOnce` each): true when every one was new. False when any of them exists: MySQL rolls the
   * failed statement back as a whole, so none of them is written and `m` stays usable — the caller
   * then goes marker by marker (`runOnce`) to learn which. A concurrent caller inserting one of the
   * same markers waits for this transaction, as with `runOnce`. The caller must do, in `m`, the work
   * each marker stands for, or take the marker back (`unmark`) before its commit.
   */
  async markAll(m: EntityManager, marks: ReadonlyArray<readonly [string, string]>): Promise<boolean> {
    for (const [refType, refId] of marks) {
      if (!refType || refType.length > 32 || !refId || refId.length > 64) {
        throw new Error(`markAll: ref_type (1-32) / ref_id (1-64) out of range: ${refType}/${refId}`);
      }
    }
    if (!m.queryRunner?.isTransactionActive)
      throw new Error('markAll: the manager is not inside a transaction');
    try {
      await m.query(
        `INSERT INTO t_uq_dipose (ref_type, ref_id) VALUES ${marks.map(() => '(?, ?)').join(', ')}`,
        marks.flatMap(([t, id]) => [t, id]),
      );
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
    for (let i = 0; i < marks.length; i++) this.metrics.event('run_once', 'applied');
    return true;
  }

  /**
   * Takes back a marker this transaction inserted with `markAll` whose work turned out not to be
   * done (never a committed one: it is the caller's own uncommitted row, invisible to everyone else).
   */
  async unmark(m: EntityManager, refType: string, refId: string): Promise<void> {
    const res = await m.query('DELETE FROM t_uq_dipose WHERE ref_type = ? AND ref_id = ?', [refType, refId]);
    if (Number(res?.affectedRows ?? 0) !== 1) throw new Error(`unmark: no marker ${refType}/${refId}`);
    this.metrics.event('run_once', 'unmarked');
  }

  /** Whether a marker exists (a plain read; for fast "already done" answers before any write). */
  async isDone(refType: string, refId: string, manager?: EntityManager): Promise<boolean> {
    const rows = await (manager ?? this.dataSource.manager).query(
      'SELECT 1 FROM t_uq_dipose WHERE ref_type = ? AND ref_id = ? LIMIT 1',
      [refType, refId],
    );
    return rows.length > 0;
  }
}
