import { byAlipayStatus } from './alipay-transfer';
import { readAlipayTransferNotify, TRANSFER_CHANGED_METHOD } from './alipay-transfer-notify';

const APP = '2021000000000001';
const T = { payoutNo: 'P1', amount: 1234, payeeIdentity: '2088000000000001', payeeName: null, title: 't' };

function form(over: Record<string, string | undefined> = {}, biz: Record<string, unknown> = {}): string {
  const fields: Record<string, string | undefined> = {
    notify_id: 'n1',
    utc_timestamp: '1765000000000',
    msg_method: TRANSFER_CHANGED_METHOD,
    app_id: APP,
    version: '1.1',
    charset: 'utf-8',
    sign_type: 'RSA2',
    biz_content: JSON.stringify({
      out_biz_no: 'P1',
      order_id: '20261208110070000006530000014566',
      status: 'SUCCESS',
      trans_amount: '12.34',
      pay_date: '2026-12-08 09:00:00',
      ...biz,
    }),
    sign: 'c2lnbg==',
    ...over,
  };
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) p.append(k, v);
  return p.toString();
}

describe('readAlipayTransferNotify', () => {
  const yes = jest.fn(async () => true);

  it('a verified message: the number, the amount in fen, biz_content camel-cased for byAlipayStatus', async () => {
    const n = await readAlipayTransferNotify(form(), yes, APP);
    expect(n).toEqual({
      ok: true,
      id: 'n1',
      outBizNo: 'P1',
      amount: 1234,
      biz: expect.objectContaining({ outBizNo: 'P1', orderId: '20261208110070000006530000014566' }),
    });
    // the verifier saw every field as decoded, sign included (alipay-sdk drops it itself)
    expect(yes).toHaveBeenCalledWith(expect.objectContaining({ sign: 'c2lnbg==', app_id: APP }));
    if (!n.ok) throw new Error('not ok');
    expect(byAlipayStatus(n.biz, T)).toEqual({
      status: 'SUCCEEDED',
      channelOrderId: '20261208110070000006530000014566',
      succeededAt: new Date('2026-12-08T01:00:00Z'),
    });
  });

  it('the same status mapping as the query: FAIL → FAILED with its code, REFUND → BOUNCED, DEALING → PENDING', async () => {
    const read = async (biz: Record<string, unknown>) => {
      const n = await readAlipayTransferNotify(form({}, biz), yes, APP);
      if (!n.ok) throw new Error(n.reason);
      return byAlipayStatus(n.biz, T).status;
    };
    expect(
      await Promise.all([
        read({ status: 'FAIL', error_code: 'PAYEE_ACCOUNT_ABNORMAL', fail_reason: 'x' }),
        read({ status: 'REFUND', fail_reason: '银行退票' }),
        read({ status: 'DEALING' }),
        read({ status: 'WHATEVER' }),
      ]),
    ).toEqual(['FAILED', 'BOUNCED', 'PENDING', 'UNKNOWN']);
  });

  it.each([
    ['a signature that does not verify', {}, {}, async (): Promise<boolean> => false, /sign does not verify/],
    [
      'a verifier that throws (keys not loaded)',
      {},
      {},
      (): Promise<boolean> => Promise.reject(new Error('k')),
      /sign/,
    ],
    ['no sign', { sign: undefined }, {}, yes, /missing field sign/],
    ['no notify_id', { notify_id: undefined }, {}, yes, /missing field notify_id/],
    ['a field twice', { app_id: `${APP}&app_id=${APP}` }, {}, yes, /duplicate field app_id/],
    ['another message', { msg_method: 'alipay.trade.order.settle.notify' }, {}, yes, /msg_method/],
    ['another app', { app_id: '2021999999999999' }, {}, yes, /app_id 2021999999999999 is not ours/],
    ['biz_content not JSON', { biz_content: '{' }, {}, yes, /not JSON/],
    ['biz_content an array', { biz_content: '[]' }, {}, yes, /not an object/],
    ['no out_biz_no', {}, { out_biz_no: undefined }, yes, /out_biz_no/],
    ['an amount that is not yuan', {}, { trans_amount: '12.345' }, yes, /trans_amount/],
  ] as const)('%s is refused', async (_, over, biz, verify, reason) => {
    const raw = form(over, biz).replace(/%26app_id%3D/, '&app_id=');
    const n = await readAlipayTransferNotify(raw, verify, APP);
    expect(n.ok).toBe(false);
    if (!n.ok) expect(n.reason).toMatch(reason);
  });

  it('a form that does not verify is not read further (another app_id is not even looked at)', async () => {
    const n = await readAlipayTransferNotify(form({ app_id: 'x' }), async () => false, APP);
    expect(n).toEqual({ ok: false, reason: 'sign does not verify' });
  });
});
