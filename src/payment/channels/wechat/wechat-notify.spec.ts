import { createCipheriv, createSign, generateKeyPairSync, randomBytes } from 'node:crypto';
import { checkSignature, decryptResource, encryptResource, WechatNotifyReader } from './wechat-notify';
import { parseTradeBill } from './wechat.gateway';

const platform = generateKeyPairSync('rsa', { modulusLength: 2048 });
const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
const KEY_ID = 'PUB_KEY_ID_0119000001092025010100000000000001';
const API_V3_KEY = 'a'.repeat(16) + 'B'.repeat(16);
const NOW = 1_796_000_000;

const sign = (text: string, key = platform.privateKey) =>
  createSign('RSA-SHA256').update(text, 'utf8').sign(key, 'base64');

function headers(body: string, ts = NOW, key = platform.privateKey, serial = KEY_ID) {
  const nonce = randomBytes(16).toString('hex');
  return {
    'wechatpay-timestamp': String(ts),
    'wechatpay-nonce': nonce,
    'wechatpay-signature': sign(`${ts}\n${nonce}\n${body}\n`, key),
    'wechatpay-serial': serial,
  };
}

const transaction = {
  appid: 'wxd678efh567hg6787',
  mchid: '1900000109',
  out_trade_no: '20261130P0001',
  transaction_id: '4200000000202611300000000001',
  trade_type: 'NATIVE',
  trade_state: 'SUCCESS',
  trade_state_desc: '支付成功',
  success_time: '2026-11-30T20:15:00+08:00',
  payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' },
  amount: { total: 990, payer_total: 990, currency: 'CNY', payer_currency: 'CNY' },
};

function notifyBody(resourcePlain: object, eventType = 'TRANSACTION.SUCCESS', key = API_V3_KEY): string {
  return JSON.stringify({
    id: 'EV-2018022511223320873',
    create_time: '2026-11-30T20:15:01+08:00',
    resource_type: 'encrypt-resource',
    event_type: eventType,
    summary: '支付成功',
    resource: encryptResource(
      JSON.stringify(resourcePlain),
      key,
      'fdasflkja484',
      'transaction',
      'transaction',
    ),
  });
}

const reader = new WechatNotifyReader(() => ({
  mchid: '1900000109',
  appid: 'wxd678efh567hg6787',
  apiV3Key: API_V3_KEY,
  platformKeys: { [KEY_ID]: platform.publicKey },
}));

describe('AEAD_AES_256_GCM resource', () => {
  it('decrypts what node:crypto encrypted directly (tag = last 16 bytes, iv = nonce, aad = associated_data)', () => {
    const nonce = 'A1b2C3d4E5f6';
    const aad = 'certificate';
    const c = createCipheriv('aes-256-gcm', API_V3_KEY, nonce).setAAD(Buffer.from(aad));
    const ct = Buffer.concat([c.update('{"hello":"微信"}', 'utf8'), c.final(), c.getAuthTag()]).toString(
      'base64',
    );
    expect(
      decryptResource(
        { algorithm: 'AEAD_AES_256_GCM', ciphertext: ct, nonce, associated_data: aad },
        API_V3_KEY,
      ),
    ).toBe('{"hello":"微信"}');
  });

  it.each([
    ['wrong key', (r: Record<string, string>) => r, 'z'.repeat(32)],
    ['wrong aad', (r: Record<string, string>) => ({ ...r, associated_data: 'x' }), API_V3_KEY],
    ['wrong nonce', (r: Record<string, string>) => ({ ...r, nonce: 'aaaaaaaaaaaa' }), API_V3_KEY],
    ['flipped byte', (r: Record<string, string>) => ({ ...r, ciphertext: flip(r.ciphertext) }), API_V3_KEY],
    ['other algorithm', (r: Record<string, string>) => ({ ...r, algorithm: 'AES_128_CBC' }), API_V3_KEY],
    ['too short', (r: Record<string, string>) => ({ ...r, ciphertext: 'AAAA' }), API_V3_KEY],
  ])('%s → null', (_name, change, key) => {
    const r = encryptResource('{"a":1}', API_V3_KEY, 'n0n0n0n0n0n0', 'transaction', 'transaction');
    expect(decryptResource(change(r as unknown as Record<string, string>), key)).toBeNull();
  });
});

function flip(b64: string): string {
  const b = Buffer.from(b64, 'base64');
  b[0] ^= 1;
  return b.toString('base64');
}

describe('checkSignature', () => {
  const body = '{"code_url":"weixin://wxpay/bizpayurl/up?pr=NwY5Mz9&groupid=00"}';

  it('accepts the platform signature over timestamp\\nnonce\\nbody\\n', () => {
    expect(checkSignature(headers(body), body, { [KEY_ID]: platform.publicKey }, NOW)).toEqual({ ok: true });
  });

  it('accepts an empty body (204 close answers are signed too)', () => {
    expect(checkSignature(headers(''), '', { [KEY_ID]: platform.publicKey }, NOW)).toEqual({ ok: true });
  });

  it.each([
    ['another key', () => headers(body, NOW, other.privateKey), body, 'BAD_SIGNATURE'],
    ['a changed body', () => headers(body), body.replace('NwY5', 'NwY6'), 'BAD_SIGNATURE'],
    ['301 s old (replay)', () => headers(body, NOW - 301), body, 'STALE_TIMESTAMP'],
    ['301 s ahead', () => headers(body, NOW + 301), body, 'STALE_TIMESTAMP'],
    [
      'an unknown serial',
      () => headers(body, NOW, platform.privateKey, 'PUB_KEY_ID_X'),
      body,
      'UNKNOWN_SERIAL',
    ],
    ['no headers', () => ({}), body, 'MISSING_HEADERS'],
  ])('refuses %s', (_name, h, received, code) => {
    expect(checkSignature(h(), received, { [KEY_ID]: platform.publicKey }, NOW)).toMatchObject({
      ok: false,
      code,
    });
  });

  it('accepts the edges of the window (±300 s)', () => {
    const keys = { [KEY_ID]: platform.publicKey };
    expect(checkSignature(headers(body, NOW - 300), body, keys, NOW).ok).toBe(true);
    expect(checkSignature(headers(body, NOW + 300), body, keys, NOW).ok).toBe(true);
  });
});

describe('WechatNotifyReader', () => {
  it('reads a signed, encrypted TRANSACTION.SUCCESS', async () => {
    const body = notifyBody(transaction);
    await expect(reader.read(headers(body), body, NOW)).resolves.toEqual({
      ok: true,
      id: 'EV-2018022511223320873',
      eventType: 'TRANSACTION.SUCCESS',
      transaction: {
        appid: 'wxd678efh567hg6787',
        mchid: '1900000109',
        outTradeNo: '20261130P0001',
        transactionId: '4200000000202611300000000001',
        tradeState: 'SUCCESS',
        total: 990,
        successTime: new Date('2026-11-30T12:15:00Z'),
      },
    });
  });

  it('reads a REFUND.SUCCESS', async () => {
    const body = notifyBody(
      {
        mchid: '1900000109',
        out_trade_no: '20261130P0001',
        transaction_id: '4200000000202611300000000001',
        out_refund_no: '20261130R0001',
        refund_id: '50000000382019052709732678859',
        refund_status: 'SUCCESS',
        success_time: '2026-11-30T20:20:00+08:00',
        amount: { total: 990, refund: 300, payer_total: 990, payer_refund: 300 },
      },
      'REFUND.SUCCESS',
    );
    await expect(reader.read(headers(body), body, NOW)).resolves.toMatchObject({
      ok: true,
      eventType: 'REFUND.SUCCESS',
      refund: { outRefundNo: '20261130R0001', refundStatus: 'SUCCESS', refund: 300, total: 990 },
    });
  });

  it('checks the signature before decrypting (a forged notify is never opened)', async () => {
    const body = notifyBody(transaction, 'TRANSACTION.SUCCESS', 'z'.repeat(32));
    await expect(reader.read(headers(body, NOW, other.privateKey), body, NOW)).resolves.toMatchObject({
      ok: false,
      code: 'BAD_SIGNATURE',
    });
  });

  it.each([
    ['a replayed old timestamp', () => notifyBody(transaction), NOW - 3600, 'STALE_TIMESTAMP'],
    [
      'an undecryptable resource',
      () => notifyBody(transaction, 'TRANSACTION.SUCCESS', 'z'.repeat(32)),
      NOW,
      'UNDECRYPTABLE',
    ],
    ['another merchant', () => notifyBody({ ...transaction, mchid: '1900000999' }), NOW, 'WRONG_MERCHANT'],
    ['another app', () => notifyBody({ ...transaction, appid: 'wx0000000000000000' }), NOW, 'WRONG_MERCHANT'],
    ['a fractional amount', () => notifyBody({ ...transaction, amount: { total: 9.9 } }), NOW, 'MALFORMED'],
    ['an unknown event', () => notifyBody(transaction, 'TRANSACTION.CLOSED'), NOW, 'UNKNOWN_EVENT'],
    ['a non-JSON body', () => 'not json', NOW, 'MALFORMED'],
  ])('refuses %s', async (_name, build, ts, code) => {
    const body = build();
    await expect(reader.read(headers(body, ts), body, NOW)).resolves.toMatchObject({ ok: false, code });
  });
});

describe('parseTradeBill', () => {
  const head =
    '交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注';
  const line = (state: string, no: string, yuan: string) =>
    [
      '2026-11-30 20:15:00',
      'wxd678efh567hg6787',
      '1900000109',
      '0',
      '',
      `42000${no}`,
      no,
      'oUp',
      'NATIVE',
      state,
      'OTHERS',
      'CNY',
      yuan,
      '0.00',
      state === 'REFUND' ? '5000' : '0',
      state === 'REFUND' ? 'R1' : '0',
      state === 'REFUND' ? '3.00' : '0.00',
      '0.00',
      '',
      '',
      'goods',
      '',
      '0.06',
      '0.60%',
      yuan,
      '0.00',
      '',
    ]
      .map((c) => `\`${c}`)
      .join(',');

  it('reads the SUCCESS lines as paid trades, amounts in fen', () => {
    const csv = `\uFEFF${head}\n${line('SUCCESS', 'P1', '9.90')}\n${line('REFUND', 'P1', '9.90')}\n${line('SUCCESS', 'P2', '0.01')}\n总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\n\`2,\`9.91,\`3.00,\`0.00,\`0.06,\`9.91,\`3.00\n`;
    expect(parseTradeBill(csv)).toEqual({
      ok: true,
      refunds: [
        { paymentNo: 'P1', refundNo: 'R1', amount: 300, refundedAt: new Date('2026-11-30T12:15:00Z') },
      ],
      trades: [
        {
          paymentNo: 'P1',
          tradeNo: '42000P1',
          amount: 990,
          status: 'SUCCESS',
          paidAt: new Date('2026-11-30T12:15:00Z'),
        },
        {
          paymentNo: 'P2',
          tradeNo: '42000P2',
          amount: 1,
          status: 'SUCCESS',
          paidAt: new Date('2026-11-30T12:15:00Z'),
        },
      ],
    });
  });
});
