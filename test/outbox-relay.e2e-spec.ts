import { getQueueToken } from '@nestjs/bull';
import type { Queue } from 'bull';
import { TransactionService } from '../src/common/database/transaction.service';
import { OutboxRelay } from '../src/common/outbox/outbox-relay.service';
import { OutboxService } from '../src/common/outbox/outbox.service';
import { QUEUES } from '../src/common/queue/queue.constants';
import { waitFor } from './callback-support';
import { deleteRedisPrefix } from './utils/services';
import { createTestApp, TestApp } from './utils/test-app';

/** Topic nobody consumes: these tests look at the relay only (the job stays in the queue). */
const TOPIC = 'test.relay';

async function addEvent(t: TestApp, key: string, rollback = false): Promise<void> {
  const outbox = t.app.get(OutboxService);
  await t.app
    .get(TransactionService)
    .run(async (m) => {
      await outbox.add(m, TOPIC, key, { key });
      if (rollback) throw new Error('rollback on purpose');
    })
    .catch((err: Error) => {
      if (!rollback) throw err;
    });
}

async function row(t: TestApp, key: string) {
  const rows = await t.dataSource.query(
    'SELECT status, attempts FROM t_outbox WHERE topic = ? AND event_key = ?',
    [TOPIC, key],
  );
  return rows[0] as { status: string; attempts: number } | undefined;
}

async function pauseConsumers(t: TestApp) {
  // keep any consumer off the queue, so a job stays where the relay put it
  await t.app.get<Queue>(getQueueToken(QUEUES.OUTBOX)).pause(true);
}

describe('outbox relay', () => {
  let t: TestApp;
  beforeAll(async () => {
    // a poll interval far longer than the test: only the after-commit nudge can publish in time
    t = await createTestApp({ env: { OUTBOX_POLL_MS: '600000' } });
    await pauseConsumers(t);
  });
  afterAll(() => t.close());

  it('publishes right after the commit (nudge), as a Bull job with jobId topic:eventKey, then marks SENT', async () => {
    // wait until the boot pass is over and the loop idles on its 600 s timer: from then on only the
    // after-commit nudge can run a pass, so SENT within 10 s proves the nudge (it fails without it)
    const loop = (t.app.get(OutboxRelay) as unknown as { loop: { running: unknown; timer: unknown } }).loop;
    await waitFor(async () => loop.running === null && loop.timer !== null, 'the boot pass done');
    await addEvent(t, 'k-1');
    await waitFor(async () => (await row(t, 'k-1'))?.status === 'SENT', 'row SENT', 10000);
    const job = await t.app.get<Queue>(getQueueToken(QUEUES.OUTBOX)).getJob(`${TOPIC}:k-1`);
    expect(job?.data).toMatchObject({ topic: TOPIC, eventKey: 'k-1', payload: { key: 'k-1' } });
    expect((await row(t, 'k-1'))?.attempts).toBe(1);
  });

  it('a rolled-back transaction leaves no row and publishes nothing', async () => {
    await addEvent(t, 'k-rolled', true);
    // the rollback is done when addEvent returns, and nothing can publish a row that never existed
    expect(await row(t, 'k-rolled')).toBeUndefined();
    expect(await t.app.get<Queue>(getQueueToken(QUEUES.OUTBOX)).getJob(`${TOPIC}:k-rolled`)).toBeNull();
  });

  it('the same event added twice is one row and one job', async () => {
    await addEvent(t, 'k-twice');
    await addEvent(t, 'k-twice');
    await waitFor(async () => (await row(t, 'k-twice'))?.status === 'SENT', 'row SENT', 10000);
    const rows = await t.dataSource.query('SELECT id FROM t_outbox WHERE event_key = ?', ['k-twice']);
    expect(rows).toHaveLength(1);
  });
});

describe('outbox relay: two instances share the work, each row claimed once', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    a = await createTestApp({ env: { OUTBOX_POLL_MS: '50' } });
    await pauseConsumers(a);
    b = await createTestApp({
      dbName: a.dbName,
      redisPrefix: a.redisPrefix,
      keepDb: true,
      env: { OUTBOX_POLL_MS: '50' },
    });
    await pauseConsumers(b);
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  it('300 rows → all SENT, each with exactly one publish attempt, 300 jobs', async () => {
    const values = Array.from({ length: 300 }, (_, i) => `('${TOPIC}', 'bulk-${i}', '{"i":${i}}')`).join(',');
    await a.dataSource.query(`INSERT INTO t_outbox (topic, event_key, payload) VALUES ${values}`);
    await waitFor(
      async () => {
        const [r] = await a.dataSource.query("SELECT COUNT(*) AS n FROM t_outbox WHERE status = 'PENDING'");
        return Number(r.n) === 0;
      },
      'all rows SENT',
      30000,
    );
    const [r] = await a.dataSource.query(
      "SELECT COUNT(*) AS n, MAX(attempts) AS hi, MIN(attempts) AS lo FROM t_outbox WHERE event_key LIKE 'bulk-%'",
    );
    expect(Number(r.n)).toBe(300);
    expect([Number(r.lo), Number(r.hi)]).toEqual([1, 1]);
    const q = a.app.get<Queue>(getQueueToken(QUEUES.OUTBOX));
    const counts = (await q.getJobCounts()) as Awaited<ReturnType<Queue['getJobCounts']>> & {
      paused: number;
    };
    expect(
      counts.waiting + counts.paused + counts.active + counts.delayed + counts.completed + counts.failed,
    ).toBe(300);
  });
});

describe('outbox relay with Redis unreachable', () => {
  let down: TestApp;
  let up: TestApp | undefined;
  beforeAll(async () => {
    down = await createTestApp({
      env: { REDIS_URL: 'redis://127.0.0.1:6390', REDIS_COMMAND_TIMEOUT_MS: '300', OUTBOX_POLL_MS: '50' },
    });
  });
  afterAll(async () => {
    await up?.close();
    await down.close();
  });

  it('keeps the row PENDING (nothing lost), and an instance with Redis publishes it later', async () => {
    await addEvent(down, 'k-down');
    // passes run here deterministically (awaited), instead of a sleep through some poll ticks: with Redis
    // not ready a pass claims nothing, so no attempt is burnt and the row stays PENDING
    const relay = down.app.get(OutboxRelay);
    for (let i = 0; i < 3; i++) expect(await relay.relayOnce()).toBe(0);
    expect(await row(down, 'k-down')).toMatchObject({ status: 'PENDING', attempts: 0 });

    up = await createTestApp({ dbName: down.dbName, keepDb: true, env: { OUTBOX_POLL_MS: '50' } });
    await pauseConsumers(up);
    await waitFor(
      async () => (await row(up!, 'k-down'))?.status === 'SENT',
      'row SENT by the healthy instance',
    );
    const job = await up.app.get<Queue>(getQueueToken(QUEUES.OUTBOX)).getJob(`${TOPIC}:k-down`);
    expect(job?.data.eventKey).toBe('k-down');
  });
});

describe('outbox relay stopped (a crashed relay)', () => {
  it('rows written while no relay runs are published by the next instance', async () => {
    const a = await createTestApp({ env: { OUTBOX_POLL_MS: '50' } });
    await a.app.get(OutboxRelay).stop();
    await addEvent(a, 'k-crash');
    // stop() has waited for any running pass: nothing can publish here, so nothing to wait for
    expect(await row(a, 'k-crash')).toMatchObject({ status: 'PENDING', attempts: 0 });
    await a.app.close(); // "crash": the database stays
    const b = await createTestApp({
      dbName: a.dbName,
      redisPrefix: a.redisPrefix,
      env: { OUTBOX_POLL_MS: '50' },
    });
    try {
      await pauseConsumers(b);
      await waitFor(async () => (await row(b, 'k-crash'))?.status === 'SENT', 'row SENT after restart');
    } finally {
      await b.close();
      await deleteRedisPrefix(a.redisPrefix);
    }
  });
});
