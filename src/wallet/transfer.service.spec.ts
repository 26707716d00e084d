import { DomainError, ErrorCode } from '../common/errors';
import { Transfer } from './transfer.repository';
import { TransferService } from './transfer.service';

/** TransferService with every collaborator stubbed: what it decides, and what it asks of whom. */
const NO = 'T20261207013000123456789012345';

function setup(
  row: Partial<Transfer> | null = {},
  opts: { marker?: 'done' | 'duplicate'; cas?: boolean } = {},
) {
  const base: Transfer = {
    id: 1,
    transferNo: NO,
    fromUser: 'a',
    toUser: 'b',
    amount: 500,
    currency: 'CNY',
    memo: null,
    status: 'CREATED',
    idempotencyKey: null,
    requestFingerprint: null,
    createdAt: new Date(),
    expiresAt: new Date(Date.now() + 60_000),
    executedAt: null,
    cancelledAt: null,
  };
  let current: Transfer | null = row === null ? null : { ...base, ...row };
  const m = { tag: 'tx' };
  const repo = {
    insert: jest.fn(async () => undefined),
    findByNo: jest.fn(async () => current),
    markSucceeded: jest.fn(async () => {
      const won = opts.cas ?? true;
      if (won && current) current = { ...current, status: 'SUCCEEDED', executedAt: new Date() };
      return won;
    }),
    markCancelled: jest.fn(async () => true),
    markExpired: jest.fn(async () => true),
  };
  const wallet = { findBalance: jest.fn(async () => 0), transfer: jest.fn(async () => undefined) };
  const dedup = {
    runOnce: jest.fn(async (_t: string, _id: string, work: (mm: unknown) => Promise<unknown>) =>
      opts.marker === 'duplicate' ? { status: 'duplicate' } : { status: 'done', result: await work(m) },
    ),
  };
  const tx = { run: jest.fn(async (work: (mm: unknown) => Promise<unknown>) => work(m)) };
  const outbox = { add: jest.fn(async () => undefined) };
  const expiry = { schedule: jest.fn() };
  const metrics = { counter: () => ({ inc: jest.fn() }) };
  const cfg = {
    transferTtlMs: 900000,
    transferMaxAmount: 10000,
    transferSweepIntervalMs: 1000,
    ledgerCheckIntervalMs: 0,
  };
  const svc = new TransferService(
    tx as never,
    repo as never,
    wallet as never,
    dedup as never,
    outbox as never,
    expiry as never,
    metrics as never,
    cfg,
  );
  return { svc, repo, wallet, dedup, tx, outbox, expiry, m };
}

const sender = { userId: 'a', role: 'user' as const };
const code = (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (e) => (e instanceof DomainError ? e.code : String(e)),
  );

describe('TransferService (collaborators stubbed)', () => {
  it('create refuses oneself, amounts over the cap and recipients without a wallet, before writing', async () => {
    const s = setup();
    expect(await code(s.svc.create('a', { toUserId: 'a', amount: 1 }, null))).toBe(
      ErrorCode.VALIDATION_FAILED,
    );
    expect(await code(s.svc.create('a', { toUserId: 'b', amount: 10001 }, null))).toBe(
      ErrorCode.VALIDATION_FAILED,
    );
    s.wallet.findBalance.mockResolvedValueOnce(null as never);
    expect(await code(s.svc.create('a', { toUserId: 'b', amount: 1 }, null))).toBe(
      ErrorCode.RECIPIENT_NOT_FOUND,
    );
    expect(s.repo.insert).not.toHaveBeenCalled();
    const ok = await s.svc.create('a', { toUserId: 'b', amount: 10000, memo: 'm' }, null);
    expect(ok).toMatchObject({
      fromUserId: 'a',
      toUserId: 'b',
      amount: 10000,
      status: 'CREATED',
      executedAt: null,
    });
    expect(s.repo.insert).toHaveBeenCalledTimes(1);
    expect(s.expiry.schedule).toHaveBeenCalledWith(ok.transferNo, 900000);
    expect(s.wallet.transfer).not.toHaveBeenCalled();
  });

  it('execute: marker first, CAS, the move, the outbox event, all in one transaction with the same manager', async () => {
    const s = setup();
    const res = await s.svc.execute(sender, NO);
    expect(res.status).toBe('SUCCEEDED');
    expect(s.dedup.runOnce).toHaveBeenCalledWith('TRANSFER', NO, expect.any(Function), { manager: s.m });
    expect(s.tx.run).toHaveBeenCalledWith(expect.any(Function), { attempts: 5 });
    expect(s.repo.markSucceeded).toHaveBeenCalledWith(s.m, NO, expect.any(Date));
    expect(s.wallet.transfer).toHaveBeenCalledWith(s.m, {
      fromUserId: 'a',
      toUserId: 'b',
      amount: 500,
      transferNo: NO,
    });
    expect(s.outbox.add).toHaveBeenCalledWith(
      s.m,
      'transfer.succeeded',
      NO,
      expect.objectContaining({ amount: 500 }),
    );
  });

  it('a retry (marker already there, or the row already SUCCEEDED) answers the stored transfer and moves nothing', async () => {
    const dup = setup({}, { marker: 'duplicate' });
    (dup.repo.findByNo as jest.Mock).mockResolvedValueOnce({
      ...(await dup.repo.findByNo()),
      status: 'CREATED',
    });
    (dup.repo.findByNo as jest.Mock).mockResolvedValueOnce({
      ...(await dup.repo.findByNo()),
      status: 'SUCCEEDED',
    });
    expect((await dup.svc.execute(sender, NO)).status).toBe('SUCCEEDED');
    expect(dup.wallet.transfer).not.toHaveBeenCalled();
    const done = setup({ status: 'SUCCEEDED' });
    expect((await done.svc.execute(sender, NO)).status).toBe('SUCCEEDED');
    expect(done.tx.run).not.toHaveBeenCalled();
  });

  it('cancelled, expired, or lost to a cancel inside the transaction: 409 TRANSFER_NOT_EXECUTABLE, nothing moves', async () => {
    for (const status of ['CANCELLED', 'EXPIRED'] as const) {
      const s = setup({ status });
      expect(await code(s.svc.execute(sender, NO))).toBe(ErrorCode.TRANSFER_NOT_EXECUTABLE);
      expect(s.tx.run).not.toHaveBeenCalled();
    }
    const due = setup({ expiresAt: new Date(Date.now() - 1) });
    expect(await code(due.svc.execute(sender, NO))).toBe(ErrorCode.TRANSFER_NOT_EXECUTABLE);
    expect(due.repo.markExpired).toHaveBeenCalled();
    expect(due.tx.run).not.toHaveBeenCalled();
    const lost = setup({}, { cas: false });
    expect(await code(lost.svc.execute(sender, NO))).toBe(ErrorCode.TRANSFER_NOT_EXECUTABLE);
    expect(lost.wallet.transfer).not.toHaveBeenCalled();
    expect(lost.outbox.add).not.toHaveBeenCalled();
  });

  it('a short balance is 409 INSUFFICIENT_BALANCE from the move (the transaction rolls back; the transfer stays CREATED)', async () => {
    const s = setup();
    s.wallet.transfer.mockRejectedValueOnce(new DomainError(ErrorCode.INSUFFICIENT_BALANCE, 'low') as never);
    expect(await code(s.svc.execute(sender, NO))).toBe(ErrorCode.INSUFFICIENT_BALANCE);
    expect(s.outbox.add).not.toHaveBeenCalled();
  });

  it('only the sender executes or cancels: the receiver and admins 403, strangers and unknown numbers 404', async () => {
    const s = setup();
    expect(await code(s.svc.execute({ userId: 'b', role: 'user' }, NO))).toBe(ErrorCode.FORBIDDEN);
    expect(await code(s.svc.cancel({ userId: 'adm', role: 'admin' }, NO))).toBe(ErrorCode.FORBIDDEN);
    expect(await code(s.svc.execute({ userId: 'c', role: 'user' }, NO))).toBe(ErrorCode.NOT_FOUND);
    expect(await code(s.svc.get({ userId: 'c', role: 'user' }, NO))).toBe(ErrorCode.NOT_FOUND);
    expect(await code(s.svc.get({ userId: 'adm', role: 'admin' }, NO))).toBe('resolved');
    expect(await code(s.svc.execute(sender, 'X1'))).toBe(ErrorCode.NOT_FOUND);
    expect(s.repo.findByNo).toHaveBeenCalledTimes(5); // the malformed number never reached the database
    expect(s.wallet.transfer).not.toHaveBeenCalled();
  });
});
