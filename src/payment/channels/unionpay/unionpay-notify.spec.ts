import { X509Certificate } from 'node:crypto';
import { ACP_SAMPLE_AT, ACP_SAMPLE_NOTIFY, CFCA_TEST_OCA1, CFCA_TEST_ROOT } from './acp-test-sample';
import { UNIONPAY_TEST_CN } from './unionpay.config';
import { UnionpayNotifyAdapter } from './unionpay-notify';

/** The adapter on the published sample (its merchant configured as ours), keys stubbed. */
function reader(merId = '700000000000001') {
  const keys = {
    get: async () => ({
      trust: {
        root: new X509Certificate(CFCA_TEST_ROOT),
        middle: new X509Certificate(CFCA_TEST_OCA1),
        identities: [UNIONPAY_TEST_CN],
      },
    }),
  };
  return new UnionpayNotifyAdapter(keys as never, { merId } as never);
}
const form = (f: Record<string, string>) => new URLSearchParams(f).toString();

describe('UnionpayNotifyAdapter', () => {
  it('reads a genuine consume notify into one verified paid event (orderId, queryId, integer fen)', async () => {
    const r = await reader().read(form(ACP_SAMPLE_NOTIFY), ACP_SAMPLE_AT);
    expect(r).toEqual({
      ok: true,
      keys: {
        notify_id: '01:201807251037450000267624:181807261119545250028',
        trade_status: '01/00',
        out_trade_no: '201807251037450000267624',
      },
      event: {
        kind: 'paid',
        paymentNo: '201807251037450000267624',
        tradeNo: '181807261119545250028',
        amount: 136,
        paidAt: ACP_SAMPLE_AT,
      },
    });
  });

  it('refuses a tamper, and names another merchant’s validly signed notify as such', async () => {
    const tampered = await reader().read(form({ ...ACP_SAMPLE_NOTIFY, txnAmt: '1360' }), ACP_SAMPLE_AT);
    expect(tampered).toMatchObject({ ok: false, code: 'BAD_SIGNATURE' });
    const other = await reader('777290058110048').read(form(ACP_SAMPLE_NOTIFY), ACP_SAMPLE_AT);
    expect(other).toMatchObject({
      ok: false,
      code: 'WRONG_MERCHANT',
      keys: { out_trade_no: '201807251037450000267624' },
    });
    const garbage = await reader().read('not=a&notify', ACP_SAMPLE_AT);
    expect(garbage).toMatchObject({ ok: false, code: 'BAD_SIGNATURE' });
  });

  it('answers 200 ok only when accepted; 400 refused, 404 unknown orderId, 500 otherwise (UnionPay re-sends)', () => {
    const a = reader();
    expect(a.answer({ outcome: 'DUPLICATE', accept: true })).toEqual({ status: 200, body: 'ok' });
    expect(a.answer({ outcome: 'BAD_SIGNATURE', accept: false })).toEqual({ status: 400, body: 'fail' });
    expect(a.answer({ outcome: 'UNKNOWN_TRADE', accept: false })).toEqual({ status: 404, body: 'fail' });
    expect(a.answer({ outcome: 'ERROR', accept: false })).toEqual({ status: 500, body: 'fail' });
  });

  it('decodes a buffered row again without verifying (it was verified when appended)', () => {
    expect(reader().decode(form(ACP_SAMPLE_NOTIFY))).toMatchObject({
      ok: true,
      event: { kind: 'paid', paymentNo: '201807251037450000267624', amount: 136 },
    });
  });
});
