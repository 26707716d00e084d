import { EntityManager } from 'typeorm';
import { DomainError, ErrorCode } from '../common/errors';
import { PaymentCloseService } from './payment-close.service';

/** Close and cancel rules with the gateway, the order module and the database stubbed. */
function setup(opts: { status?: string; close?: string; query?: string; othersPending?: number } = {}) {
  const m = { tag: 'tx' } as unknown as EntityManager;
  const payment = { paymentNo: 'O1P01', orderNo: 'O1', channel: 'alipay', status: opts.status ?? 'PENDING' };
  const repo = {
    findByPaymentNo: jest.fn(async () => payment),
    findPendingByOrder: jest.fn(async () => Array.from({ length: opts.othersPending ?? 0 }, () => payment)),
    cas: jest.fn(async () => payment.status === 'PENDING'),
    recordAnomaly: jest.fn(async () => undefined),
  };
  const orders = {
    settleAfterPaymentClosed: jest.fn(async () => 'REOPENED'),
    cancel: jest.fn(),
    findByOrderNo: jest.fn(async () => ({ status: 'PAYING' })),
  };
  const success = { applyGatewayPaid: jest.fn(async () => 'applied') };
  const gateway = {
    close: jest.fn(async () => ({ status: opts.close ?? 'CLOSED', reason: 'x' })),
    query: jest.fn(async () => ({
      status: opts.query ?? 'PAID',
      tradeNo: 'T',
      amount: 1,
      paidAt: new Date(),
    })),
  };
  const tx = { run: jest.fn(async (work: (mm: EntityManager) => Promise<unknown>) => work(m)) };
  const locks = { withLock: jest.fn(async (_k: string, _t: number, work: () => Promise<unknown>) => work()) };
  const cfg = { gatewayTimeoutMs: 1000 };
  const svc = new PaymentCloseService(
    tx as never,
    repo as never,
    orders as never,
    success as never,
    gateway as never,
    locks as never,
    cfg as never,
    { record: jest.fn(async () => undefined) } as never,
  );
  return { svc, m, repo, orders, success, gateway, locks };
}

describe('PaymentCloseService (collaborators stubbed)', () => {
  it('expire: gateway CLOSED → the payment closed and the order settled in one transaction', async () => {
    const s = setup();
    expect(await s.svc.expire('O1P01')).toBe('closed');
    expect(s.orders.settleAfterPaymentClosed).toHaveBeenCalledWith(s.m, 'O1', {
      othersPending: false,
      cancel: false,
    });
  });

  it('expire: a trade found paid takes the success path, never a close', async () => {
    const s = setup({ close: 'ALREADY_PAID' });
    expect(await s.svc.expire('O1P01')).toBe('paid');
    expect(s.success.applyGatewayPaid).toHaveBeenCalledWith(
      expect.objectContaining({ paymentNo: 'O1P01' }),
      expect.objectContaining({ status: 'PAID' }),
      'query',
    );
    expect(s.repo.cas).not.toHaveBeenCalled();
  });

  it('expire: an unknown close (or a paid close whose query is unknown) is retried, nothing closed', async () => {
    for (const o of [{ close: 'UNKNOWN' }, { close: 'ALREADY_PAID', query: 'UNKNOWN' }]) {
      const s = setup(o);
      expect(await s.svc.expire('O1P01')).toBe('retry');
      expect(s.repo.cas).not.toHaveBeenCalled();
      expect(s.success.applyGatewayPaid).not.toHaveBeenCalled();
    }
  });

  it('expire: a payment that is not PENDING is left alone', async () => {
    const s = setup({ status: 'SUCCESS' });
    expect(await s.svc.expire('O1P01')).toBe('not_pending');
    expect(s.gateway.close).not.toHaveBeenCalled();
  });

  it('closePending: the order is left as it is while another payment is pending', async () => {
    const s = setup({ othersPending: 1 });
    expect(await s.svc.closePending('O1P01', 'alipay', 'test')).toBe('closed');
    expect(s.orders.settleAfterPaymentClosed).toHaveBeenCalledWith(s.m, 'O1', {
      othersPending: true,
      cancel: false,
    });
  });

  it('closePending: a lost CAS settles nothing and writes no journal', async () => {
    const s = setup({ status: 'CLOSED' });
    const journal = jest.fn();
    expect(await s.svc.closePending('O1P01', 'alipay', 'test', { journal })).toBe('not_pending');
    expect(s.orders.settleAfterPaymentClosed).not.toHaveBeenCalled();
    expect(journal).not.toHaveBeenCalled();
  });

  it("closePending: another channel's close (an Alipay TRADE_CLOSED naming a WeChat payment) closes nothing: one anomaly", async () => {
    const s = setup();
    const journal = jest.fn();
    expect(await s.svc.closePending('O1P01', 'wechat', 'test', { journal })).toBe('channel_mismatch');
    expect(s.repo.cas).not.toHaveBeenCalled();
    expect(s.orders.settleAfterPaymentClosed).not.toHaveBeenCalled();
    expect(journal).not.toHaveBeenCalled();
    expect(s.repo.recordAnomaly).toHaveBeenCalledWith(s.m, 'O1P01', 'CHANNEL_MISMATCH', expect.anything(), {
      once: true,
    });
  });

  it('cancelOrder: a CREATED order is cancelled by the order module, no gateway call', async () => {
    const s = setup();
    s.orders.cancel.mockResolvedValue({ status: 'CANCELLED' });
    expect(await s.svc.cancelOrder('u', 'O1')).toEqual({ status: 'CANCELLED' });
    expect(s.gateway.close).not.toHaveBeenCalled();
  });

  it('cancelOrder: PAYING → close under the order lock with cancel: true, then the cancelled order', async () => {
    const s = setup({ othersPending: 1 });
    s.orders.cancel
      .mockRejectedValueOnce(new DomainError(ErrorCode.ORDER_NOT_CANCELLABLE, 'paying', { status: 'PAYING' }))
      .mockResolvedValueOnce({ status: 'CANCELLED' });
    s.repo.findPendingByOrder
      .mockResolvedValueOnce([{ paymentNo: 'O1P01' }] as never) // what closeForCancel closes
      .mockResolvedValueOnce([]); // no other pending payment at close time
    expect(await s.svc.cancelOrder('u', 'O1')).toEqual({ status: 'CANCELLED' });
    expect(s.locks.withLock).toHaveBeenCalledWith(
      'lock:order:{O1}',
      expect.any(Number),
      expect.any(Function),
      expect.anything(),
    );
    expect(s.orders.settleAfterPaymentClosed).toHaveBeenCalledWith(s.m, 'O1', {
      othersPending: false,
      cancel: true,
    });
  });

  it('cancelOrder: an unknown close is 409 ORDER_NOT_CANCELLABLE with Retry-After', async () => {
    const s = setup({ close: 'UNKNOWN', othersPending: 1 });
    s.orders.cancel.mockRejectedValue(
      new DomainError(ErrorCode.ORDER_NOT_CANCELLABLE, 'paying', { status: 'PAYING' }),
    );
    await expect(s.svc.cancelOrder('u', 'O1')).rejects.toMatchObject({
      code: ErrorCode.ORDER_NOT_CANCELLABLE,
      headers: { 'Retry-After': '5' },
    });
  });

  it('cancelOrder: a PAID order is refused as the order module says', async () => {
    const s = setup();
    const paid = new DomainError(ErrorCode.ORDER_NOT_CANCELLABLE, 'paid', { status: 'PAID' });
    s.orders.cancel.mockRejectedValue(paid);
    await expect(s.svc.cancelOrder('u', 'O1')).rejects.toBe(paid);
    expect(s.gateway.close).not.toHaveBeenCalled();
  });
});
