import { backoffMs, claimSql, LeasedQueue, LeasedRow, retrySql } from './leased-queue';
import type { TransactionService } from './database/transaction.service';
import type { DataSource, EntityManager } from 'typeorm';

const OUTBOX = {
  table: 't_outbox',
  columns: ['topic', 'event_key', 'payload'],
  pending: "status = 'PENDING'",
};
const BUFFER = {
  table: 't_callback_log',
  columns: ['raw_body'],
  pending: 'dedup = 1 AND applied_at IS NULL',
};

describe('backoffMs', () => {
  it('doubles from the base and stops at the cap', () => {
    expect([0, 1, 2, 3, 4, 5].map((n) => backoffMs(n, 1000, 30000))).toEqual([
      1000, 2000, 4000, 8000, 16000, 30000,
    ]);
  });

  it('gives what the relay and the buffered worker computed before (min(base·2^min(n, cap), max))', () => {
    for (const base of [50, 1000, 60000]) {
      for (let n = 0; n <= 40; n++) {
        expect(backoffMs(n, base, 30000)).toBe(Math.min(base * 2 ** Math.min(n, 16), 30000));
        expect(backoffMs(n, base, 600000)).toBe(Math.min(base * 2 ** Math.min(n, 20), 600000));
      }
    }
  });

  it('stays finite for any count (a row retried for days never waits forever or NaN)', () => {
    expect(backoffMs(5000, 50, 600000)).toBe(600000);
    expect(backoffMs(-1, 50, 600000)).toBe(50);
  });
});

describe('claimSql', () => {
  it('selects the due, pending rows of the table with SKIP LOCKED, oldest first', () => {
    const { select } = claimSql(OUTBOX);
    expect(select).toBe(
      "SELECT id, topic, event_key, payload, attempts FROM t_outbox WHERE status = 'PENDING'" +
        ' AND available_at <= NOW(3) ORDER BY available_at, id LIMIT ? FOR UPDATE SKIP LOCKED',
    );
  });

  it('a claimable condition joins the SELECT only, over the table aliased q', () => {
    const t = { ...BUFFER, claimable: 'NOT EXISTS (SELECT 1 FROM t_callback_log e WHERE e.id < q.id)' };
    expect(claimSql(t).select).toBe(
      `SELECT id, ${BUFFER.columns.join(', ')}, attempts FROM t_callback_log q WHERE ${BUFFER.pending}` +
        ' AND available_at <= NOW(3) AND NOT EXISTS (SELECT 1 FROM t_callback_log e WHERE e.id < q.id)' +
        ' ORDER BY available_at, id LIMIT ? FOR UPDATE SKIP LOCKED',
    );
    expect(retrySql(t)).toBe(retrySql(BUFFER));
  });

  it('leases the claimed rows and counts the try', () => {
    expect(claimSql(BUFFER).lease).toBe(
      'UPDATE t_callback_log SET attempts = attempts + 1, available_at = NOW(3) + INTERVAL ? MICROSECOND' +
        ' WHERE id IN (?)',
    );
  });

  it('a retry sets the caller columns, then the delay, only while the row is still pending', () => {
    expect(retrySql(BUFFER, ['outcome', 'detail'])).toBe(
      'UPDATE t_callback_log SET outcome = ?, detail = ?, available_at = NOW(3) + INTERVAL ? MICROSECOND' +
        ' WHERE id = ? AND dedup = 1 AND applied_at IS NULL',
    );
    expect(retrySql(OUTBOX)).toBe(
      "UPDATE t_outbox SET available_at = NOW(3) + INTERVAL ? MICROSECOND WHERE id = ? AND status = 'PENDING'",
    );
  });
});

describe('LeasedQueue', () => {
  function queue() {
    const calls: Array<{ on: 'tx' | 'pool'; sql: string; params: unknown[] }> = [];
    const rows: LeasedRow[] = [
      { id: '7', attempts: 0 },
      { id: '9', attempts: 3 },
    ];
    let inTx = false;
    const manager = {
      query: async (sql: string, params: unknown[]) => {
        calls.push({ on: 'tx', sql, params });
        return sql.startsWith('SELECT') ? rows : { affectedRows: rows.length };
      },
    } as unknown as EntityManager;
    const tx = {
      run: async <T>(work: (m: EntityManager) => Promise<T>) => {
        inTx = true;
        try {
          return await work(manager);
        } finally {
          inTx = false;
        }
      },
    } as unknown as TransactionService;
    const dataSource = {
      query: async (sql: string, params: unknown[]) => {
        if (inTx) throw new Error('a second pool connection inside the claim transaction');
        calls.push({ on: 'pool', sql, params });
        return { affectedRows: 1 };
      },
    } as unknown as DataSource;
    return { q: new LeasedQueue<LeasedRow>(BUFFER, tx, dataSource), calls, rows };
  }

  it('claim: the select and the lease in one transaction, lease in microseconds, rows as read', async () => {
    const { q, calls, rows } = queue();
    expect(await q.claim(20, 30000)).toEqual(rows);
    expect(calls).toEqual([
      { on: 'tx', sql: claimSql(BUFFER).select, params: [20] },
      { on: 'tx', sql: claimSql(BUFFER).lease, params: [30000 * 1000, ['7', '9']] },
    ]);
  });

  it('claim of nothing writes nothing', async () => {
    const { q, calls, rows } = queue();
    rows.length = 0;
    expect(await q.claim(20, 30000)).toEqual([]);
    expect(calls.map((c) => c.sql)).toEqual([claimSql(BUFFER).select]);
  });

  it('retryLater: outside any transaction, caller columns then delay then id', async () => {
    const { q, calls } = queue();
    await q.retryLater('9', 4000, { outcome: 'ERROR', detail: 'db down' });
    expect(calls).toEqual([
      {
        on: 'pool',
        sql: retrySql(BUFFER, ['outcome', 'detail']),
        params: ['ERROR', 'db down', 4000 * 1000, '9'],
      },
    ]);
  });
});
