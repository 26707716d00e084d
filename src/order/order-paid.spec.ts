import { EntityManager } from 'typeorm';
import { LockedOrder, OrderRepository } from './order.repository';
import { OrderService } from './order.service';

/**
 * The order side of a payment (applyPaid) and the rule after a close (settleAfterPaymentClosed), with
 * the repository's reads, markers, wallet and catalog stubbed (the repository's `cas` is the real one,
 * on the fake manager). The fake manager records the statements and
 * answers a CAS UPDATE of the order as MySQL would for the stubbed row: one changed row when the
 * row is in a `from` state of the statement, none otherwise (or when there is no row).
 */
function setup(order: Partial<LockedOrder> | null, marker: 'done' | 'duplicate' = 'done') {
  const sql: string[] = [];
  const m = {
    query: jest.fn(async (q: string, params: unknown[] = []) => {
      sql.push(q.replace(/\s+/g, ' ').trim());
      const from = q.startsWith('UPDATE t_order')
        ? params.slice(-q.match(/status IN \(([^)]*)\)/)![1].split(',').length)
        : null;
      return { affectedRows: from && (!locked || !from.includes(locked.status)) ? 0 : 1 };
    }),
  } as unknown as EntityManager;
  const locked: LockedOrder | null =
    order === null
      ? null
      : ({
          userId: 'u1',
          type: 'RECHARGE',
          status: 'PAYING',
          totalAmount: 500,
          paidBy: null,
          expiresAt: new Date(Date.now() + 60_000),
          ...order,
        } as LockedOrder);
  const real = new OrderRepository({} as never);
  const repo = {
    cas: jest.fn((...args: Parameters<OrderRepository['cas']>) => real.cas(...args)),
    lockForPayment: jest.fn(async () => locked),
    findByOrderNo: jest.fn(async () => ({ items: [{ productId: 2, quantity: 1 }] })),
  };
  const wallet = { creditRecharge: jest.fn(async () => true) };
  const catalog = { releaseStock: jest.fn(async () => undefined) };
  const dedup = {
    unmark: jest.fn(async () => undefined),
    runOnce: jest.fn(async (_t: string, _id: string, work: (mm: EntityManager) => Promise<unknown>) =>
      marker === 'duplicate' ? { status: 'duplicate' } : { status: 'done', result: await work(m) },
    ),
  };
  const metrics = { inc: jest.fn() };
  const svc = new OrderService(
    {} as never,
    repo as never,
    {} as never,
    catalog as never,
    wallet as never,
    dedup as never,
    metrics as never,
    { add: jest.fn() } as never,
  );
  return { svc, m, sql, repo, wallet, catalog, dedup, metrics };
}

const paid = { orderNo: 'O1', paymentNo: 'O1P01', amount: 500, channel: 'alipay' };

describe('OrderService.applyPaid (stubbed)', () => {
  it('PAYING or CREATED: CAS → PAID with paid_by, then the ORDER_PAID marker, one read under the lock, the recharge credit', async () => {
    for (const status of ['PAYING', 'CREATED'] as const) {
      const s = setup({ status });
      expect(await s.svc.applyPaid(s.m, paid)).toBe('PAID');
      expect(s.sql).toHaveLength(1);
      expect(s.sql[0]).toMatch(
        /^UPDATE t_order SET .*paid_by = \?.*WHERE order_no = \? AND status IN \(\?, \?\)$/,
      );
      expect(s.repo.lockForPayment).toHaveBeenCalledTimes(1);
      expect(s.dedup.runOnce).toHaveBeenCalledWith('ORDER_PAID', 'O1', expect.any(Function), {
        manager: s.m,
      });
      expect(s.wallet.creditRecharge).toHaveBeenCalledTimes(1);
      expect(s.wallet.creditRecharge).toHaveBeenCalledWith(s.m, {
        userId: 'u1',
        amount: 500,
        paymentNo: 'O1P01',
        channel: 'alipay',
      });
      expect(s.metrics.inc).toHaveBeenCalledWith('paid');
    }
  });

  it('marked by the caller (the one two-marker insert): a CAS that wins credits with no marker insert of its own', async () => {
    const s = setup({});
    expect(await s.svc.applyPaid(s.m, paid, { marked: true })).toBe('PAID');
    expect(s.dedup.runOnce).not.toHaveBeenCalled();
    expect(s.dedup.unmark).not.toHaveBeenCalled();
    expect(s.sql).toHaveLength(1);
    expect(s.wallet.creditRecharge).toHaveBeenCalledTimes(1);
    expect(s.metrics.inc).toHaveBeenCalledWith('paid');
  });

  it('marked by the caller, CAS moves nothing (CANCELLED, PAID by another): the marker is taken back, nothing credited', async () => {
    for (const [order, outcome] of [
      [{ status: 'CANCELLED' }, 'PAID_AFTER_CANCEL'],
      [{ status: 'PAID', paidBy: 'O1P02' }, 'DUPLICATE_PAYMENT'],
    ] as const) {
      const s = setup(order);
      expect(await s.svc.applyPaid(s.m, paid, { marked: true })).toBe(outcome);
      expect(s.dedup.unmark).toHaveBeenCalledWith(s.m, 'ORDER_PAID', 'O1');
      expect(s.dedup.runOnce).not.toHaveBeenCalled();
      expect(s.wallet.creditRecharge).not.toHaveBeenCalled();
    }
    // not marked by the caller: nothing to take back
    const s = setup({ status: 'CANCELLED' });
    await s.svc.applyPaid(s.m, paid);
    expect(s.dedup.unmark).not.toHaveBeenCalled();
  });

  it('a GOODS order: PAID, no wallet credit', async () => {
    const s = setup({ type: 'GOODS' });
    expect(await s.svc.applyPaid(s.m, paid)).toBe('PAID');
    expect(s.wallet.creditRecharge).not.toHaveBeenCalled();
  });

  it('CANCELLED: PAID_AFTER_CANCEL, nothing written but the CAS that moved nothing', async () => {
    const s = setup({ status: 'CANCELLED' });
    expect(await s.svc.applyPaid(s.m, paid)).toBe('PAID_AFTER_CANCEL');
    expect(s.dedup.runOnce).not.toHaveBeenCalled();
    expect(s.wallet.creditRecharge).not.toHaveBeenCalled();
    expect(s.sql).toHaveLength(1);
    expect(s.repo.lockForPayment).toHaveBeenCalledWith(s.m, 'O1');
  });

  it('PAID by this payment is ALREADY_APPLIED; by another is DUPLICATE_PAYMENT; nothing written', async () => {
    const same = setup({ status: 'PAID', paidBy: 'O1P01' });
    expect(await same.svc.applyPaid(same.m, paid)).toBe('ALREADY_APPLIED');
    const other = setup({ status: 'PAID', paidBy: 'O1P02' });
    expect(await other.svc.applyPaid(other.m, paid)).toBe('DUPLICATE_PAYMENT');
    for (const s of [same, other]) {
      expect(s.dedup.runOnce).not.toHaveBeenCalled();
      expect(s.wallet.creditRecharge).not.toHaveBeenCalled();
      expect(s.sql).toHaveLength(1); // the CAS, which moved nothing
    }
  });

  it('an unknown order throws NOT_FOUND (the payment transaction rolls back)', async () => {
    const s = setup(null);
    await expect(s.svc.applyPaid(s.m, paid)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('an ORDER_PAID marker beside an order the CAS could move is a broken invariant: it throws (rollback), never credits', async () => {
    const s = setup({}, 'duplicate');
    await expect(s.svc.applyPaid(s.m, paid)).rejects.toThrow(/marker exists/);
    expect(s.wallet.creditRecharge).not.toHaveBeenCalled();
  });
});

describe('OrderService.settleAfterPaymentClosed (stubbed)', () => {
  const opts = (o: Partial<{ othersPending: boolean; cancel: boolean }> = {}) => ({
    othersPending: false,
    cancel: false,
    ...o,
  });

  it('reopens a PAYING order (PAYING → CREATED)', async () => {
    const s = setup({ type: 'GOODS' });
    expect(await s.svc.settleAfterPaymentClosed(s.m, 'O1', opts())).toBe('REOPENED');
    expect(s.catalog.releaseStock).not.toHaveBeenCalled();
  });

  it('cancels (stock released) when the user asked, or the order is past expires_at', async () => {
    const asked = setup({ type: 'GOODS' });
    expect(await asked.svc.settleAfterPaymentClosed(asked.m, 'O1', opts({ cancel: true }))).toBe('CANCELLED');
    expect(asked.catalog.releaseStock).toHaveBeenCalledWith(asked.m, 2, 1);
    const expired = setup({ type: 'GOODS', expiresAt: new Date(Date.now() - 1) });
    expect(await expired.svc.settleAfterPaymentClosed(expired.m, 'O1', opts())).toBe('CANCELLED');
  });

  it('leaves the order alone while another payment is pending, or when it is not PAYING', async () => {
    const s = setup({});
    expect(await s.svc.settleAfterPaymentClosed(s.m, 'O1', opts({ othersPending: true, cancel: true }))).toBe(
      'UNCHANGED',
    );
    const created = setup({ status: 'CREATED' });
    expect(await created.svc.settleAfterPaymentClosed(created.m, 'O1', opts({ cancel: true }))).toBe(
      'UNCHANGED',
    );
    expect([...s.sql, ...created.sql]).toEqual([]);
  });
});
