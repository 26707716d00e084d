import { EntityManager } from 'typeorm';
import { DomainError, ErrorCode } from '../../common/errors';
import type { RefundRequest, RefundRequestStatus } from './refund-request.entity';
import { RefundRequestService } from './refund-request.service';

/**
 * The decision rules of refund requests, with the repository and the refund service stubbed: one
 * decision per request, the one taken again answers 200, the other 409, and a refused refund leaves the
 * request OPEN.
 */
const REQ = 'RQ20261130230000123123456789012';
const admin = { userId: 'admin-1', role: 'admin' as const };

function setup(
  states: RefundRequestStatus[],
  create: (within: (m: EntityManager, no: string) => Promise<void>) => Promise<unknown>,
) {
  // each find() reads the next state (the last one repeats)
  let reads = 0;
  const row = (status: RefundRequestStatus): RefundRequest =>
    ({
      requestNo: REQ,
      orderNo: 'O1',
      userId: 'u1',
      amount: 500,
      reason: 'r',
      status,
      refundNo: status === 'APPROVED' ? 'R1' : null,
      rejectReason: status === 'REJECTED' ? 'no' : null,
      createdAt: new Date(),
      decidedAt: status === 'OPEN' ? null : new Date(),
    }) as RefundRequest;
  let decideAnswer = true;
  const repo = {
    findByRequestNo: jest.fn(async () => row(states[Math.min(reads++, states.length - 1)])),
    decide: jest.fn(async () => decideAnswer),
  };
  const refunds = {
    create: jest.fn(async (_a: unknown, _o: string, _d: unknown, _c: unknown, opts: { within: never }) =>
      create(opts.within),
    ),
  };
  const tx = {
    run: jest.fn(async (work: (m: EntityManager) => Promise<unknown>) => work({} as EntityManager)),
  };
  const svc = new RefundRequestService(tx as never, repo as never, refunds as never);
  return { svc, repo, refunds, setDecide: (v: boolean) => (decideAnswer = v) };
}

describe('RefundRequestService decisions (stubbed)', () => {
  it('approve: the refund is created with the request CAS in its transaction', async () => {
    const s = setup(['OPEN', 'APPROVED'], (within) => within({} as EntityManager, 'R1'));
    expect((await s.svc.approve(admin, REQ, {})).status).toBe('APPROVED');
    expect(s.repo.decide).toHaveBeenCalledWith({}, REQ, 'APPROVED', {
      decided_by: 'admin-1',
      refund_no: 'R1',
    });
  });

  it('approve of an approved request answers it (no refund); of a rejected one 409 REFUND_REQUEST_DECIDED', async () => {
    const a = setup(['APPROVED'], async () => undefined);
    expect((await a.svc.approve(admin, REQ, {})).refundNo).toBe('R1');
    expect(a.refunds.create).not.toHaveBeenCalled();
    const r = setup(['REJECTED'], async () => undefined);
    await expect(r.svc.approve(admin, REQ, {})).rejects.toMatchObject({ code: 'REFUND_REQUEST_DECIDED' });
  });

  it('approve losing its CAS (decided meanwhile): the refund rolls back, the answer follows the state found', async () => {
    const won = setup(['OPEN', 'APPROVED'], async (within) => within({} as EntityManager, 'R2'));
    won.setDecide(false);
    expect((await won.svc.approve(admin, REQ, {})).status).toBe('APPROVED');
    const lost = setup(['OPEN', 'REJECTED'], async (within) => within({} as EntityManager, 'R2'));
    lost.setDecide(false);
    await expect(lost.svc.approve(admin, REQ, {})).rejects.toMatchObject({ code: 'REFUND_REQUEST_DECIDED' });
  });

  it("approve refused by the refund (the shop refunded it all): the refund's error, the request stays OPEN", async () => {
    const s = setup(['OPEN', 'OPEN'], async () => {
      throw new DomainError(ErrorCode.ORDER_NOT_REFUNDABLE, 'The order is already fully refunded');
    });
    await expect(s.svc.approve(admin, REQ, {})).rejects.toMatchObject({ code: 'ORDER_NOT_REFUNDABLE' });
    expect(s.repo.decide).not.toHaveBeenCalled();
  });

  it('reject: OPEN → REJECTED; again answers it; after an approval 409', async () => {
    const s = setup(['OPEN', 'REJECTED'], async () => undefined);
    expect((await s.svc.reject(admin, REQ, { reason: 'no' })).status).toBe('REJECTED');
    expect(s.repo.decide).toHaveBeenCalledWith({}, REQ, 'REJECTED', {
      decided_by: 'admin-1',
      reject_reason: 'no',
    });
    const again = setup(['REJECTED'], async () => undefined);
    expect((await again.svc.reject(admin, REQ, { reason: 'no' })).status).toBe('REJECTED');
    expect(again.repo.decide).not.toHaveBeenCalled();
    const late = setup(['OPEN', 'APPROVED'], async () => undefined);
    late.setDecide(false);
    await expect(late.svc.reject(admin, REQ, { reason: 'no' })).rejects.toMatchObject({
      code: 'REFUND_REQUEST_DECIDED',
      details: { status: 'APPROVED', refundNo: 'R1' },
    });
  });

  it('an unknown or malformed request number is 404', async () => {
    const s = setup(['OPEN'], async () => undefined);
    await expect(s.svc.approve(admin, 'nope', {})).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(s.repo.findByRequestNo).not.toHaveBeenCalled();
  });
});
