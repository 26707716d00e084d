import { CallbackBufferWorker } from './callback-buffer.worker';
import type { BufferedRow } from './callback-log.repository';
import type { PipelineResult } from './notify-pipeline.service';

/**
 * The buffered worker's pass with the log and the notify rules stubbed: what runs side by side and
 * what runs in order (the e2e suite test/callback-buffered runs it on MySQL).
 */
function setup(rows: Array<{ id: string; trade: string }>) {
  const claimed: BufferedRow[] = rows.map((r) => ({
    id: r.id,
    attempts: 0,
    channel: 'alipay',
    raw_body: `out_trade_no=${r.trade}&notify_id=${r.id}&trade_status=TRADE_SUCCESS`,
  })) as BufferedRow[];
  const log = {
    claimBuffered: jest.fn(async () => claimed),
    finish: jest.fn(async () => undefined),
    retryLater: jest.fn(async () => undefined),
  };
  /** per notify: started, and a release the test controls */
  const started: string[] = [];
  const release = new Map<string, () => void>();
  const pipeline = {
    onAppended: jest.fn(),
    decide: jest.fn(
      (_c: string, e: { notifyId: string }) =>
        new Promise<PipelineResult>((resolve) => {
          started.push(e.notifyId);
          release.set(e.notifyId, () => resolve({ outcome: 'APPLIED', accept: true }));
        }),
    ),
  };
  /** decodes the stub rows: the notify id rides in the event */
  const adapter = {
    channel: 'alipay',
    decode: (body: string) => {
      const f = Object.fromEntries(new URLSearchParams(body));
      return {
        ok: true,
        keys: { out_trade_no: f.out_trade_no },
        event: { kind: 'closed', notifyId: f.notify_id },
      };
    },
  };
  const metrics = { counter: () => ({ inc: () => undefined }) };
  const worker = new CallbackBufferWorker(
    log as never,
    pipeline as never,
    {} as never,
    [adapter] as never,
    { mode: 'buffered', outboxPollMs: 1000 } as never,
    metrics as never,
  );
  return { worker, started, release };
}

/** Lets pending promise callbacks run. */
const settle = () => new Promise((r) => setImmediate(r));

describe('CallbackBufferWorker.drainOnce (stubbed)', () => {
  it('applies different trades side by side, and one trade’s notifies one after the other in claim order', async () => {
    const s = setup([
      { id: 'a1', trade: 'A' },
      { id: 'b1', trade: 'B' },
      { id: 'a2', trade: 'A' },
      { id: 'c1', trade: 'C' },
    ]);
    const pass = s.worker.drainOnce();
    await settle();
    // A, B and C at once (one at a time would have started a1 only); a2 waits for a1
    expect(s.started).toEqual(['a1', 'b1', 'c1']);
    s.release.get('b1')!();
    s.release.get('c1')!();
    await settle();
    expect(s.started).toEqual(['a1', 'b1', 'c1']);
    s.release.get('a1')!();
    await settle();
    expect(s.started).toEqual(['a1', 'b1', 'c1', 'a2']);
    s.release.get('a2')!();
    expect(await pass).toBe(4);
  });

  it('runs at most 4 trades at once', async () => {
    const s = setup(Array.from({ length: 6 }, (_, i) => ({ id: `n${i}`, trade: `T${i}` })));
    const pass = s.worker.drainOnce();
    await settle();
    expect(s.started).toEqual(['n0', 'n1', 'n2', 'n3']);
    s.release.get('n0')!();
    await settle();
    expect(s.started).toEqual(['n0', 'n1', 'n2', 'n3', 'n4']);
    for (const id of ['n1', 'n2', 'n3', 'n4']) s.release.get(id)!();
    await settle();
    s.release.get('n5')!();
    expect(await pass).toBe(6);
  });
});
