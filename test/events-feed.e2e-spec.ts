import { QueryRunner } from 'typeorm';
import { OutboxService } from '../src/common/outbox/outbox.service';
import { TOPICS } from '../src/common/events/payment-events';
import { waitFor } from './callback-support';
import { createTestApp, TestApp } from './utils/test-app';

/**
 * The feed's promise: every public event once, in one order, and a reader that has moved past a
 * position never misses an event that commits later with a smaller outbox id.
 */
describe('event feed (GET /v1/events): no gaps under late commits', () => {
  let t: TestApp;
  let admin: string;
  beforeAll(async () => {
    t = await createTestApp({ env: { EVENTS_POLL_MS: '50' } });
    admin = t.bearer('ops', 'admin');
  });
  afterAll(() => t.close());

  const payload = (key: string) => ({
    paymentNo: key,
    orderNo: `o-${key}`,
    userId: 'u-feed',
    channel: 'alipay',
    amount: 100,
    channelTradeNo: null,
    paidAt: new Date().toISOString(),
  });

  /** An outbox row inserted in a transaction that stays open until the test says so. */
  async function hold(key: string): Promise<{ qr: QueryRunner; outboxId: number; at: string }> {
    const qr = t.dataSource.createQueryRunner();
    await qr.connect();
    await qr.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED');
    await qr.startTransaction();
    await t.app.get(OutboxService).add(qr.manager, TOPICS.PAYMENT_SUCCEEDED, key, payload(key));
    const [{ id, at }] = await qr.query(
      `SELECT o.id, DATE_FORMAT(o.created_at, '%Y-%m-%d %H:%i:%s.%f') AS at FROM t_outbox o WHERE o.id = LAST_INSERT_ID()`,
    );
    return { qr, outboxId: Number(id), at: String(at) };
  }

  async function write(key: string): Promise<void> {
    await t.dataSource.transaction('READ COMMITTED', (m) =>
      t.app.get(OutboxService).add(m, TOPICS.PAYMENT_SUCCEEDED, key, payload(key)),
    );
  }

  interface Item {
    id: string;
    type: string;
    version: number;
    data: { paymentNo: string };
  }

  /** Pages the feed from `after` to its end with small pages. */
  async function readAll(after?: string): Promise<{ items: Item[]; cursor: string }> {
    const items: Item[] = [];
    let cursor = after;
    for (;;) {
      const res = await t
        .http()
        .get('/v1/events')
        .query({ limit: 7, ...(cursor ? { after: cursor } : {}) })
        .set('Authorization', admin)
        .expect(200);
      items.push(...res.body.items);
      if (!res.body.items.length) return { items, cursor: res.body.nextCursor };
      cursor = res.body.nextCursor;
    }
  }

  /** The sequencer's time watermark as text (null before its first raise). */
  const watermark = async (): Promise<string | null> => {
    const [{ w }] = await t.dataSource.query(
      `SELECT DATE_FORMAT(time_watermark, '%Y-%m-%d %H:%i:%s.%f') AS w FROM t_event_sequencer WHERE id = 1`,
    );
    return w === null ? null : String(w);
  };

  const keysOf = (items: Item[]) => items.map((i) => i.data.paymentNo);

  it('20 concurrent writers, transactions held open across them: every event exactly once, in order, none skipped', async () => {
    const early = await hold('held-early'); // the smallest id of the run
    const writers = 20;
    const perWriter = 10;
    const wave = (from: number, to: number) =>
      Promise.all(
        Array.from({ length: writers }, async (_, w) => {
          for (let i = from; i < to; i++) await write(`w${w}-${i}`);
        }),
      );
    await wave(0, 5);
    const middle = await hold('held-middle');
    const rolled = await hold('held-rolled-back');
    await wave(5, perWriter);

    // the readers see all 200 committed events and move past them
    const all = writers * perWriter;
    const seen = await waitFor(async () => {
      const r = await readAll();
      return r.items.length >= all ? r : null;
    }, 'all committed events in the feed');
    expect(seen.items).toHaveLength(all);
    expect(keysOf(seen.items)).not.toContain('held-early');
    const [{ maxId }] = await t.dataSource.query(
      `SELECT MAX(id) AS maxId FROM t_outbox WHERE event_key LIKE 'w%'`,
    );
    expect(early.outboxId).toBeLessThan(middle.outboxId);
    expect(middle.outboxId).toBeLessThan(Number(maxId)); // later writers committed above both held ids
    // the sequencer's (time) watermark stays at or below the oldest open transaction's row
    expect(await watermark()).not.toBeNull();
    expect((await watermark())! <= early.at).toBe(true);

    // now the late commits (newest first) and a rollback
    await rolled.qr.rollbackTransaction();
    await middle.qr.commitTransaction();
    await early.qr.commitTransaction();
    await Promise.all([rolled.qr.release(), middle.qr.release(), early.qr.release()]);

    // the reader that had moved past every position still gets both, after its cursor
    const late = await waitFor(async () => {
      const r = await readAll(seen.cursor);
      return r.items.length >= 2 ? r : null;
    }, 'the late commits after the old cursor');
    expect(keysOf(late.items).sort()).toEqual(['held-early', 'held-middle']);

    // the whole feed: each event once, positions contiguous, nothing from the rolled-back transaction
    const full = await readAll();
    const keys = keysOf(full.items);
    expect(keys).toHaveLength(all + 2);
    expect(new Set(keys).size).toBe(all + 2);
    expect(new Set(full.items.map((i) => i.id)).size).toBe(all + 2);
    expect(keys).not.toContain('held-rolled-back');
    for (let w = 0; w < writers; w++) {
      // each writer's events in its commit order
      const mine = keys.filter((k) => k.startsWith(`w${w}-`));
      expect(mine).toEqual(Array.from({ length: perWriter }, (_, i) => `w${w}-${i}`));
    }
    const positions: Array<{ position: string }> = await t.dataSource.query(
      'SELECT position FROM t_event ORDER BY position',
    );
    expect(positions.map((p) => Number(p.position))).toEqual(
      Array.from({ length: all + 2 }, (_, i) => i + 1),
    );
    // once nothing of ours is open any more, the watermark moves past them all
    const [{ last }] = await t.dataSource.query(
      `SELECT DATE_FORMAT(MAX(created_at), '%Y-%m-%d %H:%i:%s.%f') AS last FROM t_outbox`,
    );
    await waitFor(
      async () => ((await watermark()) ?? '') > String(last),
      'the watermark to pass every row',
      60_000, // other suites' transactions on a shared server hold the horizon back while they are open
    );
  });

  it('bad cursor → 400 VALIDATION_FAILED; users → 403', async () => {
    const bad = await t.http().get('/v1/events?after=abc').set('Authorization', admin).expect(400);
    expect(bad.body.code).toBe('VALIDATION_FAILED');
    await t.http().get('/v1/events').set('Authorization', t.bearer('u-1')).expect(403);
  });
});
