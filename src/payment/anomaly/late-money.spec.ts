import { EntityManager } from 'typeorm';
import { anomalyKindFor } from '../payment-success.service';
import { lateMoneyAction, lateRefundNo, LATE_REFUND_NO_PATTERN, refundsItself } from './late-money';
import { LateMoneyService } from './late-money.service';
import { REFUND_NO_PATTERN } from '../refund/refund-state';

/**
 * THE table of "money we cannot keep goes back": every way a payment can succeed (the order side's
 * outcome × whether we had closed the payment first) and every mismatch, with what becomes of it.
 */
describe('late money: the one rule (issue 24)', () => {
  const cases: Array<[string, string | null, 'refund' | 'person' | 'record' | null]> = [
    // [order side's outcome / mismatch, anomaly kind, action]
    ['PAID, payment was pending', null, null],
    ['ALREADY_APPLIED, payment was pending', null, null],
    ['PAID, payment was closed (the order was still payable)', 'PAID_AFTER_CLOSE', 'record'],
    ['PAID_AFTER_CANCEL, payment was pending (paid after cancel / expiry)', 'PAID_AFTER_CANCEL', 'refund'],
    ['PAID_AFTER_CANCEL, payment was closed', 'PAID_AFTER_CLOSE_UNFULFILLABLE', 'refund'],
    ['DUPLICATE_PAYMENT (a second payment of a paid order, any channel)', 'DUPLICATE_PAYMENT', 'refund'],
    ['DUPLICATE_PAYMENT, payment was closed', 'DUPLICATE_PAYMENT', 'refund'],
    ['amount mismatch (never paid)', 'AMOUNT_MISMATCH', 'person'],
    ['channel mismatch (never paid)', 'CHANNEL_MISMATCH', 'person'],
    ['trade number of another payment (never paid)', 'TRADE_NO_REUSED', 'person'],
    ['refund amount mismatch', 'REFUND_AMOUNT_MISMATCH', 'person'],
    ['refund succeeded after we failed it', 'REFUND_SUCCEEDED_AFTER_FAIL', 'person'],
    ['a kind nobody knows yet', 'SOMETHING_NEW', 'person'],
  ];
  const outcomeOf: Record<string, [Parameters<typeof anomalyKindFor>[0], boolean]> = {
    'PAID, payment was pending': ['PAID', false],
    'ALREADY_APPLIED, payment was pending': ['ALREADY_APPLIED', false],
    'PAID, payment was closed (the order was still payable)': ['PAID', true],
    'PAID_AFTER_CANCEL, payment was pending (paid after cancel / expiry)': ['PAID_AFTER_CANCEL', false],
    'PAID_AFTER_CANCEL, payment was closed': ['PAID_AFTER_CANCEL', true],
    'DUPLICATE_PAYMENT (a second payment of a paid order, any channel)': ['DUPLICATE_PAYMENT', false],
    'DUPLICATE_PAYMENT, payment was closed': ['DUPLICATE_PAYMENT', true],
  };

  it.each(cases)('%s → anomaly %s → %s', (what, kind, action) => {
    if (outcomeOf[what]) expect(anomalyKindFor(...outcomeOf[what])).toBe(kind);
    if (kind === null) return;
    expect(lateMoneyAction(kind)).toBe(action);
    expect(refundsItself(kind, true)).toBe(action === 'refund');
    expect(refundsItself(kind, false)).toBe(false); // AUTO_REFUND=false: everything waits for a person
  });

  it('the refund number is derived from the payment number: same on every path and instance', () => {
    const no = '20261123120000123456789012345P01';
    expect(lateRefundNo(no)).toBe(`RA${no}`);
    expect(lateRefundNo(no)).toBe(lateRefundNo(no));
    expect(lateRefundNo(no).length).toBeLessThanOrEqual(40); // t_refund.refund_no VARCHAR(40)
    expect(LATE_REFUND_NO_PATTERN.test(lateRefundNo(no))).toBe(true);
    expect(REFUND_NO_PATTERN.test(lateRefundNo(no))).toBe(true); // GET /v1/refunds/{refundNo} finds it
    expect(LATE_REFUND_NO_PATTERN.test('R20261123121500123456123456789')).toBe(false); // an admin's refund
  });
});

describe('LateMoneyService (collaborators stubbed)', () => {
  const m = { tag: 'tx' } as unknown as EntityManager;
  const payment = {
    paymentNo: 'O1P02',
    orderNo: 'O1',
    userId: 'u1',
    channel: 'wechat' as const,
    amount: 900,
  };
  type First = { id: string; kind: string; status: string; refundNo: string | null } | null;
  function setup(
    autoRefund: boolean,
    insert: () => Promise<void> = async () => undefined,
    opts: { first?: First; succeeded?: boolean } = {},
  ) {
    const calls: string[] = [];
    const anomalies = {
      record: jest.fn(async (_m: unknown, _no: string, kind: string) => {
        calls.push(`anomaly ${kind}`);
        return '7';
      }),
      linkRefund: jest.fn(async () => undefined),
      findFirstOfKinds: jest.fn(async () => (calls.push('find late money'), opts.first ?? null)),
      markAutoRefundedIfSucceeded: jest.fn(async () => (calls.push('mark if done'), !!opts.succeeded)),
    };
    const refunds = { insert: jest.fn(async () => (calls.push('refund row'), insert())) };
    const payments = {
      reserveRefund: jest.fn(async () => (calls.push('reserve'), true)),
      lockForRefund: jest.fn(async () => (calls.push('lock payment'), { amount: 900, refunded: 0 })),
    };
    const settle = { attempt: jest.fn(async () => undefined) };
    const svc = new LateMoneyService(
      anomalies as never,
      payments as never,
      refunds as never,
      settle as never,
      { autoRefund } as never,
    );
    return { svc, anomalies, refunds, payments, settle, calls };
  }

  it('late money with AUTO_REFUND: refund row, reservation, anomaly naming it, all in the caller’s transaction', async () => {
    const s = setup(true);
    expect(await s.svc.recordIn(m, payment, 'DUPLICATE_PAYMENT', { x: 1 })).toBe('RAO1P02');
    expect(s.calls).toEqual([
      'lock payment',
      'find late money',
      'refund row',
      'reserve',
      'anomaly DUPLICATE_PAYMENT',
      'mark if done',
    ]);
    expect(s.anomalies.findFirstOfKinds).toHaveBeenCalledWith(m, 'O1P02', [
      'PAID_AFTER_CANCEL',
      'PAID_AFTER_CLOSE_UNFULFILLABLE',
      'DUPLICATE_PAYMENT',
    ]);
    expect(s.refunds.insert).toHaveBeenCalledWith(
      m,
      expect.objectContaining({
        refundNo: 'RAO1P02',
        amount: 900, // in full
        channel: 'wechat',
        walletDebit: 0,
        restock: false,
        requestedBy: 'auto-refund',
      }),
    );
    expect(s.payments.reserveRefund).toHaveBeenCalledWith(m, 'O1P02', 900);
    expect(s.anomalies.record).toHaveBeenCalledWith(
      m,
      'O1P02',
      'DUPLICATE_PAYMENT',
      { x: 1 },
      { refundNo: 'RAO1P02' },
    );
    expect(s.settle.attempt).not.toHaveBeenCalled(); // only after the commit
    await s.svc.afterCommit('RAO1P02');
    expect(s.settle.attempt).toHaveBeenCalledWith('RAO1P02');
  });

  it('AUTO_REFUND=false, or a mismatch: the anomaly only, no refund', async () => {
    for (const [auto, kind] of [
      [false, 'PAID_AFTER_CANCEL'],
      [true, 'AMOUNT_MISMATCH'],
      [true, 'PAID_AFTER_CLOSE'],
    ] as const) {
      const s = setup(auto);
      expect(await s.svc.recordIn(m, payment, kind, {})).toBeNull();
      expect(s.calls).toEqual(
        auto ? [`anomaly ${kind}`] : ['lock payment', 'find late money', `anomaly ${kind}`],
      );
      await s.svc.afterCommit(null);
      expect(s.settle.attempt).not.toHaveBeenCalled();
    }
  });

  it('the refund number exists already: UNIQUE decides, nothing reserved twice', async () => {
    const s = setup(true, async () => {
      throw Object.assign(new Error('dup'), { code: 'ER_DUP_ENTRY', errno: 1062 });
    });
    expect(await s.svc.recordIn(m, payment, 'PAID_AFTER_CANCEL', {})).toBe('RAO1P02');
    expect(s.payments.reserveRefund).not.toHaveBeenCalled();
  });

  it('one late-money anomaly per payment: a later path, of any late-money kind, names the first and writes none', async () => {
    for (const [kind, once] of [
      ['PAID_AFTER_CANCEL', true], // settleAgain after settleOrder recorded PAID_AFTER_CLOSE_UNFULFILLABLE
      ['PAID_AFTER_CLOSE_UNFULFILLABLE', false],
      ['DUPLICATE_PAYMENT', true],
    ] as const) {
      const first = { id: '3', kind: 'PAID_AFTER_CLOSE_UNFULFILLABLE', status: 'OPEN', refundNo: 'RAO1P02' };
      const s = setup(
        true,
        async () => {
          throw Object.assign(new Error('dup'), { code: 'ER_DUP_ENTRY', errno: 1062 });
        },
        { first },
      );
      expect(await s.svc.recordIn(m, payment, kind, {}, { once })).toBe('RAO1P02'); // still under way
      expect(s.anomalies.record).not.toHaveBeenCalled();
      expect(s.anomalies.linkRefund).not.toHaveBeenCalled();
      expect(s.payments.reserveRefund).not.toHaveBeenCalled();
      expect(s.calls).toEqual(['lock payment', 'find late money', 'refund row', 'mark if done']);
    }
  });

  it('its refund SUCCEEDED already: the anomaly is AUTO_REFUNDED here, nothing left to attempt', async () => {
    const dup = async () => {
      throw Object.assign(new Error('dup'), { code: 'ER_DUP_ENTRY', errno: 1062 });
    };
    const first = { id: '3', kind: 'PAID_AFTER_CANCEL', status: 'OPEN', refundNo: 'RAO1P02' };
    const s = setup(true, dup, { first, succeeded: true });
    expect(await s.svc.recordIn(m, payment, 'PAID_AFTER_CANCEL', {})).toBeNull();
    expect(s.anomalies.markAutoRefundedIfSucceeded).toHaveBeenCalledWith(m, 'RAO1P02');
    // recorded while AUTO_REFUND was off: the refund is made now and the open row names it
    const legacy = setup(true, undefined, { first: { ...first, refundNo: null } });
    expect(await legacy.svc.recordIn(m, payment, 'DUPLICATE_PAYMENT', {})).toBe('RAO1P02');
    expect(legacy.anomalies.linkRefund).toHaveBeenCalledWith(m, 'O1P02', 'PAID_AFTER_CANCEL', 'RAO1P02');
    expect(legacy.anomalies.record).not.toHaveBeenCalled();
  });

  it('the payment’s late money went back, or a person resolved it: nothing recorded, refunded or attempted', async () => {
    for (const [status, refundNo] of [
      ['AUTO_REFUNDED', 'RAO1P02'],
      ['RESOLVED', null],
    ] as const) {
      const s = setup(true, undefined, { first: { id: '3', kind: 'PAID_AFTER_CANCEL', status, refundNo } });
      expect(await s.svc.recordIn(m, payment, 'PAID_AFTER_CANCEL', {}, { once: true })).toBeNull();
      expect(s.calls).toEqual(['lock payment', 'find late money']);
    }
  });

  it('a gateway call that throws after the commit is left to the refund query (never a second refund)', async () => {
    const s = setup(true);
    s.settle.attempt.mockRejectedValue(new Error('socket hang up'));
    await expect(s.svc.afterCommit('RAO1P02')).resolves.toBeUndefined();
    expect(s.settle.attempt).toHaveBeenCalledTimes(1);
  });
});
