import type { NotifyAdapter, NotifyRead, NotifyVerdict } from '../payment';
import { NotifyPipeline } from './notify-pipeline.service';

const payment = { paymentNo: 'P1', channel: 'alipay', amount: 100, status: 'PENDING' };
const paid: NotifyRead = {
  ok: true,
  keys: { out_trade_no: 'P1' },
  event: { kind: 'paid', paymentNo: 'P1', tradeNo: 'Q1', amount: 100, paidAt: new Date(0) },
};

/** An adapter that reads what the test says and answers the verdict itself. */
function adapter(read: NotifyRead | Error, decode = false): NotifyAdapter<NotifyVerdict> {
  return {
    channel: 'alipay',
    read: async () => {
      if (read instanceof Error) throw read;
      return read;
    },
    ...(decode ? { decode: () => read as NotifyRead } : {}),
    answer: (v) => v,
  };
}
const raw = (body = 'raw') => ({ body, headers: {} });

/** The pipeline with every collaborator stubbed: which rule answers what, and what it writes. */
function setup(
  over: { payment?: unknown; refund?: unknown; logFails?: boolean; mode?: string; closed?: string } = {},
) {
  const log = {
    insertReceipt: jest.fn(async () => {
      if (over.logFails) throw new Error('db down');
      return '1';
    }),
    appendBuffered: jest.fn(async () => true),
  };
  const facts = {
    payment: jest.fn(async () => ('payment' in over ? over.payment : payment)),
    refund: jest.fn(async () => over.refund ?? null),
    recordAnomalyOnce: jest.fn(async () => undefined),
  };
  const strategy = {
    markPaid: jest.fn(async (_i: unknown, _p: unknown, journal: (m: unknown) => Promise<void>) => {
      await journal({});
      return { outcome: 'applied' };
    }),
  };
  const closer = {
    closePending: jest.fn(
      async (_n: string, _c: string, _r: string, o: { journal: (m: unknown) => Promise<void> }) => {
        if ((over.closed ?? 'closed') === 'closed') await o.journal({});
        return over.closed ?? 'closed';
      },
    ),
  };
  const counter = { inc: jest.fn() };
  const refundApply = { applySucceeded: jest.fn(async () => 'applied'), fail: jest.fn(async () => 'failed') };
  const p = new NotifyPipeline(
    log as never,
    facts as never,
    strategy as never,
    closer as never,
    refundApply as never,
    { refusedLogBytes: 10, mode: over.mode ?? 'sync' } as never,
    { counter: () => counter } as never,
  );
  return { p, log, facts, strategy, closer, refundApply, counter };
}

describe('NotifyPipeline', () => {
  it('pays through the dedup strategy (the one success path), its log row written in that transaction', async () => {
    const { p, log, strategy } = setup();
    await expect(p.receive(adapter(paid), raw())).resolves.toEqual({ outcome: 'APPLIED', accept: true });
    expect(strategy.markPaid).toHaveBeenCalledWith(
      expect.objectContaining({ paymentNo: 'P1', channel: 'alipay', channelTradeNo: 'Q1', amount: 100 }),
      payment,
      expect.any(Function),
    );
    expect(log.insertReceipt).toHaveBeenCalledTimes(1);
    expect(log.insertReceipt).toHaveBeenCalledWith({}, 'alipay', 'raw', { out_trade_no: 'P1' }, 'APPLIED', {
      verified: true,
      done: true,
    });
  });

  it('an unknown payment is not accepted (the gateway re-sends); a paid one is accepted from one read, no write', async () => {
    const unknown = setup({ payment: null });
    await expect(unknown.p.receive(adapter(paid), raw())).resolves.toEqual({
      outcome: 'UNKNOWN_TRADE',
      accept: false,
    });
    expect(unknown.strategy.markPaid).not.toHaveBeenCalled();
    expect(unknown.log.insertReceipt).toHaveBeenCalledWith(
      null,
      'alipay',
      'raw',
      { out_trade_no: 'P1' },
      'UNKNOWN_TRADE',
      {
        verified: true,
        detail: 'unknown payment',
        done: false,
      },
    );
    const done = setup({ payment: { ...payment, status: 'SUCCESS' } });
    await expect(done.p.receive(adapter(paid), raw())).resolves.toEqual({
      outcome: 'ALREADY_PAID',
      accept: true,
    });
    expect(done.log.insertReceipt).not.toHaveBeenCalled();
    expect(done.counter.inc).toHaveBeenCalledWith({ channel: 'alipay' });
  });

  it('a refusal is logged cut and not accepted; another merchant is an anomaly, accepted; no durable row → not accepted', async () => {
    const { p, log, facts, strategy } = setup();
    const refused: NotifyRead = {
      ok: false,
      code: 'BAD_SIGNATURE',
      verified: false,
      wire: 'STALE_TIMESTAMP',
      reason: 'x',
      keys: { out_trade_no: 'P1' },
    };
    await expect(p.receive(adapter(refused), raw('r'.repeat(50)))).resolves.toEqual({
      outcome: 'BAD_SIGNATURE',
      accept: false,
      refusal: 'STALE_TIMESTAMP',
    });
    expect(log.insertReceipt).toHaveBeenCalledWith(
      null,
      'alipay',
      'r'.repeat(10),
      { out_trade_no: 'P1' },
      'BAD_SIGNATURE',
      {
        verified: false,
        detail: 'x',
        done: false,
      },
    );
    const foreign: NotifyRead = {
      ...refused,
      code: 'WRONG_MERCHANT',
      verified: true,
      anomaly: 'SELLER_MISMATCH',
    };
    await expect(p.receive(adapter(foreign), raw())).resolves.toEqual({
      outcome: 'SELLER_MISMATCH',
      accept: true,
    });
    expect(facts.recordAnomalyOnce).toHaveBeenCalledWith('P1', 'SELLER_MISMATCH', 'x');
    expect(strategy.markPaid).not.toHaveBeenCalled();
    const down = setup({ logFails: true });
    await expect(down.p.receive(adapter(foreign), raw())).resolves.toEqual({
      outcome: 'ERROR',
      accept: false,
    });
  });

  it('keys that do not load: logged cut, unverified, not accepted (KEYS_UNAVAILABLE); not a notify: MALFORMED with the problem', async () => {
    const { p, log } = setup();
    await expect(p.receive(adapter(new Error('no key')), raw('k'.repeat(20)))).resolves.toEqual({
      outcome: 'ERROR',
      accept: false,
      refusal: 'KEYS_UNAVAILABLE',
    });
    expect(log.insertReceipt).toHaveBeenLastCalledWith(null, 'alipay', 'k'.repeat(10), {}, 'ERROR', {
      verified: false,
      detail: 'alipay keys unavailable',
      done: false,
    });
    const problem = { message: 'not JSON', status: 415 };
    await expect(p.receive(adapter(paid), raw(), problem)).resolves.toEqual({
      outcome: 'MALFORMED',
      accept: false,
      problem,
    });
  });

  it('buffered mode appends a verified notify of a self-signed channel and accepts, without applying it', async () => {
    const { p, log, strategy } = setup({ mode: 'buffered' });
    const nudged = jest.fn();
    p.onAppended(nudged);
    await expect(p.receive(adapter(paid, true), raw())).resolves.toEqual({
      outcome: 'BUFFERED',
      accept: true,
    });
    expect(log.appendBuffered).toHaveBeenCalledWith(null, 'alipay', 'raw', { out_trade_no: 'P1' });
    expect(nudged).toHaveBeenCalled();
    expect(strategy.markPaid).not.toHaveBeenCalled();
    // a channel without `decode` (WeChat) is applied in the request even in buffered mode
    await expect(p.receive(adapter(paid), raw())).resolves.toEqual({ outcome: 'APPLIED', accept: true });
  });

  it('closed: closes a PENDING payment; after a success it is REFUND_OR_LATE_CLOSE; a wrong amount is an anomaly', async () => {
    const closed: NotifyRead = {
      ok: true,
      keys: {},
      event: { kind: 'closed', paymentNo: 'P1', amount: 100, notifyId: 'n1' },
    };
    const pending = setup();
    await expect(pending.p.receive(adapter(closed), raw())).resolves.toEqual({
      outcome: 'CLOSED',
      accept: true,
    });
    expect(pending.closer.closePending).toHaveBeenCalledWith(
      'P1',
      'alipay',
      expect.any(String),
      expect.anything(),
    );
    const other = setup({ closed: 'channel_mismatch' });
    await expect(other.p.receive(adapter(closed), raw())).resolves.toEqual({
      outcome: 'CHANNEL_MISMATCH',
      accept: true,
    });
    const late = setup({ payment: { ...payment, status: 'SUCCESS' } });
    await expect(late.p.receive(adapter(closed), raw())).resolves.toEqual({
      outcome: 'REFUND_OR_LATE_CLOSE',
      accept: true,
    });
    expect(late.facts.recordAnomalyOnce).toHaveBeenCalledWith(
      'P1',
      'REFUND_OR_LATE_CLOSE',
      expect.any(String),
    );
    expect(late.closer.closePending).not.toHaveBeenCalled();
    const wrong = setup();
    const odd = { ...closed, event: { ...closed.event, amount: 99 } } as NotifyRead;
    await expect(wrong.p.receive(adapter(odd), raw())).resolves.toEqual({
      outcome: 'AMOUNT_MISMATCH',
      accept: true,
    });
    expect(wrong.closer.closePending).not.toHaveBeenCalled();
  });

  it('refund events go to the refund apply function; a refund not ours (or of another payment) is an anomaly', async () => {
    const refund = { refundNo: 'R1', paymentNo: 'P1', channel: 'alipay', status: 'PENDING' };
    const ev = (kind: 'refund_succeeded' | 'refund_failed', more = {}): NotifyRead => ({
      ok: true,
      keys: {},
      event: { kind, refundNo: 'R1', amount: 40, ...more },
    });
    const ok = setup({ refund });
    await expect(ok.p.receive(adapter(ev('refund_succeeded')), raw())).resolves.toEqual({
      outcome: 'REFUND_APPLIED',
      accept: true,
    });
    expect(ok.refundApply.applySucceeded).toHaveBeenCalledWith('R1', 'notify', 'alipay', 40);
    await expect(ok.p.receive(adapter(ev('refund_failed')), raw())).resolves.toEqual({
      outcome: 'REFUND_FAILED',
      accept: true,
    });
    const conflict = setup({ refund: { ...refund, status: 'SUCCEEDED' } });
    await expect(conflict.p.receive(adapter(ev('refund_failed')), raw())).resolves.toEqual({
      outcome: 'REFUND_ANOMALY',
      accept: true,
    });
    expect(conflict.refundApply.fail).not.toHaveBeenCalled();
    const stray = setup();
    await expect(stray.p.receive(adapter(ev('refund_succeeded')), raw())).resolves.toEqual({
      outcome: 'REFUND_ANOMALY',
      accept: true,
    });
    expect(stray.refundApply.applySucceeded).not.toHaveBeenCalled();
    // Alipay names the payment and only the cumulative refund_fee: another payment's, or a fee over the
    // payment, is UNKNOWN_REFUND on the payment named
    const elsewhere = setup({ refund: { ...refund, paymentNo: 'P2' } });
    const named = ev('refund_succeeded', { paymentNo: 'P1', amount: undefined, refundedTotal: 50 });
    await expect(elsewhere.p.receive(adapter(named), raw())).resolves.toEqual({
      outcome: 'REFUND_ANOMALY',
      accept: true,
    });
    expect(elsewhere.facts.recordAnomalyOnce).toHaveBeenCalledWith(
      'P1',
      'UNKNOWN_REFUND',
      expect.any(String),
    );
    const over = setup({ refund });
    const tooMuch = ev('refund_succeeded', { paymentNo: 'P1', amount: undefined, refundedTotal: 101 });
    await expect(over.p.receive(adapter(tooMuch), raw())).resolves.toEqual({
      outcome: 'REFUND_ANOMALY',
      accept: true,
    });
    await expect(ok.p.receive(adapter(named), raw())).resolves.toEqual({
      outcome: 'REFUND_APPLIED',
      accept: true,
    });
    expect(ok.refundApply.applySucceeded).toHaveBeenLastCalledWith('R1', 'notify', 'alipay', undefined);
  });
});
