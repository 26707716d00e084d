import { createSign, generateKeyPairSync, randomBytes } from 'node:crypto';
import { encryptResource } from './wechat-notify';
import { WechatNotifyAdapter } from './wechat-notify-adapter';

const platform = generateKeyPairSync('rsa', { modulusLength: 2048 });
const KEY_ID = 'PUB_KEY_ID_0119000001092025010100000000000001';
const API_V3_KEY = 'a'.repeat(16) + 'B'.repeat(16);
const NOW = 1_796_000_000;

function notify(resource: object, eventType = 'TRANSACTION.SUCCESS', ts = NOW) {
  const body = JSON.stringify({
    id: 'EV-1',
    create_time: '2026-11-30T20:15:01+08:00',
    resource_type: 'encrypt-resource',
    event_type: eventType,
    resource: encryptResource(
      JSON.stringify(resource),
      API_V3_KEY,
      'fdasflkja484',
      'transaction',
      'transaction',
    ),
  });
  const nonce = randomBytes(8).toString('hex');
  const signature = createSign('RSA-SHA256')
    .update(`${ts}\n${nonce}\n${body}\n`, 'utf8')
    .sign(platform.privateKey, 'base64');
  const headers = {
    'wechatpay-timestamp': String(ts),
    'wechatpay-nonce': nonce,
    'wechatpay-signature': signature,
    'wechatpay-serial': KEY_ID,
  };
  return { body, headers };
}

const transaction = {
  appid: 'wxd678efh567hg6787',
  mchid: '1900000109',
  out_trade_no: 'P1',
  transaction_id: '4200000001',
  trade_state: 'SUCCESS',
  success_time: '2026-11-30T20:15:00+08:00',
  amount: { total: 990 },
};

const adapter = new WechatNotifyAdapter({
  get: async () => ({
    mchid: '1900000109',
    appid: 'wxd678efh567hg6787',
    apiV3Key: API_V3_KEY,
    platformKeys: { [KEY_ID]: platform.publicKey },
  }),
} as never);

describe('WechatNotifyAdapter', () => {
  it('reads TRANSACTION.SUCCESS into a paid event, REFUND.* into refund events (this refund’s amount)', async () => {
    await expect(adapter.read(notify(transaction), NOW)).resolves.toEqual({
      ok: true,
      keys: { notify_id: 'EV-1', trade_status: 'TRANSACTION.SUCCESS', out_trade_no: 'P1' },
      event: {
        kind: 'paid',
        paymentNo: 'P1',
        tradeNo: '4200000001',
        amount: 990,
        paidAt: new Date('2026-11-30T20:15:00+08:00'),
      },
    });
    const refund = { mchid: '1900000109', out_trade_no: 'P1', out_refund_no: 'R1', refund_status: 'CLOSED' };
    const closed = notify({ ...refund, amount: { refund: 40, total: 990 } }, 'REFUND.CLOSED');
    await expect(adapter.read(closed, NOW)).resolves.toMatchObject({
      ok: true,
      event: { kind: 'refund_failed', refundNo: 'R1', paymentNo: 'P1', amount: 40 },
    });
  });

  it('refuses a stale notify as BAD_SIGNATURE (not verified, wire code kept); another mchid is WRONG_MERCHANT', async () => {
    await expect(adapter.read(notify(transaction, undefined, NOW - 301), NOW)).resolves.toMatchObject({
      ok: false,
      code: 'BAD_SIGNATURE',
      verified: false,
      wire: 'STALE_TIMESTAMP',
    });
    await expect(adapter.read(notify({ ...transaction, mchid: '1900000999' }), NOW)).resolves.toMatchObject({
      ok: false,
      code: 'WRONG_MERCHANT',
      verified: true,
      keys: { out_trade_no: 'P1' },
    });
  });

  it.each([
    [{ outcome: 'APPLIED', accept: true }, { status: 204 }],
    [
      { outcome: 'BAD_SIGNATURE', accept: false, refusal: 'STALE_TIMESTAMP' },
      { status: 401, message: 'STALE_TIMESTAMP' },
    ],
    [
      { outcome: 'UNDECRYPTABLE', accept: false, refusal: 'UNDECRYPTABLE' },
      { status: 400, message: 'UNDECRYPTABLE' },
    ],
    [
      { outcome: 'UNKNOWN_TRADE', accept: false },
      { status: 404, message: 'unknown out_trade_no' },
    ],
    [
      { outcome: 'ERROR', accept: false, refusal: 'KEYS_UNAVAILABLE' },
      { status: 503, message: 'keys unavailable' },
    ],
    [
      { outcome: 'MALFORMED', accept: false, problem: { status: 415, message: 'not JSON' } },
      { status: 415, message: 'not JSON' },
    ],
    [
      { outcome: 'ERROR', accept: false },
      { status: 500, message: 'not applied; re-send' },
    ],
  ])('answers %j as %j', (verdict, want) => {
    const a = adapter.answer(verdict);
    expect(a.status).toBe(want.status);
    if ('message' in want)
      expect(a).toEqual({ status: want.status, body: { code: 'FAIL', message: want.message } });
    else expect(a).toEqual({ status: 204 });
  });
});
