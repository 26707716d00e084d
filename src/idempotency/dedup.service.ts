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

  /** Whether a marker exists (a plain read; for fast "already done" answers before any write). */
  async isDone(refType: string, refId: string, manager?: EntityManager): Promise<boolean> {
    const rows = await (manager ?? this.dataSource.manager).query(
      'SELECT 1 FROM t_uq_dipose WHERE ref_type = ? AND ref_id = ? LIMIT 1',
      [refType, refId],
    );
    return rows.length > 0;
  }
}
