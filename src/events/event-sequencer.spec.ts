import { EventSequencer } from './event-sequencer.service';
import type { NewEvent, OutboxRow } from './event.repository';

/** EventSequencer with its repositories stubbed: what it decides, and in which order. */
function setup(opts: { lease?: boolean; rows?: OutboxRow[][]; horizon?: string | null; dup?: boolean } = {}) {
  const calls: string[] = [];
  const inserted: NewEvent[] = [];
  let scan = 0;
  const repo = {
    takeLease: jest.fn(async () => opts.lease ?? true),
    releaseLease: jest.fn(async () => undefined),
    watermark: jest.fn(async () => {
      calls.push('watermark');
      return '2026-12-07 09:00:00.000000';
    }),
    unsequenced: jest.fn(async () => {
      calls.push('scan');
      return opts.rows?.[scan++] ?? [];
    }),
    raiseWatermark: jest.fn(async (to: string) => void calls.push(`raise ${to}`)),
    lastPosition: jest.fn(async () => 5),
    lastVersions: jest.fn(async () => new Map([['order:O1', 3]])),
    insert: jest.fn(async (_m: unknown, events: NewEvent[]) => {
      if (opts.dup) throw Object.assign(new Error('Duplicate entry'), { code: 'ER_DUP_ENTRY', errno: 1062 });
      inserted.push(...events);
    }),
  };
  const endpoints = { enabled: jest.fn(async () => [{ id: 'we_1', events: ['*'] }]) };
  const deliveries = { fanOut: jest.fn(async (_m: unknown, e: unknown[]) => e.length) };
  const tx = { run: jest.fn(async (work: (m: unknown) => Promise<unknown>) => work({})) };
  const horizon = {
    horizon: jest.fn(async () => {
      calls.push('horizon');
      return opts.horizon === undefined ? '2026-12-07 10:00:00.000000' : opts.horizon;
    }),
  };
  const seq = new EventSequencer(
    { pollMs: 1000 } as never,
    repo as never,
    endpoints as never,
    deliveries as never,
    tx as never,
    horizon as never,
  );
  return { seq, repo, calls, inserted, deliveries };
}

const row = (id: string, payload: Record<string, unknown>, topic = 'payment.succeeded'): OutboxRow => ({
  id,
  topic,
  payload,
  createdAt: new Date('2026-12-07T10:00:00Z'),
});

describe('EventSequencer (stubbed)', () => {
  it('without the lease it reads nothing', async () => {
    const s = setup({ lease: false });
    expect(await s.seq.runOnce()).toBe(false);
    expect(s.repo.unsequenced).not.toHaveBeenCalled();
  });

  it('positions continue from the last, versions per resource; a paid payment is two events; fanned out', async () => {
    const s = setup({ rows: [[row('11', { paymentNo: 'P1', orderNo: 'O1', orderOutcome: 'PAID' })]] });
    await s.seq.runOnce();
    expect(s.inserted.map((e) => [e.position, e.type, e.resource, e.version, e.outboxId])).toEqual([
      [6, 'payment.succeeded', 'payment:P1', 1, '11'],
      [7, 'order.paid', 'order:O1', 4, '11'],
    ]);
    expect(s.inserted[0].id).toMatch(/^evt_[0-9a-f]{24}$/);
    expect(s.deliveries.fanOut).toHaveBeenCalledTimes(1);
  });

  it('the horizon is read before the scan; the watermark moves up to it after a scan that was not full', async () => {
    const s = setup();
    await s.seq.runOnce();
    expect(s.calls).toEqual(['watermark', 'horizon', 'scan', 'raise 2026-12-07 10:00:00.000000']);
  });

  it('no horizon (a cluster member could not be asked) or one not above the watermark: the watermark stays', async () => {
    for (const horizon of [null, '2026-12-07 09:00:00.000000', '2026-12-07 08:00:00.000000']) {
      const s = setup({ horizon });
      await s.seq.runOnce();
      expect(s.repo.raiseWatermark).not.toHaveBeenCalled();
    }
  });

  it('a full batch goes round again at once, without moving the watermark', async () => {
    const full = Array.from({ length: 200 }, (_, i) => row(String(11 + i), { paymentNo: `P${i}` }));
    const s = setup({ rows: [full] });
    expect(await s.seq.runOnce()).toBe(true);
    expect(s.repo.raiseWatermark).not.toHaveBeenCalled();
  });

  it('positions taken by another writer: nothing written, the watermark stays', async () => {
    const s = setup({ dup: true, rows: [[row('11', { paymentNo: 'P1' })]] });
    expect(await s.seq.runOnce()).toBe(false);
    expect(s.repo.raiseWatermark).not.toHaveBeenCalled();
  });
});
