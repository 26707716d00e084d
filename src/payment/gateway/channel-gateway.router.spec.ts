import { ChannelGatewayRouter } from './channel-gateway.router';

/** The router with both gateways and the payment lookup stubbed: which gateway gets which call. */
function setup(channels: string[] = ['alipay', 'wechat', 'wallet']) {
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
    verifyNotify: jest.fn(async () => true),
  });
  const alipay = gw('alipay');
  const wechat = gw('wechat');
  const payments = {
    findByPaymentNo: jest.fn(async (_m: unknown, no: string) =>
      no.startsWith('W') ? { channel: 'wechat' } : no.startsWith('A') ? { channel: 'alipay' } : null,
    ),
  };
  const router = new ChannelGatewayRouter(
    alipay as never,
    wechat as never,
    payments as never,
    {
      channels,
    } as never,
  );
  return { router, alipay, wechat, payments };
}

describe('ChannelGatewayRouter', () => {
  it('sends every call about a payment to its channel, reading the channel once', async () => {
    const { router, alipay, wechat, payments } = setup();
    await router.query('W1');
    await router.close('W1');
    await router.refund({ paymentNo: 'W1', refundNo: 'R', amount: 1, paymentAmount: 1, reason: 'x' });
    await router.query('A1');
    expect(wechat.query).toHaveBeenCalledWith('W1');
    expect(wechat.close).toHaveBeenCalledWith('W1');
    expect(wechat.refund).toHaveBeenCalled();
    expect(alipay.query).toHaveBeenCalledWith('A1');
    expect(alipay.query).not.toHaveBeenCalledWith('W1');
    expect(payments.findByPaymentNo).toHaveBeenCalledTimes(2);
  });

  it('asks Alipay about a payment it does not know (a stray bill line), and does not remember it', async () => {
    const { router, alipay, payments } = setup();
    await router.query('X1');
    await router.query('X1');
    expect(alipay.query).toHaveBeenCalledTimes(2);
    expect(payments.findByPaymentNo).toHaveBeenCalledTimes(2);
  });

  it('merges the enabled channels’ bills, and fails the whole bill when one channel’s fails', async () => {
    const { router, wechat } = setup();
    const bill = await router.downloadBill('2026-11-30');
    expect(bill.ok && bill.trades.map((t) => t.paymentNo)).toEqual(['alipay-P', 'wechat-P']);
    // each line says whose bill it came from (reconciliation pays a payment only with its channel's line)
    expect(bill.ok && bill.trades.map((t) => t.channel)).toEqual(['alipay', 'wechat']);
    wechat.downloadBill.mockResolvedValueOnce({ ok: false, reason: 'HTTP 500' } as never);
    await expect(router.downloadBill('2026-11-30')).resolves.toEqual({
      ok: false,
      reason: 'wechat: HTTP 500',
    });
    const alipayOnly = setup(['alipay', 'wallet']);
    const b2 = await alipayOnly.router.downloadBill('2026-11-30');
    expect(b2.ok && b2.trades.map((t) => t.paymentNo)).toEqual(['alipay-P']);
    expect(alipayOnly.wechat.downloadBill).not.toHaveBeenCalled();
  });
});
