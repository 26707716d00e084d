import { AlipayRequestError } from 'alipay-sdk';
import { AlipayGateway } from './alipay.gateway';
import { PaymentKeysProvider } from './payment-keys.provider';

/** The refund mapping of the Alipay client, with alipay-sdk's exec stubbed (answers as the SDK returns them). */
describe('AlipayGateway refunds (SDK stubbed)', () => {
  const cfg = {
    appId: 'app',
    gatewayUrl: 'http://x/gateway.do',
    timeoutMs: 1000,
    notifyUrl: 'http://n',
  };
  let exec: jest.Mock;
  let gw: AlipayGateway;

  beforeEach(() => {
    exec = jest.fn();
    gw = new AlipayGateway({} as PaymentKeysProvider, cfg as never);
    (gw as unknown as { sdk: unknown }).sdk = { exec };
  });

  const refund = () =>
    gw.refund({ paymentNo: 'P1', refundNo: 'R1', amount: 1234, paymentAmount: 5000, reason: 'why' });
  const query = () => gw.refundQuery({ paymentNo: 'P1', refundNo: 'R1' });

  it('refund: sends yuan, the refund number and validateSign: true', async () => {
    exec.mockResolvedValue({ code: '10000', msg: 'Success', fundChange: 'Y', outTradeNo: 'P1' });
    await refund();
    expect(exec).toHaveBeenCalledWith(
      'alipay.trade.refund',
      {
        bizContent: {
          out_trade_no: 'P1',
          out_request_no: 'R1',
          refund_amount: '12.34',
          refund_reason: 'why',
        },
      },
      { validateSign: true },
    );
  });

  it('refund: the notify URL override travels as a common param', async () => {
    exec.mockResolvedValue({ code: '10000', fundChange: 'Y' });
    await gw.refund({
      paymentNo: 'P1',
      refundNo: 'R1',
      amount: 5,
      paymentAmount: 5,
      reason: 'r',
      notifyUrl: 'http://rx',
    });
    expect(exec.mock.calls[0][1]).toMatchObject({
      notifyUrl: 'http://rx',
      bizContent: { refund_amount: '0.05' },
    });
  });

  it.each([
    [
      { code: '10000', fundChange: 'Y', gmtRefundPay: '2026-01-02 03:04:05' },
      { status: 'SUCCEEDED', refundedAt: new Date('2026-01-01T19:04:05Z') },
    ],
    [
      { code: '10000', fundChange: 'Y' },
      { status: 'SUCCEEDED', refundedAt: null },
    ],
    [{ code: '10000', fundChange: 'N', refundFee: '12.34' }, { status: 'PROCESSING' }],
    [{ code: '10000' }, { status: 'UNKNOWN', reason: 'fund_change undefined' }],
    [
      { code: '10000', fundChange: 'Y', outTradeNo: 'OTHER' },
      { status: 'UNKNOWN', reason: 'answer for OTHER' },
    ],
    [
      {
        code: '40004',
        msg: 'Business Failed',
        subCode: 'ACQ.REFUND_AMT_NOT_EQUAL_TOTAL',
        subMsg: 'too much',
      },
      {
        status: 'FAILED',
        code: 'ACQ.REFUND_AMT_NOT_EQUAL_TOTAL',
        reason: '40004 Business Failed ACQ.REFUND_AMT_NOT_EQUAL_TOTAL too much',
      },
    ],
    [
      { code: '40004', subCode: 'ACQ.TRADE_STATUS_ERROR' },
      { status: 'FAILED', code: 'ACQ.TRADE_STATUS_ERROR', reason: '40004 ACQ.TRADE_STATUS_ERROR' },
    ],
    [
      { code: '40004', subCode: 'ACQ.SYSTEM_ERROR' },
      { status: 'UNKNOWN', reason: '40004 ACQ.SYSTEM_ERROR' },
    ],
    [{ code: '40004' }, { status: 'UNKNOWN', reason: '40004' }],
    [
      { code: '20000', subCode: 'isp.unknow-error' },
      { status: 'UNKNOWN', reason: '20000 isp.unknow-error' },
    ],
    [
      { code: '40002', subCode: 'isv.invalid-signature' },
      { status: 'UNKNOWN', reason: '40002 isv.invalid-signature' },
    ],
  ])('refund answer %j → %j', async (answer, expected) => {
    exec.mockResolvedValue(answer);
    expect(await refund()).toEqual(expected);
  });

  it.each([
    ['a timeout / transport error', new AlipayRequestError('HTTP request error: timeout')],
    ['a bad response signature', new AlipayRequestError('验签失败')],
    ['a missing signature', new TypeError('sign missing')],
  ])('refund: %s → UNKNOWN', async (_, err) => {
    exec.mockRejectedValue(err);
    expect(await refund()).toEqual({ status: 'UNKNOWN', reason: expect.any(String) });
  });

  it('refund query: asks for gmt_refund_pay, with validateSign: true', async () => {
    exec.mockResolvedValue({ code: '10000' });
    await query();
    expect(exec).toHaveBeenCalledWith(
      'alipay.trade.fastpay.refund.query',
      { bizContent: { out_trade_no: 'P1', out_request_no: 'R1', query_options: ['gmt_refund_pay'] } },
      { validateSign: true },
    );
  });

  it.each([
    [
      {
        code: '10000',
        outTradeNo: 'P1',
        outRequestNo: 'R1',
        refundAmount: '12.34',
        refundStatus: 'REFUND_SUCCESS',
        gmtRefundPay: '2026-01-02 03:04:05',
      },
      { status: 'SUCCEEDED', amount: 1234, refundedAt: new Date('2026-01-01T19:04:05Z') },
    ],
    [
      { code: '10000', refundAmount: '0.5' },
      { status: 'SUCCEEDED', amount: 50, refundedAt: null },
    ],
    [{ code: '10000', outTradeNo: 'P1', outRequestNo: 'R1' }, { status: 'NOT_FOUND' }],
    [{ code: '10000', refundAmount: '' }, { status: 'NOT_FOUND' }],
    [{ code: '40004', subCode: 'ACQ.TRADE_NOT_EXIST' }, { status: 'NOT_FOUND' }],
    [
      { code: '10000', refundAmount: '1.234' },
      { status: 'UNKNOWN', reason: 'malformed refund_amount "1.234"' },
    ],
    [
      { code: '10000', refundAmount: '1.00', refundStatus: 'REFUND_FAIL' },
      { status: 'UNKNOWN', reason: 'refund_status "REFUND_FAIL"' },
    ],
    [
      { code: '10000', refundAmount: '1.00', outRequestNo: 'R2' },
      { status: 'UNKNOWN', reason: 'answer for undefined/R2' },
    ],
    [
      { code: '40004', subCode: 'ACQ.SYSTEM_ERROR' },
      { status: 'UNKNOWN', reason: '40004 ACQ.SYSTEM_ERROR' },
    ],
    [{ code: '20000' }, { status: 'UNKNOWN', reason: '20000' }],
  ])('refund query answer %j → %j', async (answer, expected) => {
    exec.mockResolvedValue(answer);
    expect(await query()).toEqual(expected);
  });

  it('refund query: a timeout → UNKNOWN', async () => {
    exec.mockRejectedValue(new AlipayRequestError('timeout'));
    expect(await query()).toEqual({ status: 'UNKNOWN', reason: expect.stringContaining('timeout') });
  });
});
