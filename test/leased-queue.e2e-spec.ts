import { CallbackLogRepository } from '../src/callback/callback-log.repository';
import { TransactionService } from '../src/common/database/transaction.service';
import { claimSql, LeasedQueue, LeasedRow, LeasedTable } from '../src/common/leased-queue';
import { OutboxRelay } from '../src/common/outbox/outbox-relay.service';
import { createTestApp, TestApp } from './utils/test-app';

/**
 * LeasedQueue on real MySQL, over t_outbox with the relay stopped (the table is only a vehicle: the
 * queue is the outbox relay's and the buffered-callback worker's claim/lease/retry).
 */
interface Row extends LeasedRow {
  event_key: string;
}

describe('LeasedQueue (real MySQL)', () => {
  let t: TestApp;
  let q: LeasedQueue<Row>;
  const outbox: LeasedTable = { table: 't_outbox', columns: ['event_key'], pending: "status = 'PENDING'" };
  beforeAll(async () => {
    t = await createTestApp({ env: { OUTBOX_POLL_MS: '600000' } });
    await t.app.get(OutboxRelay).stop();
    q = new LeasedQueue<Row>(outbox, t.app.get(TransactionService), t.dataSource);
  });
  afterAll(() => t.close());

  async function rows(prefix: string) {
    const r: Array<{ event_key: string; attempts: number; status: string; lease_ms: number }> =
      await t.dataSource.query(
        `SELECT event_key, attempts, status, TIMESTAMPDIFF(MICROSECOND, NOW(3), available_at) / 1000 AS lease_ms
           FROM t_outbox WHERE event_key LIKE ? ORDER BY id`,
        [`${prefix}%`],
      );
    return r.map((x) => ({ ...x, attempts: Number(x.attempts), lease_ms: Number(x.lease_ms) }));
  }

  async function insert(prefix: string, n: number) {
    const values = Array.from({ length: n }, (_, i) => `('test.lq', '${prefix}${i}', '{}')`).join(',');
    await t.dataSource.query(`INSERT INTO t_outbox (topic, event_key, payload) VALUES ${values}`);
  }

  it('a claim locks only the rows it returns: a claim beside an open one gets the next rows', async () => {
    await insert('beside-', 40);
    const mine = (rs: Array<{ event_key: string }>) => rs.filter((r) => r.event_key.startsWith('beside-'));
    const held = t.dataSource.createQueryRunner();
    await held.connect();
    try {
      await held.startTransaction('READ COMMITTED');
      // another worker's claim (the same SQL), still open: its transaction holds the rows it locked
      const first = mine(await held.query(claimSql(outbox).select, [15]));
      expect(first.length).toBeGreaterThan(0);
      const second = mine(await q.claim(15, 20000));
      // with a filesort the open claim had locked all 40 due rows, and this one came back empty
      expect(second.length).toBeGreaterThan(0);
      const overlap = second.filter((r) => first.some((f) => f.event_key === r.event_key));
      expect(overlap).toEqual([]);
    } finally {
      await held.rollbackTransaction().catch(() => undefined);
      await held.release();
      await t.dataSource.query("DELETE FROM t_outbox WHERE event_key LIKE 'beside-%'");
    }
  });

  it('concurrent claims never hand a row out twice; each claim leases its rows and counts one try', async () => {
    await insert('split-', 40);
    const mine = (rs: Row[]) => rs.filter((r) => r.event_key.startsWith('split-'));
    // Three at once: SKIP LOCKED makes the others skip what one holds, never wait or take it too.
    const firstRound = (await Promise.all([q.claim(15, 20000), q.claim(15, 20000), q.claim(15, 20000)])).map(
      mine,
    );
    const claimed = firstRound.flat();
    expect(claimed.length).toBeGreaterThanOrEqual(15);
    for (let i = 0; i < 5 && claimed.length < 40; i++) claimed.push(...mine(await q.claim(15, 20000)));
    const keys = claimed.map((r) => r.event_key);
    expect(new Set(keys).size).toBe(40);
    expect(keys).toHaveLength(40);
    expect(claimed.every((r) => Number(r.attempts) === 0)).toBe(true); // as read, before this try
    const after = await rows('split-');
    expect(after.every((r) => r.attempts === 1)).toBe(true);
    expect(after.every((r) => r.lease_ms > 15000 && r.lease_ms <= 20000)).toBe(true);
    // leased: nothing is due now
    expect(mine(await q.claim(100, 20000))).toEqual([]);
  });

  it('retryLater makes a leased row due again (with its columns set); a finished row is left alone', async () => {
    await insert('retry-', 2);
    const claimed = (await q.claim(100, 20000)).filter((r) => r.event_key.startsWith('retry-'));
    expect(claimed).toHaveLength(2);
    const [first, second] = claimed;
    await t.dataSource.query(`UPDATE t_outbox SET status = 'SENT' WHERE id = ?`, [second.id]);
    await q.retryLater(first.id, 0, { payload: '{"again":true}' });
    await q.retryLater(second.id, 0, { payload: '{"again":true}' });
    const again = await q.claim(100, 20000);
    expect(again.map((r) => r.event_key)).toEqual(['retry-0']);
    expect(Number(again[0].attempts)).toBe(1);
    const after = await rows('retry-');
    expect(after.map((r) => [r.event_key, r.status, r.attempts])).toEqual([
      ['retry-0', 'PENDING', 2],
      ['retry-1', 'SENT', 1],
    ]);
    const [p0] = await t.dataSource.query(`SELECT payload FROM t_outbox WHERE event_key = 'retry-0'`);
    const [p1] = await t.dataSource.query(`SELECT payload FROM t_outbox WHERE event_key = 'retry-1'`);
    const json = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);
    expect([json(p0.payload), json(p1.payload)]).toEqual([{ again: true }, {}]);
  });

  it("the buffered-notify queue hands out one trade's rows in arrival order, also beside another instance's claim", async () => {
    // t's CALLBACK_MODE is sync: no worker drains t_callback_log, the test claims by hand
    const log = t.app.get(CallbackLogRepository);
    const trade = `LQ${Date.now()}`;
    const insertRow = async (outTradeNo: string, status: string): Promise<string> => {
      const r = await t.dataSource.query(
        `INSERT INTO t_callback_log (channel, notify_id, trade_status, out_trade_no, raw_body, verified, outcome, dedup)
         VALUES ('alipay', ?, ?, ?, 'raw', 1, 'BUFFERED', 1)`,
        [`${outTradeNo}-${status}`, status, outTradeNo],
      );
      return String(r.insertId);
    };
    const paid = await insertRow(trade, 'TRADE_SUCCESS');
    const closed = await insertRow(trade, 'TRADE_CLOSED');
    const other = await insertRow(`${trade}B`, 'TRADE_SUCCESS');
    const ids = (rs: Array<{ id: string }>) =>
      rs.map((r) => String(r.id)).filter((id) => [paid, closed, other].includes(id));

    // another instance is claiming right now (its claim transaction still open, the first row locked):
    // the later row of that trade is not handed out beside it — before, SKIP LOCKED passed over the
    // locked row and this claim took the later one, which could then be applied first
    const held = t.dataSource.createQueryRunner();
    await held.connect();
    try {
      await held.startTransaction('READ COMMITTED');
      const theirs = ids(
        await held.query(
          claimSql({ table: 't_callback_log', columns: [], pending: 'dedup = 1 AND applied_at IS NULL' })
            .select,
          [100],
        ),
      );
      expect(theirs).toContain(paid);
      expect(ids(await log.claimBuffered(100, 20000))).toEqual([]);
    } finally {
      await held.rollbackTransaction().catch(() => undefined);
      await held.release();
    }

    // a claim takes the first row of each trade, never a later one while an earlier one is still to apply
    expect(ids(await log.claimBuffered(100, 20000))).toEqual([paid, other]);
    await log.retryLater(paid, 'UNKNOWN_TRADE', 'not yet', 0); // due again at once, still unapplied
    expect(ids(await log.claimBuffered(100, 20000))).toEqual([paid]);
    await t.dataSource.query('UPDATE t_callback_log SET applied_at = NOW(3) WHERE id = ?', [paid]);
    expect(ids(await log.claimBuffered(100, 20000))).toEqual([closed]);
  });
});
