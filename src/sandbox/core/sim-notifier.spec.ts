import type { Queue } from 'bull';
import { DataSource } from 'typeorm';
import { SimNotifier, SimNotifyJob, SimProtocol } from './sim-notifier';

/** The core's delivery rules with the database, queue and network stubbed (e2e suites drive the real ones). */
describe('SimNotifier', () => {
  let inserted: unknown[][];
  let updated: unknown[][];
  let fresh: boolean;
  let added: Array<{ job: SimNotifyJob; opts: { jobId: string; delay: number } }>;
  let answer: { status: number; body: string };
  let sent: number;
  let prior: { acked: string | null; live: string | null };
  const p: SimProtocol = {
    channel: 'alipay',
    jobPrefix: 'x',
    retryGapsMs: () => [1000, 2000],
    sendTimeoutMs: 100,
    corrupting: ['bad_sign'],
    acked: (status, body) => status === 200 && body === 'success',
    build: async () => ({ url: 'http://sim.test/notify', body: 'a=1', headers: {}, payload: { a: '1' } }),
    stale: async () => ({ event: 'TRADE_CLOSED' }),
    newNotifyId: () => 'n2',
  };
  const ds = {
    query: async (sql: string, args: unknown[]) => {
      if (sql.trim().startsWith('SELECT')) return [prior];
      if (sql.includes('INSERT IGNORE')) inserted.push(args);
      else updated.push(args);
      return { affectedRows: sql.includes('INSERT IGNORE') && !fresh ? 0 : 1 };
    },
  } as unknown as DataSource;
  const queue = {
    add: async (job: SimNotifyJob, opts: never) => void added.push({ job, opts }),
  } as unknown as Queue;
  const core = new SimNotifier(ds, queue, p, 0.5);
  const job = (o: Partial<SimNotifyJob> = {}): SimNotifyJob => ({
    kind: 'notify',
    trade: 'T1',
    event: 'TRADE_SUCCESS',
    notifyId: 'n1',
    mode: 'normal',
    seq: 1,
    copies: 1,
    corruptLeft: 0,
    ...o,
  });

  const realFetch = global.fetch;
  afterAll(() => (global.fetch = realFetch));

  beforeEach(() => {
    [inserted, updated, added, fresh, answer, sent] = [[], [], [], true, { status: 200, body: 'success' }, 0];
    prior = { acked: '0', live: '0' };
    global.fetch = jest.fn(async () => {
      sent++;
      return { status: answer.status, text: async () => answer.body };
    }) as unknown as typeof fetch;
  });

  it('drop records a DROPPED attempt and queues nothing', async () => {
    await core.enqueue({ trade: 'T1', event: 'TRADE_SUCCESS', notifyId: 'n1' }, 'drop');
    expect(added).toEqual([]);
    expect(inserted[0]).toEqual(expect.arrayContaining(['alipay', 'T1', 'n1', 'drop', 'DROPPED']));
  });

  it('duplicate queues `times` copies; a corrupting mode corrupts `times` deliveries; delay waits', async () => {
    await core.enqueue({ trade: 'T1', event: 'E' }, 'duplicate', 3);
    await core.enqueue({ trade: 'T1', event: 'E' }, 'bad_sign', 2);
    await core.enqueue({ trade: 'T1', event: 'E' }, 'delay', undefined, 700);
    expect(added.map((a) => [a.job.copies, a.job.corruptLeft, a.opts.delay])).toEqual([
      [3, 0, 0],
      [1, 2, 0],
      [1, 0, 700],
    ]);
  });

  it('a delivery not acknowledged is re-sent after the scaled gap, then given up', async () => {
    answer = { status: 200, body: 'fail' };
    await core.deliver(job());
    expect(added.map((a) => [a.opts.jobId, a.opts.delay])).toEqual([['x:n1:2', 500]]);
    await core.deliver(added[0].job);
    await core.deliver({ ...added[1].job });
    expect(added.map((a) => a.job.seq)).toEqual([2, 3]); // two gaps: three sends, then it gives up
    expect(updated.map((u) => u[0])).toEqual(['NACKED', 'NACKED', 'NACKED']);
  });

  it('a run whose attempts are on record sends nothing; it re-sends only when none acked and none is in flight', async () => {
    fresh = false;
    prior = { acked: '1', live: '0' };
    await core.deliver(job({ mode: 'out_of_order' }));
    prior = { acked: '0', live: '1' };
    await core.deliver(job());
    expect([sent, added.length]).toEqual([0, 0]); // no send, no re-send, no second stale notify
    prior = { acked: '0', live: '0' }; // the run that held them died, or was refused
    await core.deliver(job());
    expect([sent, added.map((a) => a.opts.jobId)]).toEqual([0, ['x:n1:2']]);
  });

  it('a re-send once the corruption is spent is recorded as normal; out_of_order adds one stale notify', async () => {
    await core.deliver(job({ mode: 'bad_sign', seq: 2, corruptLeft: 0 }));
    expect(inserted[0][5]).toBe('normal');
    await core.deliver(job({ mode: 'out_of_order' }));
    expect(added.map((a) => [a.job.notifyId, a.job.event, a.job.stale])).toEqual([
      ['n2', 'TRADE_CLOSED', true],
    ]);
  });
});
