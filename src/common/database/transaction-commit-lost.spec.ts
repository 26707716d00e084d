import { DataSource } from 'typeorm';
import { DomainError } from '../errors/domain.error';
import { ErrorCode } from '../errors/error-code.enum';
import { TransactionService } from './transaction.service';

const lost = () =>
  Object.assign(new Error('Connection lost: The server closed the connection.'), {
    driverError: { code: 'PROTOCOL_CONNECTION_LOST', fatal: true },
  });

/**
 * A DataSource whose first query runner's COMMIT gets no answer (a lost connection); `alive` is how many
 * process-list checks still see the old thread (thread 42).
 */
function fake(opts: { alive?: number } = {}) {
  const statements: string[] = [];
  let alive = opts.alive ?? 0;
  let runners = 0;
  const ds = {
    createQueryRunner: () => {
      const n = ++runners;
      const query = async (sql: string) => {
        statements.push(sql);
        if (sql.startsWith('SHOW GLOBAL VARIABLES')) return [];
        if (sql.includes('PROCESSLIST')) return [{ n: alive-- > 0 ? 1 : 0 }];
        return [];
      };
      return {
        connect: async () => ({ threadId: 40 + n + 1 }),
        query,
        startTransaction: async () => statements.push('BEGIN'),
        commitTransaction: async () => {
          statements.push('COMMIT');
          if (n === 1) throw lost();
        },
        rollbackTransaction: async () => statements.push('ROLLBACK'),
        release: async () => undefined,
        manager: { fresh: n, query },
      };
    },
  } as unknown as DataSource;
  return { ds, statements };
}

describe('TransactionService: a COMMIT without an answer', () => {
  it('is never run again; with confirm → committed, the work’s result (the look-up on a fresh connection)', async () => {
    const { ds, statements } = fake();
    const tx = new TransactionService(ds);
    let calls = 0;
    const seen: unknown[] = [];
    const r = await tx.run(
      async () => {
        calls++;
        return 'made';
      },
      {
        confirm: {
          committed: async (m) => {
            seen.push((m as unknown as { fresh: number }).fresh);
            return true;
          },
          details: { orderNo: 'O1' },
        },
      },
    );
    expect(r).toBe('made');
    expect(calls).toBe(1);
    expect(seen).toEqual([2]);
    expect(statements.filter((s) => s === 'COMMIT')).toHaveLength(1);
  });

  it('not committed → the original error (503 DATABASE_UNAVAILABLE: a retry is safe)', async () => {
    const { ds } = fake();
    const tx = new TransactionService(ds);
    await expect(
      tx.run(async () => 'x', { confirm: { committed: async () => false, details: {} } }),
    ).rejects.toMatchObject({ driverError: { code: 'PROTOCOL_CONNECTION_LOST' } });
  });

  it('cannot be found out → DomainError OUTCOME_UNKNOWN naming the details', async () => {
    const { ds } = fake();
    const tx = new TransactionService(ds);
    const err = await tx
      .run(async () => 'x', {
        confirm: {
          committed: async () => {
            throw lost();
          },
          details: { orderNo: 'O1' },
        },
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect(err).toMatchObject({
      code: ErrorCode.OUTCOME_UNKNOWN,
      details: { reason: 'OUTCOME_UNKNOWN', orderNo: 'O1' },
    });
  });

  it('an old thread still there is KILLed and waited for before the look-up', async () => {
    const { ds, statements } = fake({ alive: 2 });
    const tx = new TransactionService(ds);
    await tx.run(async () => 'x', { confirm: { committed: async () => true, details: {} } });
    const kill = statements.findIndex((s) => s.startsWith('KILL CONNECTION 42'));
    expect(kill).toBeGreaterThan(0);
    expect(statements.filter((s) => s.includes('PROCESSLIST'))).toHaveLength(3);
  });

  it('without confirm: the original error, not retried', async () => {
    const { ds, statements } = fake();
    const tx = new TransactionService(ds);
    await expect(tx.run(async () => 'x')).rejects.toMatchObject({
      driverError: { code: 'PROTOCOL_CONNECTION_LOST' },
    });
    expect(statements.filter((s) => s === 'BEGIN')).toHaveLength(1);
  });
});
