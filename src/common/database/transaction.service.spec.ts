import { DataSource } from 'typeorm';
import { MetricsService } from '../metrics/metrics.service';
import { SESSION_CAUSAL_READS, SESSION_READ_COMMITTED, TransactionService } from './transaction.service';

const conflict = () =>
  Object.assign(new Error('Deadlock found when trying to get lock; try restarting transaction'), {
    driverError: { code: 'ER_LOCK_DEADLOCK', errno: 1213 },
  });

/** A DataSource whose query runners record what they were asked; `wsrep` is the server's wsrep_on. */
function fakeDataSource(wsrep: 'ON' | 'OFF' | null) {
  const statements: string[] = [];
  const conn = {};
  const ds = {
    createQueryRunner: () => ({
      connect: async () => conn,
      query: async (sql: string) => {
        statements.push(sql);
        if (sql.startsWith('SHOW GLOBAL VARIABLES'))
          return wsrep ? [{ Variable_name: 'wsrep_on', Value: wsrep }] : [];
        return [];
      },
      startTransaction: async () => statements.push('BEGIN'),
      commitTransaction: async () => statements.push('COMMIT'),
      rollbackTransaction: async () => statements.push('ROLLBACK'),
      release: async () => undefined,
      manager: {},
    }),
  } as unknown as DataSource;
  return { ds, statements };
}

async function counter(metrics: MetricsService, name: string): Promise<Record<string, number>> {
  const m = await metrics.registry.getSingleMetric(name)!.get();
  return Object.fromEntries(m.values.map((v) => [String(v.labels.reason), v.value]));
}

describe('TransactionService retries', () => {
  it('a certification conflict is run again as a whole after a jittered wait, and counted', async () => {
    const { ds, statements } = fakeDataSource('OFF');
    const metrics = new MetricsService();
    const tx = new TransactionService(ds, metrics);
    let calls = 0;
    const result = await tx.run(async () => {
      calls++;
      if (calls < 5) throw conflict();
      return 'done';
    });
    expect(result).toBe('done');
    expect(calls).toBe(5); // more than the 3 tries a storm outlived before
    expect(statements.filter((s) => s === 'ROLLBACK')).toHaveLength(4);
    expect(statements.filter((s) => s === 'COMMIT')).toHaveLength(1);
    expect(await counter(metrics, 'oncepay_tx_retries_total')).toEqual({ conflict: 4 });
  });

  it('one that outlives the bound is thrown (→ 503) and counted as exhausted', async () => {
    const { ds } = fakeDataSource('OFF');
    const metrics = new MetricsService();
    const tx = new TransactionService(ds, metrics);
    tx.policy = { attempts: 4, baseMs: 1, capMs: 2, budgetMs: 1000 };
    let calls = 0;
    await expect(
      tx.run(async () => {
        calls++;
        throw conflict();
      }),
    ).rejects.toMatchObject({ driverError: { code: 'ER_LOCK_DEADLOCK' } });
    expect(calls).toBe(4);
    expect(await counter(metrics, 'oncepay_tx_retries_total')).toEqual({ conflict: 3 });
    expect(await counter(metrics, 'oncepay_tx_retries_exhausted_total')).toEqual({ conflict: 1 });
  });

  it('the time budget ends the retries too', async () => {
    const { ds } = fakeDataSource('OFF');
    const tx = new TransactionService(ds);
    tx.policy = { attempts: 1000, baseMs: 20, capMs: 20, budgetMs: 60 };
    let calls = 0;
    const started = Date.now();
    await expect(
      tx.run(async () => {
        calls++;
        throw conflict();
      }),
    ).rejects.toThrow('Deadlock');
    expect(calls).toBeLessThan(20);
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('a duplicate key or any other error is not retried', async () => {
    const { ds } = fakeDataSource('OFF');
    const tx = new TransactionService(ds);
    let calls = 0;
    await expect(
      tx.run(async () => {
        calls++;
        throw Object.assign(new Error('Duplicate entry'), { driverError: { code: 'ER_DUP_ENTRY' } });
      }),
    ).rejects.toThrow('Duplicate entry');
    expect(calls).toBe(1);
  });

  it('sets causal reads (wsrep_sync_wait) after the isolation level only on a Galera node, once per connection', async () => {
    for (const [wsrep, expected] of [
      ['ON', [SESSION_READ_COMMITTED, SESSION_CAUSAL_READS]],
      ['OFF', [SESSION_READ_COMMITTED]],
      [null, [SESSION_READ_COMMITTED]], // MySQL: no wsrep_on at all
    ] as const) {
      const { ds, statements } = fakeDataSource(wsrep);
      const tx = new TransactionService(ds);
      await tx.run(async () => 1);
      await tx.run(async () => 2);
      expect(statements.filter((s) => s.startsWith('SET SESSION'))).toEqual(expected);
      expect(statements.filter((s) => s.startsWith('SHOW GLOBAL VARIABLES'))).toHaveLength(1);
    }
  });
});
