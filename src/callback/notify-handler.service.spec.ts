import { EntityManager } from 'typeorm';
import { Payment } from '../payment/entities/payment.entity';
import { SuccessResult } from '../payment/payment-success.service';
import { NotifyHandler } from './notify-handler.service';

/** The notify rules with the payment module stubbed (the e2e suites run them on MySQL and the sandbox). */
function setup(opts: { payment?: Partial<Payment> | null; result?: SuccessResult; closed?: boolean } = {}) {
  const m = { tag: 'tx' } as unknown as EntityManager;
  const payment =
    opts.payment === null
      ? null
      : ({
          paymentNo: 'O1P01',
          orderNo: 'O1',
          channel: 'alipay',
          amount: 800,
          status: 'PENDING',
          ...opts.payment,
        } as Payment);
  const payments = {
    findByPaymentNo: jest.fn(async () => payment),
    recordAnomaly: jest.fn(async () => undefined),
  };
  const closer = {
    closePending: jest.fn(
      async (_no: string, _c: string, _r: string, o: { journal?: (m: EntityManager) => Promise<void> }) => {
        if (opts.closed === false) return 'not_pending';
        await o.journal?.(m);
        return 'closed';
      },
    ),
  };
  const strategy = {
    name: 'unique_key',
    safe: true,
    markPaid: jest.fn(async (_i: unknown, _p: unknown, journal?: (m: EntityManager) => Promise<void>) => {
      const r = opts.result ?? { outcome: 'applied', order: 'PAID' };
      if (r.outcome === 'applied') await journal?.(m);
      return r;
    }),
  };
  const cfg = { appId: 'APP', sellerId: 'SELLER' };
  const handler = new NotifyHandler(
    payments as never,
    closer as never,
    { handle: jest.fn() } as never,
    strategy as never,
    cfg as never,
  );
  return { handler, payments, closer, strategy, m };
}

const notify = (over: Record<string, string> = {}) => ({
  app_id: 'APP',
  seller_id: 'SELLER',
  out_trade_no: 'O1P01',
  notify_id: 'n1',
  trade_status: 'TRADE_SUCCESS',
  total_amount: '8.00',
  trade_no: 'T1',
  gmt_payment: '2026-11-30 18:00:00',
  ...over,
});

describe('NotifyHandler (payment module stubbed)', () => {
  it('a paid notify goes through the strategy; its log outcome is journaled in the apply transaction', async () => {
    const s = setup();
    const journal = jest.fn(async () => undefined);
    const d = await s.handler.handle(notify(), journal);
    expect(d).toMatchObject({ ack: 'success', outcome: 'APPLIED', changed: true, journaled: true });
    expect(journal).toHaveBeenCalledWith(s.m, { ack: 'success', outcome: 'APPLIED' });
    const [input] = s.strategy.markPaid.mock.calls[0] as unknown as [{ amount: number; paidAt: Date }];
    expect(input.amount).toBe(800);
    expect(input.paidAt.toISOString()).toBe('2026-11-30T10:00:00.000Z'); // China time
  });

  it('already SUCCESS: ALREADY_PAID from the one read, nothing written', async () => {
    const s = setup({ payment: { status: 'SUCCESS' } });
    const journal = jest.fn();
    expect(await s.handler.handle(notify(), journal)).toEqual({ ack: 'success', outcome: 'ALREADY_PAID' });
    expect(s.strategy.markPaid).not.toHaveBeenCalled();
    expect(s.payments.recordAnomaly).not.toHaveBeenCalled();
    expect(journal).not.toHaveBeenCalled();
  });

  it('a duplicate is not journaled (the caller logs it on its own)', async () => {
    const s = setup({ result: { outcome: 'duplicate' } });
    expect(await s.handler.handle(notify(), jest.fn())).toMatchObject({
      outcome: 'DUPLICATE',
      journaled: false,
    });
  });

  it('app_id / seller_id not ours: anomaly once, success, nothing paid', async () => {
    for (const [over, kind] of [
      [{ app_id: 'OTHER' }, 'APP_MISMATCH'],
      [{ seller_id: 'OTHER' }, 'SELLER_MISMATCH'],
    ] as const) {
      const s = setup();
      expect(await s.handler.handle(notify(over))).toMatchObject({ ack: 'success', outcome: kind });
      expect(s.payments.recordAnomaly).toHaveBeenCalledWith(null, 'O1P01', kind, expect.any(String), {
        once: true,
      });
      expect(s.strategy.markPaid).not.toHaveBeenCalled();
    }
  });

  it('unknown out_trade_no: fail (the gateway re-sends)', async () => {
    const s = setup({ payment: null });
    expect(await s.handler.handle(notify())).toMatchObject({ ack: 'fail', outcome: 'UNKNOWN_TRADE' });
  });

  it('an amount that is not an amount never reaches the strategy; a different one is the success path’s anomaly', async () => {
    const s = setup();
    expect(await s.handler.handle(notify({ total_amount: '8.001' }))).toMatchObject({
      outcome: 'AMOUNT_MISMATCH',
    });
    expect(s.strategy.markPaid).not.toHaveBeenCalled();
    const t = setup({ result: { outcome: 'anomaly', anomaly: 'AMOUNT_MISMATCH' } });
    expect(await t.handler.handle(notify({ total_amount: '8.01' }))).toMatchObject({
      ack: 'success',
      outcome: 'AMOUNT_MISMATCH',
    });
  });

  it('a paid notify without trade_no is malformed: fail', async () => {
    const s = setup();
    expect(await s.handler.handle(notify({ trade_no: '' }))).toMatchObject({
      ack: 'fail',
      outcome: 'MALFORMED',
    });
  });

  it('TRADE_CLOSED closes a PENDING payment, journaled in the close transaction', async () => {
    const s = setup();
    const journal = jest.fn(async () => undefined);
    const d = await s.handler.handle(notify({ trade_status: 'TRADE_CLOSED' }), journal);
    expect(d).toMatchObject({ outcome: 'CLOSED', journaled: true });
    expect(journal).toHaveBeenCalledWith(s.m, expect.objectContaining({ outcome: 'CLOSED' }));
  });

  it('TRADE_CLOSED after SUCCESS never un-pays: REFUND_OR_LATE_CLOSE recorded once', async () => {
    const s = setup({ payment: { status: 'SUCCESS' } });
    expect(await s.handler.handle(notify({ trade_status: 'TRADE_CLOSED' }))).toMatchObject({
      outcome: 'REFUND_OR_LATE_CLOSE',
    });
    expect(s.closer.closePending).not.toHaveBeenCalled();
    expect(s.payments.recordAnomaly).toHaveBeenCalledWith(
      null,
      'O1P01',
      'REFUND_OR_LATE_CLOSE',
      expect.any(String),
      {
        once: true,
      },
    );
  });

  it('TRADE_CLOSED for an already CLOSED payment, and WAIT_BUYER_PAY, change nothing', async () => {
    const s = setup({ payment: { status: 'CLOSED' } });
    expect(await s.handler.handle(notify({ trade_status: 'TRADE_CLOSED' }))).toMatchObject({
      outcome: 'ALREADY_CLOSED',
    });
    expect(await s.handler.handle(notify({ trade_status: 'WAIT_BUYER_PAY' }))).toMatchObject({
      outcome: 'IGNORED',
    });
    expect(s.closer.closePending).not.toHaveBeenCalled();
  });
});
