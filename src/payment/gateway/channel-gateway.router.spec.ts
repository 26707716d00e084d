import type { ChannelPlugin } from '../channels/channel';
import { ChannelGatewayRouter } from './channel-gateway.router';

const CREATED = new Date('2026-12-07T01:00:00Z');

/** The router over stub plugins and a stubbed payment/refund lookup: which channel gets which call, with what. */
function setup(enabled: string[] = ['alipay', 'wechat', 'unionpay']) {
  const gw = (name: string) => ({
    precreate: jest.fn(async () => ({ ok: true as const, qrCode: name })),
    query: jest.fn(async () => ({ status: 'WAIT_BUYER_PAY' as const })),
    close: jest.fn(async () => ({ status: 'CLOSED' as const })),
    refund: jest.fn(async () => ({ status: 'PROCESSING' as const })),
    refundQuery: jest.fn(async () => ({ status: 'NOT_FOUND' as const })),
    downloadBill: jest.fn(async () => ({
      ok: true as const,
      trades: [{ paymentNo: `${name}-P`, tradeNo: 'T', amount: 1, status: 'SUCCESS', paidAt: null }],
      refunds: [],
    })),
  });
  const gateways = { alipay: gw('alipay'), wechat: gw('wechat'), unionpay: gw('unionpay') };
  const plugins = (Object.keys(gateways) as Array<keyof typeof gateways>).map((c): ChannelPlugin => ({
    channel: c,
    enabled: enabled.includes(c),
    gateway: gateways[c],
  }));
  const channelOf: Record<string, string> = { W: 'wechat', A: 'alipay', U: 'unionpay' };
  const payments = {
    findByPaymentNo: jest.fn(async (_m: unknown, no: string) =>
      channelOf[no[0]]
        ? {
            paymentNo: no,
            channel: channelOf[no[0]],
            amount: 100,
            subject: 's',
            createdAt: CREATED,
            expiresAt: CREATED,
            channelTradeNo: 'Q1',
          }
        : null,
    ),
  };
  const refunds = {
    findByRefundNo: jest.fn(async (_m: unknown, no: string) => ({
      refundNo: no,
      paymentNo: 'U1',
      amount: 40,
      createdAt: CREATED,
      reason: 'r',
    })),
  };
  const alipay = { verifyNotify: jest.fn(async () => true) };
  const router = new ChannelGatewayRouter(plugins, payments as never, refunds as never, alipay as never);
  return { router, gateways, payments, refunds };
}

describe('ChannelGatewayRouter', () => {
  it('hands every call about a payment to its channel with the reference, reading the payment once', async () => {
    const { router, gateways, payments } = setup();
    await router.query('W1');
    await router.close('W1');
    await router.query('A1');
    expect(gateways.wechat.query).toHaveBeenCalledWith(
      expect.objectContaining({ paymentNo: 'W1', createdAt: CREATED }),
    );
    expect(gateways.wechat.close).toHaveBeenCalledWith(expect.objectContaining({ paymentNo: 'W1' }));
    expect(gateways.alipay.query).toHaveBeenCalledWith(expect.objectContaining({ paymentNo: 'A1' }));
    expect(gateways.alipay.query).not.toHaveBeenCalledWith(expect.objectContaining({ paymentNo: 'W1' }));
    expect(payments.findByPaymentNo).toHaveBeenCalledTimes(2);
  });

  it('gives a refund the payment (fresh: its trade number) and the refund reference UnionPay needs', async () => {
    const { router, gateways } = setup();
    await router.refund({ paymentNo: 'U1', refundNo: 'R1', amount: 40, paymentAmount: 100, reason: 'x' });
    expect(gateways.unionpay.refund).toHaveBeenCalledWith(
      expect.objectContaining({ paymentNo: 'U1', channelTradeNo: 'Q1', createdAt: CREATED }),
      expect.objectContaining({ refundNo: 'R1', amount: 40, createdAt: CREATED }),
    );
  });

  it('refunds (UNKNOWN, never a guess) a payment it does not know or of a disabled channel', async () => {
    const { router, gateways } = setup(['alipay']);
    await expect(router.query('X1')).resolves.toMatchObject({ status: 'UNKNOWN' });
    await expect(router.query('W1')).resolves.toEqual({
      status: 'UNKNOWN',
      reason: 'channel wechat is not enabled',
    });
    await expect(router.close('U1')).resolves.toMatchObject({ status: 'UNKNOWN' });
    await expect(
      router.precreate({ paymentNo: 'W2', amount: 1, subject: 's', expiresAt: CREATED }),
    ).resolves.toMatchObject({ ok: false });
    expect(gateways.wechat.query).not.toHaveBeenCalled();
    expect(gateways.alipay.query).not.toHaveBeenCalled();
  });

  it('merges the enabled channels’ bills, and fails the whole bill when one channel’s fails', async () => {
    const { router, gateways } = setup();
    const bill = await router.downloadBill('2026-11-30');
    expect(bill.ok && bill.trades.map((t) => t.channel)).toEqual(['alipay', 'wechat', 'unionpay']);
    gateways.wechat.downloadBill.mockResolvedValueOnce({ ok: false, reason: 'HTTP 500' } as never);
    await expect(router.downloadBill('2026-11-30')).resolves.toEqual({
      ok: false,
      reason: 'wechat: HTTP 500',
    });
    const alipayOnly = setup(['alipay']);
    const b2 = await alipayOnly.router.downloadBill('2026-11-30');
    expect(b2.ok && b2.trades.map((t) => t.paymentNo)).toEqual(['alipay-P']);
    expect(alipayOnly.gateways.wechat.downloadBill).not.toHaveBeenCalled();
  });
});
