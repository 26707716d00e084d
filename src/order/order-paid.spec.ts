import { EntityManager } from 'typeorm';
import type { LockedOrder } from './order.repository';
import { OrderService } from './order.service';

/**
 * The order side of a payment (applyPaid) and the rule after a close (settleAfterPaymentClosed), with
 * the repository, markers, wallet and catalog stubbed. The fake manager answers every CAS UPDATE
 * with one changed row and records the statements.
 */
function setup(order: Partial<LockedOrder> | null, marker: 'done' | 'duplicate' = 'done') {
  const sql: string[] = [];
  const m = {
    query: jest.fn(async (q: string) => {
      sql.push(q.replace(/\s+/g, ' ').trim());
      return { affectedRows: 1 };
    }),
  } as unknown as EntityManager;
  const locked =
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
  const repo = {
    lockForPayment: jest.fn(async () => locked),
    findByOrderNo: jest.fn(async () => ({ items: [{ productId: 2, quantity: 1 }] })),
  };
  const wallet = { credit: jest.fn(async () => undefined) };
  const catalog = { releaseStock: jest.fn(async () => undefined) };
  const dedup = {
    runOnce: jest.fn(async (_t: string, _id: string, work: (mm: EntityManager) => Promise<unknown>) =>
      marker === 'duplicate' ? { status: 'duplicate' } : { status: 'done', result: await work(m) },
    ),
  };
  const metrics = { inc: jest.fn() };
  const svc = new OrderService(
    {} as never,
    repo as never,
    catalog as never,
    wallet as never,
    dedup as never,
    metrics as never,
  );
  return { svc, m, sql, repo, wallet, catalog, dedup, metrics };
}

const paid = { orderNo: 'O1', paymentNo: 'O1P01', amount: 500 };

describe('OrderService.applyPaid (stubbed)', () => {
  it('PAYING recharge: ORDER_PAID marker, CAS → PAID with paid_by, credit once', async () => {
    const s = setup({});
    expect(await s.svc.applyPaid(s.m, paid)).toBe('PAID');
    expect(s.dedup.runOnce).toHaveBeenCalledWith('ORDER_PAID', 'O1', expect.any(Function), { manager: s.m });
    expect(s.sql.some((q) => q.startsWith('UPDATE t_order SET') && q.includes('paid_by'))).toBe(true);
    expect(s.wallet.credit).toHaveBeenCalledWith(s.m, 'u1', 500);
    expect(s.metrics.inc).toHaveBeenCalledWith('paid');
  });

  it('a GOODS order is paid without any credit', async () => {
    const s = setup({ type: 'GOODS' });
    expect(await s.svc.applyPaid(s.m, paid)).toBe('PAID');
    expect(s.wallet.credit).not.toHaveBeenCalled();
  });

  it('CANCELLED: PAID_AFTER_CANCEL, nothing written', async () => {
    const s = setup({ status: 'CANCELLED' });
    expect(await s.svc.applyPaid(s.m, paid)).toBe('PAID_AFTER_CANCEL');
    expect(s.dedup.runOnce).not.toHaveBeenCalled();
    expect(s.sql).toEqual([]);
  });

  it('PAID by this payment is ALREADY_APPLIED; by another is DUPLICATE_PAYMENT; nothing written', async () => {
    const same = setup({ status: 'PAID', paidBy: 'O1P01' });
    expect(await same.svc.applyPaid(same.m, paid)).toBe('ALREADY_APPLIED');
    const other = setup({ status: 'PAID', paidBy: 'O1P02' });
    expect(await other.svc.applyPaid(other.m, paid)).toBe('DUPLICATE_PAYMENT');
    expect([...same.sql, ...other.sql]).toEqual([]);
    expect(other.wallet.credit).not.toHaveBeenCalled();
  });

  it('an unknown order throws NOT_FOUND (the payment transaction rolls back)', async () => {
    const s = setup(null);
    await expect(s.svc.applyPaid(s.m, paid)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('a marker already there never credits again', async () => {
    const s = setup({}, 'duplicate');
    expect(await s.svc.applyPaid(s.m, paid)).toBe('DUPLICATE_PAYMENT');
    expect(s.wallet.credit).not.toHaveBeenCalled();
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
