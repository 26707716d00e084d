import { isPaidStatus, parseNotify } from './alipay-notify';

describe('parseNotify', () => {
  const base = 'notify_id=n1&trade_status=TRADE_SUCCESS&out_trade_no=P1&sign=abc%2B%2F%3D';

  it('decodes form values exactly (%XX and + as space)', () => {
    const { params, error } = parseNotify(`${base}&subject=a+b%25c&fund_bill_list=%5B%7B%22a%22%3A1%7D%5D`);
    expect(error).toBeUndefined();
    expect(params).toMatchObject({ sign: 'abc+/=', subject: 'a b%c', fund_bill_list: '[{"a":1}]' });
  });

  it.each([
    ['a field twice', `${base}&total_amount=1.00&total_amount=2.00`, /duplicate field total_amount/],
    ['no sign', 'notify_id=n1&trade_status=TRADE_SUCCESS&out_trade_no=P1', /missing field sign/],
    ['no notify_id', 'trade_status=TRADE_SUCCESS&out_trade_no=P1&sign=x', /missing field notify_id/],
    ['empty body', '', /missing field/],
  ])('%s is malformed', (_, raw, msg) => {
    expect(parseNotify(raw).error).toMatch(msg);
  });

  it('TRADE_SUCCESS and TRADE_FINISHED are paid; nothing else is', () => {
    expect(
      ['TRADE_SUCCESS', 'TRADE_FINISHED', 'TRADE_CLOSED', 'WAIT_BUYER_PAY', undefined].map(isPaidStatus),
    ).toEqual([true, true, false, false, false]);
  });
});
