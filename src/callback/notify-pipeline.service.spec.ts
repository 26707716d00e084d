import { NotifyPipeline } from './notify-pipeline.service';

const payment = { paymentNo: 'P1', channel: 'unionpay', amount: 100, status: 'PENDING' };
const paid = {
  ok: true as const,
  keys: { out_trade_no: 'P1' },
  event: { kind: 'paid' as const, paymentNo: 'P1', tradeNo: 'Q1', amount: 100, paidAt: new Date() },
};

/** The pipeline with every collaborator stubbed: which rule answers what, and what it writes. */
function setup(over: { payment?: unknown; refund?: unknown; logFails?: boolean } = {}) {
  const log = {
    insertReceipt: jest.fn(async () => {
      if (over.logFails) throw new Error('db down');
      return '1';
    }),
  };
  const payments = {
    findByPaymentNo: jest.fn(async () => ('payment' in over ? over.payment : payment)),
    recordAnomaly: jest.fn(async () => undefined),
  };
  const success = {
    apply: jest.fn(async (_i: unknown, o: { journal: (m: unknown, r: unknown) => Promise<void> }) => {
      await o.journal({}, { outcome: 'applied' });
      return { outcome: 'applied' };
    }),
  };
  const refunds = { findByRefundNo: jest.fn(async () => over.refund ?? null) };
  const duplicates = { inc: jest.fn() };
  const refundApply = { applySucceeded: jest.fn(async () => 'applied'), fail: jest.fn(async () => 'failed') };
  const p = new NotifyPipeline(
    log as never,
    payments as never,
    success as never,
    refunds as never,
    refundApply as never,
    { refusedLogBytes: 10 } as never,
    { counter: () => duplicates } as never,
  );
  return { p, log, payments, success, refundApply, duplicates };
}

describe('NotifyPipeline', () => {
  it('pays through the one success path, its log row written in that transaction: accepted', async () => {
    const { p, log, success } = setup();
    await expect(p.handle('unionpay', 'raw', paid)).resolves.toEqual({ outcome: 'APPLIED', accept: true });
    expect(success.apply).toHaveBeenCalledWith(
      expect.objectContaining({
        paymentNo: 'P1',
        channel: 'unionpay',
        channelTradeNo: 'Q1',
        amount: 100,
        source: 'callback',
      }),
      expect.anything(),
    );
    expect(log.insertReceipt).toHaveBeenCalledTimes(1);
    expect(log.insertReceipt).toHaveBeenCalledWith({}, 'unionpay', 'raw', { out_trade_no: 'P1' }, 'APPLIED', {
      verified: true,
    });
  });

  it('an unknown payment is not accepted (the gateway re-sends); a paid one is accepted from one read, no write', async () => {
    const unknown = setup({ payment: null });
    await expect(unknown.p.handle('unionpay', 'raw', paid)).resolves.toEqual({
      outcome: 'UNKNOWN_TRADE',
      accept: false,
    });
    expect(unknown.success.apply).not.toHaveBeenCalled();
    const done = setup({ payment: { ...payment, status: 'SUCCESS' } });
    await expect(done.p.handle('unionpay', 'raw', paid)).resolves.toEqual({
      outcome: 'ALREADY_PAID',
      accept: true,
    });
    expect(done.log.insertReceipt).not.toHaveBeenCalled();
    expect(done.duplicates.inc).toHaveBeenCalledWith({ channel: 'unionpay' });
  });

  it('a refusal is logged cut and not accepted; another merchant is an anomaly, accepted; no durable row → not accepted', async () => {
    const { p, log, payments, success } = setup();
    const refused = {
      ok: false as const,
      code: 'BAD_SIGNATURE' as const,
      reason: 'x',
      keys: { out_trade_no: 'P1' },
    };
    await expect(p.handle('unionpay', 'r'.repeat(50), refused)).resolves.toEqual({
      outcome: 'BAD_SIGNATURE',
      accept: false,
    });
    expect(log.insertReceipt).toHaveBeenCalledWith(
      null,
      'unionpay',
      'r'.repeat(10),
      { out_trade_no: 'P1' },
      'BAD_SIGNATURE',
      { detail: 'x', done: false },
    );
    const foreign = { ...refused, code: 'WRONG_MERCHANT' as const };
    await expect(p.handle('unionpay', 'raw', foreign)).resolves.toEqual({
      outcome: 'APP_MISMATCH',
      accept: true,
    });
    expect(payments.recordAnomaly).toHaveBeenCalledWith(null, 'P1', 'APP_MISMATCH', 'x', { once: true });
    expect(success.apply).not.toHaveBeenCalled();
    const down = setup({ logFails: true });
    await expect(down.p.handle('unionpay', 'raw', foreign)).resolves.toEqual({
      outcome: 'ERROR',
      accept: false,
    });
  });

  it('refund events go to the refund apply function; a refund number not ours is an anomaly', async () => {
    const refund = { refundNo: 'R1', paymentNo: 'P1', channel: 'unionpay', status: 'PENDING' };
    const ok = setup({ refund });
    const ev = (kind: 'refund_succeeded' | 'refund_failed') => ({
      ok: true as const,
      keys: {},
      event: { kind, refundNo: 'R1', amount: 40 },
    });
    await expect(ok.p.handle('unionpay', 'raw', ev('refund_succeeded'))).resolves.toEqual({
      outcome: 'REFUND_APPLIED',
      accept: true,
    });
    expect(ok.refundApply.applySucceeded).toHaveBeenCalledWith('R1', 'notify', 'unionpay', 40);
    await expect(ok.p.handle('unionpay', 'raw', ev('refund_failed'))).resolves.toEqual({
      outcome: 'REFUND_FAILED',
      accept: true,
    });
    const conflict = setup({ refund: { ...refund, status: 'SUCCEEDED' } });
    await expect(conflict.p.handle('unionpay', 'raw', ev('refund_failed'))).resolves.toEqual({
      outcome: 'REFUND_ANOMALY',
      accept: true,
    });
    expect(conflict.refundApply.fail).not.toHaveBeenCalled();
    const stray = setup();
    await expect(stray.p.handle('unionpay', 'raw', ev('refund_succeeded'))).resolves.toEqual({
      outcome: 'REFUND_ANOMALY',
      accept: true,
    });
    expect(stray.refundApply.applySucceeded).not.toHaveBeenCalled();
  });
});
