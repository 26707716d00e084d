import { EntityManager } from 'typeorm';
import type { OrderPaidOutcome } from '../order';
import { Payment } from './entities/payment.entity';
import { anomalyKindFor, PaymentSuccessService, SuccessInput } from './payment-success.service';

/**
 * The money-deciding rules of the one success path, with every collaborator stubbed (the e2e suites
 * prove the same on real MySQL). The stub transaction runs the work with a fake manager and rethrows.
 */
function setup(opts: {
  payment?: Partial<Payment> | null;
  order?: OrderPaidOutcome;
  marker?: 'done' | 'duplicate';
  /** what the one-statement insert of both markers finds (default: neither there unless `marker` is) */
  markAll?: boolean;
}) {
  const m = { tag: 'tx-manager' } as unknown as EntityManager;
  const payment =
    opts.payment === null
      ? null
      : ({
          paymentNo: 'O1P01',
          orderNo: 'O1',
          userId: 'u1',
          channel: 'alipay',
          amount: 500,
          status: 'PENDING',
          ...opts.payment,
        } as Payment);
  const casFrom: string[][] = [];
  const repo = {
    findByPaymentNo: jest.fn(async () => payment),
    cas: jest.fn(async (_m: EntityManager, _no: string, from: string[]) => {
      casFrom.push(from);
      return from.includes(payment?.status === 'SUCCESS' ? 'none' : (payment?.status ?? 'none'));
    }),
    recordAnomaly: jest.fn(async (..._args: unknown[]) => undefined),
  };
  const dedup = {
    markAll: jest.fn(async () => opts.markAll ?? opts.marker !== 'duplicate'),
    runOnce: jest.fn(async (_t: string, _id: string, work: (mm: EntityManager) => Promise<unknown>) =>
      opts.marker === 'duplicate' ? { status: 'duplicate' } : { status: 'done', result: await work(m) },
    ),
  };
  const tx = { run: jest.fn(async (work: (mm: EntityManager) => Promise<unknown>) => work(m)) };
  const outbox = { add: jest.fn(async () => undefined) };
  const orders = { applyPaid: jest.fn(async () => opts.order ?? 'PAID') };
  // the anomaly of a settled payment goes through LateMoneyService (late-money.service.spec.ts)
  const lateMoney = {
    recordIn: jest.fn(async (mm: EntityManager, p: Payment, kind: string, detail: unknown) => {
      await repo.recordAnomaly(mm, p.paymentNo, kind, detail);
      return kind === 'PAID_AFTER_CANCEL' ? `RA${p.paymentNo}` : null;
    }),
    afterCommit: jest.fn(async () => undefined),
  };
  const svc = new PaymentSuccessService(
    tx as never,
    repo as never,
    dedup as never,
    outbox as never,
    orders as never,
    lateMoney as never,
  );
  return { svc, m, repo, dedup, tx, outbox, orders, casFrom, lateMoney };
}

const input = (over: Partial<SuccessInput> = {}): SuccessInput => ({
  paymentNo: 'O1P01',
  channel: 'alipay',
  channelTradeNo: 'T1',
  amount: 500,
  paidAt: new Date('2026-11-30T10:00:00Z'),
  source: 'callback',
  ...over,
});

describe('PaymentSuccessService (collaborators stubbed)', () => {
  it('pays: both markers in one statement, payment CAS PENDING → SUCCESS, the order side with the same manager (told its marker is in), the event, the journal', async () => {
    const s = setup({});
    const journal = jest.fn(async () => undefined);
    const r = await s.svc.apply(input(), { journal });
    expect(r).toEqual({ outcome: 'applied', order: 'PAID' });
    expect(s.dedup.markAll).toHaveBeenCalledWith(s.m, [
      ['PAYMENT_SUCCEEDED', 'O1P01'],
      ['ORDER_PAID', 'O1'],
    ]);
    expect(s.dedup.runOnce).not.toHaveBeenCalled();
    expect(s.casFrom).toEqual([['PENDING']]);
    expect(s.orders.applyPaid).toHaveBeenCalledWith(
      s.m,
      { orderNo: 'O1', paymentNo: 'O1P01', amount: 500, channel: 'alipay' },
      { marked: true },
    );
    expect(s.outbox.add).toHaveBeenCalledWith(
      s.m,
      'payment.succeeded',
      'O1P01',
      expect.objectContaining({ orderNo: 'O1', amount: 500, orderOutcome: 'PAID' }),
    );
    expect(journal).toHaveBeenCalledWith(s.m, r);
    expect(s.repo.recordAnomaly).not.toHaveBeenCalled();
    expect(s.tx.run).toHaveBeenCalledTimes(1);
  });

  it('an already SUCCESS payment is a duplicate from the one read: no transaction', async () => {
    const s = setup({ payment: { status: 'SUCCESS' } });
    expect(await s.svc.applySuccess(input())).toBe('duplicate');
    expect(s.tx.run).not.toHaveBeenCalled();
  });

  it('a wrong amount or channel never pays: one anomaly (once) in the transaction, no CAS, no order side', async () => {
    const a = setup({});
    expect(await a.svc.apply(input({ amount: 499 }))).toEqual({
      outcome: 'anomaly',
      anomaly: 'AMOUNT_MISMATCH',
    });
    expect(a.repo.recordAnomaly).toHaveBeenCalledWith(a.m, 'O1P01', 'AMOUNT_MISMATCH', expect.anything(), {
      once: true,
    });
    expect(a.dedup.runOnce).not.toHaveBeenCalled();
    expect(a.dedup.markAll).not.toHaveBeenCalled();
    expect(a.repo.cas).not.toHaveBeenCalled();
    expect(a.orders.applyPaid).not.toHaveBeenCalled();
    const w = setup({ payment: { channel: 'wallet' } });
    expect((await w.svc.apply(input())).anomaly).toBe('CHANNEL_MISMATCH');
    expect(w.repo.cas).not.toHaveBeenCalled();
    // a WeChat notify naming an Alipay payment, and the other way round
    const x = setup({});
    expect((await x.svc.apply(input({ channel: 'wechat' }))).anomaly).toBe('CHANNEL_MISMATCH');
    expect(x.repo.cas).not.toHaveBeenCalled();
    const y = setup({ payment: { channel: 'wechat' } });
    expect((await y.svc.apply(input({ channel: 'alipay' }))).anomaly).toBe('CHANNEL_MISMATCH');
    expect(y.repo.cas).not.toHaveBeenCalled();
  });

  it('applyIn checks first whoever marks the payment: a demonstration mark is never called for a wrong amount', async () => {
    const s = setup({});
    const payment = {
      paymentNo: 'O1P01',
      orderNo: 'O1',
      userId: 'u1',
      channel: 'alipay',
      amount: 5000,
    } as const;
    const mark = jest.fn(async () => 'marked' as const);
    expect(await s.svc.applyIn(s.m, input({ amount: 1 }), payment, { mark })).toEqual({
      outcome: 'anomaly',
      anomaly: 'AMOUNT_MISMATCH',
    });
    expect(mark).not.toHaveBeenCalled();
    expect(s.orders.applyPaid).not.toHaveBeenCalled();
    // the right amount: the mark, then the order side and the event
    expect(await s.svc.applyIn(s.m, input({ amount: 5000 }), payment, { mark })).toEqual({
      outcome: 'applied',
      order: 'PAID',
    });
    expect(mark).toHaveBeenCalledTimes(1);
    expect(s.dedup.runOnce).not.toHaveBeenCalled();
    expect(s.dedup.markAll).not.toHaveBeenCalled();
    expect(s.outbox.add).toHaveBeenCalledTimes(1);
    // news for another payment is a programming error, never applied
    await expect(s.svc.applyIn(s.m, input({ paymentNo: 'O2P01' }), payment)).rejects.toThrow(/applied to/);
  });

  it("pays a WeChat payment with its own channel's news", async () => {
    const s = setup({ payment: { channel: 'wechat' } });
    expect(await s.svc.apply(input({ channel: 'wechat', channelTradeNo: '4200000001' }))).toEqual({
      outcome: 'applied',
      order: 'PAID',
    });
    expect(s.repo.recordAnomaly).not.toHaveBeenCalled();
  });

  it('marker already there: the two-marker insert wrote nothing, the payment marker alone says duplicate, nothing else written, no journal', async () => {
    const s = setup({ marker: 'duplicate' });
    const journal = jest.fn(async () => undefined);
    expect(await s.svc.apply(input(), { journal })).toEqual({ outcome: 'duplicate' });
    expect(s.dedup.markAll).toHaveBeenCalledTimes(1);
    expect(s.dedup.runOnce).toHaveBeenCalledWith('PAYMENT_SUCCEEDED', 'O1P01', expect.any(Function), {
      manager: s.m,
    });
    expect(s.repo.cas).not.toHaveBeenCalled();
    expect(s.orders.applyPaid).not.toHaveBeenCalled();
    expect(journal).not.toHaveBeenCalled();
  });

  it('only the order marker there (another payment paid the order): marker by marker, the order side inserts its own', async () => {
    const s = setup({ markAll: false, order: 'DUPLICATE_PAYMENT' });
    expect(await s.svc.apply(input())).toMatchObject({ outcome: 'applied', order: 'DUPLICATE_PAYMENT' });
    expect(s.dedup.runOnce).toHaveBeenCalledWith('PAYMENT_SUCCEEDED', 'O1P01', expect.any(Function), {
      manager: s.m,
    });
    expect(s.casFrom).toEqual([['PENDING']]);
    expect(s.orders.applyPaid).toHaveBeenCalledWith(s.m, expect.objectContaining({ orderNo: 'O1' }), {
      marked: false,
    });
    expect(s.repo.recordAnomaly).toHaveBeenCalledWith(s.m, 'O1P01', 'DUPLICATE_PAYMENT', expect.anything());
  });

  it('paid after our close: CAS CLOSED → SUCCESS, anomaly PAID_AFTER_CLOSE in the same transaction', async () => {
    const s = setup({ payment: { status: 'CLOSED' } });
    expect((await s.svc.apply(input())).outcome).toBe('applied');
    expect(s.casFrom).toEqual([['PENDING'], ['CLOSED']]);
    expect(s.repo.recordAnomaly).toHaveBeenCalledTimes(1);
    expect(s.repo.recordAnomaly).toHaveBeenCalledWith(s.m, 'O1P01', 'PAID_AFTER_CLOSE', expect.anything());
  });

  it.each([
    ['DUPLICATE_PAYMENT', 'DUPLICATE_PAYMENT'],
    ['PAID_AFTER_CANCEL', 'PAID_AFTER_CANCEL'],
  ] as const)('order side %s: exactly one anomaly row, %s', async (order, kind) => {
    const s = setup({ order });
    expect(await s.svc.apply(input())).toMatchObject({ outcome: 'applied', order });
    expect(s.repo.recordAnomaly).toHaveBeenCalledTimes(1);
    expect(s.repo.recordAnomaly).toHaveBeenCalledWith(s.m, 'O1P01', kind, expect.anything());
  });

  it('late money: the refund started in the success transaction is attempted after the commit, once', async () => {
    const s = setup({ order: 'PAID_AFTER_CANCEL' });
    const order: string[] = [];
    s.tx.run.mockImplementation(async (work: (mm: EntityManager) => Promise<unknown>) => {
      const r = await work(s.m);
      order.push('commit');
      return r;
    });
    s.lateMoney.afterCommit.mockImplementation(async () => void order.push('attempt'));
    expect(await s.svc.apply(input())).toEqual({
      outcome: 'applied',
      order: 'PAID_AFTER_CANCEL',
      autoRefundNo: 'RAO1P01',
    });
    expect(s.lateMoney.recordIn).toHaveBeenCalledWith(
      s.m,
      expect.objectContaining({ paymentNo: 'O1P01' }),
      'PAID_AFTER_CANCEL',
      expect.anything(),
    );
    expect(order).toEqual(['commit', 'attempt']);
    expect(s.lateMoney.afterCommit).toHaveBeenCalledTimes(1);
    expect(s.lateMoney.afterCommit).toHaveBeenCalledWith('RAO1P01');
  });

  it('neither PENDING nor CLOSED at CAS time (a race): rolled back, duplicate', async () => {
    const s = setup({});
    s.repo.cas.mockResolvedValue(false);
    expect(await s.svc.applySuccess(input())).toBe('duplicate');
    expect(s.orders.applyPaid).not.toHaveBeenCalled();
  });

  it('a trade number that belongs to another payment is TRADE_NO_REUSED, never paid', async () => {
    const s = setup({});
    s.repo.cas.mockRejectedValue(Object.assign(new Error('dup'), { code: 'ER_DUP_ENTRY', errno: 1062 }));
    expect(await s.svc.apply(input())).toEqual({ outcome: 'anomaly', anomaly: 'TRADE_NO_REUSED' });
  });

  it('a database error propagates (nothing applied; the caller retries)', async () => {
    const s = setup({});
    s.orders.applyPaid.mockRejectedValue(new Error('connection lost'));
    await expect(s.svc.apply(input())).rejects.toThrow('connection lost');
  });

  it("the gateway's own PAID answer pays on the payment's channel with the gateway's facts", async () => {
    const s = setup({ payment: { channel: 'wechat' } });
    const paidAt = new Date('2026-11-30T12:00:00Z');
    const spy = jest.spyOn(s.svc, 'applySuccess');
    const q = { status: 'PAID' as const, tradeNo: 'W42', amount: 500, paidAt };
    expect(await s.svc.applyGatewayPaid({ paymentNo: 'O1P01', channel: 'wechat' }, q, 'sweeper')).toBe(
      'applied',
    );
    expect(spy).toHaveBeenCalledWith({
      paymentNo: 'O1P01',
      channel: 'wechat',
      channelTradeNo: 'W42',
      amount: 500,
      paidAt,
      source: 'sweeper',
    });
    // an answer with another amount is the same anomaly as any other news of it
    const a = setup({});
    expect(
      await a.svc.applyGatewayPaid({ paymentNo: 'O1P01', channel: 'alipay' }, { ...q, amount: 1 }, 'query'),
    ).toBe('anomaly');
    expect(a.repo.cas).not.toHaveBeenCalled();
  });

  it('an unknown payment throws', async () => {
    const s = setup({ payment: null });
    await expect(s.svc.apply(input())).rejects.toThrow(/not found/);
  });
});

describe('anomalyKindFor', () => {
  it('maps the order outcome and a prior close to one kind (or none)', () => {
    expect(anomalyKindFor('PAID', false)).toBeNull();
    expect(anomalyKindFor('ALREADY_APPLIED', false)).toBeNull();
    expect(anomalyKindFor('PAID', true)).toBe('PAID_AFTER_CLOSE');
    expect(anomalyKindFor('DUPLICATE_PAYMENT', false)).toBe('DUPLICATE_PAYMENT');
    expect(anomalyKindFor('DUPLICATE_PAYMENT', true)).toBe('DUPLICATE_PAYMENT');
    expect(anomalyKindFor('PAID_AFTER_CANCEL', false)).toBe('PAID_AFTER_CANCEL');
    expect(anomalyKindFor('PAID_AFTER_CANCEL', true)).toBe('PAID_AFTER_CLOSE_UNFULFILLABLE');
  });
});
