import { Payout } from './payout.entity';
import { TransferResult } from './payout-gateway';
import { PayoutSettleService, transferOf } from './payout-settle.service';
import { PayoutStatus } from './payout-state';

/** PayoutSettleService with every collaborator stubbed: what it concludes from each answer, and what it sends. */
const NO = 'P20261207013000123456789012345';

function setup(
  status: PayoutStatus,
  answers: { transfer?: TransferResult[]; query?: TransferResult[] } = {},
) {
  let current: Payout = {
    id: 1,
    payoutNo: NO,
    userId: 'u1',
    channel: 'alipay',
    payeeIdentity: '2088000000000001',
    payeeName: null,
    amount: 700,
    status,
    failedReason: null,
    channelOrderId: null,
    idempotencyKey: null,
    requestFingerprint: null,
    attempts: 0,
    chinaDay: '2026-12-07',
    reviewedBy: null,
    createdAt: new Date(),
    updatedAt: new Date(),
    sentAt: null,
    succeededAt: null,
    failedAt: null,
  };
  const m = { tag: 'tx' };
  const repo = {
    findByNo: jest.fn(async () => ({ ...current })),
    noteAttempt: jest.fn(async () => undefined),
    touch: jest.fn(async () => undefined),
    giveBackDaily: jest.fn(async () => undefined),
    cas: jest.fn(async (_m: unknown, _no: string, from: PayoutStatus, to: PayoutStatus) => {
      if (current.status !== from) return false;
      current = { ...current, status: to };
      return true;
    }),
  };
  const client = {
    transfer: jest.fn(async () => answers.transfer?.shift() ?? ({ status: 'UNKNOWN', reason: 'x' } as const)),
    query: jest.fn(async () => answers.query?.shift() ?? ({ status: 'UNKNOWN', reason: 'x' } as const)),
  };
  const clients = { of: () => client };
  const wallet = { returnPayout: jest.fn(async () => undefined) };
  const dedup = {
    runOnce: jest.fn(async (_t: string, _id: string, work: (mm: unknown) => Promise<unknown>) => ({
      status: 'done',
      result: await work(m),
    })),
  };
  const tx = { run: jest.fn(async (work: (mm: unknown) => Promise<unknown>) => work(m)) };
  const outbox = { add: jest.fn(async () => undefined) };
  const queue = { add: jest.fn(async () => undefined) };
  const metrics = { counter: () => ({ inc: jest.fn() }) };
  const cfg = {
    maxAmount: 1e6,
    dailyLimit: 1e7,
    reviewAbove: 1e6,
    queryDelaysMs: [1000, 2000],
    sweepIntervalMs: 1000,
    stuckAfterMs: 1000,
  };
  const svc = new PayoutSettleService(
    tx as never,
    repo as never,
    clients as never,
    wallet as never,
    dedup as never,
    outbox as never,
    queue as never,
    cfg as never,
    metrics as never,
  );
  return { svc, repo, client, wallet, outbox, queue, dedup, now: () => current };
}

describe('PayoutSettleService', () => {
  it('SUCCEEDED answer: PENDING → SUCCEEDED with payout.succeeded; no money back, no query', async () => {
    const s = setup('PENDING', {
      transfer: [{ status: 'SUCCEEDED', channelOrderId: 'o1', succeededAt: null }],
    });
    await s.svc.send(NO);
    expect(s.now().status).toBe('SUCCEEDED');
    expect(s.outbox.add).toHaveBeenCalledWith(
      expect.anything(),
      'payout.succeeded',
      NO,
      expect.objectContaining({ amount: 700 }),
    );
    expect(s.wallet.returnPayout).not.toHaveBeenCalled();
    expect(s.queue.add).not.toHaveBeenCalled();
  });

  it("a gateway time truncated to the second never reads before the payout's createdAt", async () => {
    const s = setup('PENDING');
    const created = new Date('2026-12-07T01:30:00.750Z');
    const p = { ...(await s.repo.findByNo()), createdAt: created };
    await s.svc.succeed(p, 'o1', new Date('2026-12-07T01:30:00.000Z'), 'query');
    expect(s.repo.cas).toHaveBeenCalledWith(expect.anything(), NO, 'PENDING', 'SUCCEEDED', {
      succeeded_at: created,
      channel_order_id: 'o1',
    });
    const later = new Date('2026-12-07T01:30:05.000Z');
    const q = setup('PENDING');
    await q.svc.succeed({ ...p }, 'o1', later, 'query');
    expect(q.repo.cas).toHaveBeenCalledWith(expect.anything(), NO, 'PENDING', 'SUCCEEDED', {
      succeeded_at: later,
      channel_order_id: 'o1',
    });
  });

  it.each([
    [{ status: 'UNKNOWN', reason: 'timeout' }],
    [{ status: 'PENDING', channelOrderId: null, state: 'DEALING' }],
  ] as const)(
    'an answer that concludes nothing (%o) leaves it PENDING and schedules query 1; nothing moves',
    async (res) => {
      const s = setup('PENDING', { transfer: [res] });
      await s.svc.send(NO);
      expect(s.now().status).toBe('PENDING');
      expect(s.wallet.returnPayout).not.toHaveBeenCalled();
      expect(s.queue.add).toHaveBeenCalledWith(
        { kind: 'query', payoutNo: NO, n: 1 },
        expect.objectContaining({ jobId: `payout-query:${NO}:1` }),
      );
    },
  );

  it('FAILED answer: FAILED under the PAYOUT_REVERSED marker, the money back and the day given back, payout.failed', async () => {
    const s = setup('PENDING', {
      transfer: [{ status: 'FAILED', code: 'PAYEE_NOT_EXIST', reason: 'no such payee' }],
    });
    await s.svc.send(NO);
    expect(s.now().status).toBe('FAILED');
    expect(s.dedup.runOnce).toHaveBeenCalledWith(
      'PAYOUT_REVERSED',
      NO,
      expect.any(Function),
      expect.anything(),
    );
    expect(s.wallet.returnPayout).toHaveBeenCalledWith(expect.anything(), {
      userId: 'u1',
      amount: 700,
      payoutNo: NO,
      channel: 'alipay',
    });
    expect(s.repo.giveBackDaily).toHaveBeenCalledWith(expect.anything(), 'u1', '2026-12-07', 700);
    expect(s.outbox.add).toHaveBeenCalledWith(
      expect.anything(),
      'payout.failed',
      NO,
      expect.objectContaining({ bounced: false }),
    );
  });

  it('a query that finds nothing sends again with the very same parameters, never another number', async () => {
    const s = setup('PENDING', {
      query: [{ status: 'NOT_FOUND' }],
      transfer: [{ status: 'SUCCEEDED', channelOrderId: 'o1', succeededAt: null }],
    });
    expect(await s.svc.query(NO, 1)).toBe(false);
    expect(s.client.transfer).toHaveBeenCalledTimes(1);
    expect(s.client.transfer).toHaveBeenCalledWith(transferOf(s.now()));
    expect(s.client.query.mock.calls[0]).toEqual([transferOf(s.now())]);
    expect(s.now().status).toBe('SUCCEEDED');
  });

  it('a query still PENDING schedules the next one; UNKNOWN is never read as failed', async () => {
    const s = setup('PENDING', { query: [{ status: 'UNKNOWN', reason: 'SYSTEM_ERROR' }] });
    expect(await s.svc.query(NO, 2)).toBe(true);
    expect(s.wallet.returnPayout).not.toHaveBeenCalled();
    expect(s.queue.add).toHaveBeenCalledWith(
      { kind: 'query', payoutNo: NO, n: 3 },
      expect.objectContaining({ jobId: `payout-query:${NO}:3` }),
    );
  });

  it('a SUCCEEDED payout: a later FAIL changes nothing, a bounce returns the money (bounced: true)', async () => {
    const s = setup('SUCCEEDED', {
      query: [
        { status: 'FAILED', code: 'X', reason: 'x' },
        { status: 'BOUNCED', reason: 'bank' },
      ],
    });
    await s.svc.query(NO, null, 'admin');
    expect([s.now().status, s.wallet.returnPayout.mock.calls.length]).toEqual(['SUCCEEDED', 0]);
    await s.svc.query(NO, null, 'admin');
    expect(s.now().status).toBe('FAILED');
    expect(s.wallet.returnPayout).toHaveBeenCalledTimes(1);
    expect(s.outbox.add).toHaveBeenCalledWith(
      expect.anything(),
      'payout.failed',
      NO,
      expect.objectContaining({ bounced: true }),
    );
  });

  it('fail when the payout moved meanwhile: nothing returned (the transaction rolls back), false', async () => {
    const s = setup('SUCCEEDED');
    expect(await s.svc.fail(NO, 'x', ['PENDING'], 'query')).toBe(false);
    expect(s.wallet.returnPayout).not.toHaveBeenCalled();
    expect(s.now().status).toBe('SUCCEEDED');
  });

  it('a payout not PENDING is never sent', async () => {
    for (const st of ['REVIEW', 'SUCCEEDED', 'FAILED'] as const) {
      const s = setup(st);
      await s.svc.send(NO);
      expect(s.client.transfer).not.toHaveBeenCalled();
    }
  });
});
