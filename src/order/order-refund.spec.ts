import { EntityManager } from 'typeorm';
import type { Order } from './entities/order.entity';
import { OrderRefundService, OrderRefundInput } from './order-refund.service';
import { OrderRepository } from './order.repository';

/**
 * The order side of a succeeded refund (applyRefundSucceeded), with the repository's read, markers,
 * wallet and catalog stubbed (its `cas` is the real one, on the fake manager): only the payment that paid the order moves it; money it never held (paid after a
 * cancel, a duplicate payment) leaves it as it is and restocks nothing.
 */
function setup(order: Partial<Order>) {
  const sql: string[] = [];
  const m = {
    query: jest.fn(async (q: string) => {
      sql.push(q.replace(/\s+/g, ' ').trim());
      return { affectedRows: 1 };
    }),
  } as unknown as EntityManager;
  const row = {
    orderNo: 'O1',
    userId: 'u1',
    type: 'GOODS',
    status: 'PAID',
    paidBy: 'O1P01',
    items: [{ productId: 2, quantity: 3 }],
    ...order,
  } as Order;
  const real = new OrderRepository({} as never);
  const repo = {
    findByOrderNo: jest.fn(async () => row),
    cas: jest.fn((...args: Parameters<OrderRepository['cas']>) => real.cas(...args)),
  };
  const wallet = { refundToWallet: jest.fn(async () => undefined) };
  const catalog = { releaseStock: jest.fn(async () => undefined) };
  const dedup = {
    runOnce: jest.fn(async (_t: string, _id: string, work: (mm: EntityManager) => Promise<unknown>) => ({
      status: 'done',
      result: await work(m),
    })),
  };
  const svc = new OrderRefundService(repo as never, catalog as never, wallet as never, dedup as never);
  return { svc, m, sql, wallet, catalog, dedup };
}

const input = (over: Partial<OrderRefundInput> = {}): OrderRefundInput => ({
  orderNo: 'O1',
  refundNo: 'R1',
  paymentNo: 'O1P01',
  fully: false,
  restock: true,
  walletCredit: 0,
  ...over,
});

describe('OrderRefundService (stubbed)', () => {
  it('paidByPayment: the paying payment of a paid order (or any, for orders paid before paid_by); never for a cancelled one', () => {
    const s = setup({});
    expect(s.svc.paidByPayment({ status: 'PAID', paidBy: 'O1P01' }, 'O1P01')).toBe(true);
    expect(s.svc.paidByPayment({ status: 'PARTIALLY_REFUNDED', paidBy: 'O1P01' }, 'O1P02')).toBe(false);
    expect(s.svc.paidByPayment({ status: 'PAID', paidBy: null }, 'O1P02')).toBe(true);
    expect(s.svc.paidByPayment({ status: 'CANCELLED', paidBy: null }, 'O1P01')).toBe(false);
    expect(s.svc.paidByPayment({ status: 'CREATED', paidBy: null }, 'O1P01')).toBe(false);
  });

  it('a partial refund of the paying payment: CAS PAID → PARTIALLY_REFUNDED, never a restock (it names no items)', async () => {
    const s = setup({});
    expect(await s.svc.applyRefundSucceeded(s.m, input())).toEqual({
      status: 'PARTIALLY_REFUNDED',
      restocked: false,
    });
    expect(s.sql.some((q) => q.startsWith('UPDATE t_order SET status = ?'))).toBe(true);
    expect(s.dedup.runOnce).not.toHaveBeenCalled();
    expect(s.catalog.releaseStock).not.toHaveBeenCalled();
  });

  it('the refund that covers the payment: CAS → REFUNDED, restock once under ORDER_RESTOCKED', async () => {
    const s = setup({});
    expect(await s.svc.applyRefundSucceeded(s.m, input({ fully: true }))).toEqual({
      status: 'REFUNDED',
      restocked: true,
    });
    expect(s.dedup.runOnce).toHaveBeenCalledWith('ORDER_RESTOCKED', 'O1', expect.any(Function), {
      manager: s.m,
    });
    expect(s.catalog.releaseStock).toHaveBeenCalledWith(s.m, 2, 3);
  });

  it('money taken after a cancel: the order stays CANCELLED, nothing restocked, no CAS', async () => {
    const s = setup({ status: 'CANCELLED', paidBy: null });
    expect(await s.svc.applyRefundSucceeded(s.m, input({ fully: true }))).toEqual({
      status: 'CANCELLED',
      restocked: false,
    });
    expect(s.sql).toEqual([]);
    expect(s.dedup.runOnce).not.toHaveBeenCalled();
    expect(s.catalog.releaseStock).not.toHaveBeenCalled();
  });

  it('a duplicate payment of a paid order: the order stays PAID; a wallet payment is still credited', async () => {
    const s = setup({ status: 'PAID', paidBy: 'O1P01' });
    expect(
      await s.svc.applyRefundSucceeded(s.m, input({ paymentNo: 'O1P02', fully: true, walletCredit: 700 })),
    ).toEqual({ status: 'PAID', restocked: false });
    expect(s.sql).toEqual([]);
    expect(s.wallet.refundToWallet).toHaveBeenCalledWith(s.m, { userId: 'u1', amount: 700, refundNo: 'R1' });
    expect(s.catalog.releaseStock).not.toHaveBeenCalled();
  });

  it('a partial refund reaching an order already REFUNDED by its payment is refused (the refund transaction rolls back)', async () => {
    const s = setup({ status: 'REFUNDED', paidBy: 'O1P01' });
    await expect(s.svc.applyRefundSucceeded(s.m, input())).rejects.toThrow(/cannot apply/);
  });
});
