import { PaymentQueryLog } from './payment-query-log';

/** The query log (collaborators stubbed): what a row keeps, and that a failed write never breaks a query. */
describe('PaymentQueryLog', () => {
  const asked = new Date('2026-12-07T10:00:00.000Z');
  const answered = new Date('2026-12-07T10:00:00.250Z');
  const base = {
    paymentNo: 'P1',
    channel: 'alipay',
    source: 'query',
    attempt: 2,
    askedAt: asked,
    answeredAt: answered,
  } as const;

  it.each([
    [
      { status: 'PAID', tradeNo: '2026X', amount: 1800, paidAt: new Date('2026-12-07T09:59:58.000Z') },
      'applied',
      'trade 2026X, 1800 fen, paid 2026-12-07T09:59:58.000Z',
    ],
    [{ status: 'UNKNOWN', reason: 'timeout after 1000 ms' }, 'ask_again', 'timeout after 1000 ms'],
    [{ status: 'WAIT_BUYER_PAY' }, 'ask_again', null],
    [{ status: 'NOT_EXIST' }, 'none', null],
  ] as const)(
    '%o → one row with the answer, its facts and what it led to',
    async (answer, outcome, detail) => {
      const query = jest.fn(async () => ({ insertId: 1 }));
      await new PaymentQueryLog({ query } as never).record({ ...base, answer, outcome });
      expect(query).toHaveBeenCalledTimes(1);
      expect((query.mock.calls[0] as unknown[])[1]).toEqual([
        'P1',
        'alipay',
        'query',
        2,
        answer.status,
        detail,
        outcome,
        asked,
        answered,
      ]);
    },
  );

  it('a failed write is a warning: record resolves, the query’s work goes on', async () => {
    const query = jest.fn(async () => {
      throw new Error('connection lost');
    });
    await expect(
      new PaymentQueryLog({ query } as never).record({
        ...base,
        answer: { status: 'CLOSED' },
        outcome: 'none',
      }),
    ).resolves.toBeUndefined();
  });

  it('reads a payment’s rows oldest first, as entries', async () => {
    const query = jest.fn(async () => [
      {
        id: 7,
        payment_no: 'P1',
        channel: 'wechat',
        source: 'sweeper',
        attempt: null,
        answer: 'PAID',
        detail: 'trade 42, 100 fen, paid …',
        outcome: 'duplicate',
        asked_at: asked,
        answered_at: answered,
      },
    ]);
    const rows = await new PaymentQueryLog({ query } as never).findByPayment('P1');
    expect((query.mock.calls[0] as unknown[])[0]).toMatch(/WHERE payment_no = \? ORDER BY id LIMIT \?/);
    expect(rows).toEqual([
      {
        id: '7',
        paymentNo: 'P1',
        channel: 'wechat',
        source: 'sweeper',
        attempt: null,
        answer: 'PAID',
        detail: 'trade 42, 100 fen, paid …',
        outcome: 'duplicate',
        askedAt: asked,
        answeredAt: answered,
      },
    ]);
  });
});
