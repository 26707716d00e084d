import { createSign, generateKeyPairSync, randomBytes } from 'node:crypto';
import { encryptResource } from '../payment/channels/wechat/wechat-notify';
import { WechatCallbackService } from './wechat-callback.service';

/**
 * The rules of the WeChat notify with every collaborator stubbed (test/callback-channels.e2e-spec.ts and
 * test/wechat-callback.e2e-spec.ts prove the same over HTTP on real MySQL): the order of the checks, what
 * each refusal answers and logs, and which apply function each event reaches.
 */
const platform = generateKeyPairSync('rsa', { modulusLength: 2048 });
const KEY_ID = 'PUB_KEY_ID_0119000001092026113000000000000001';
const API_V3_KEY = 'k'.repeat(16) + 'K'.repeat(16);
const nowSec = () => Math.floor(Date.now() / 1000);

function signed(body: string, ts = nowSec(), key = platform.privateKey) {
  const nonce = randomBytes(16).toString('hex');
  return {
    'wechatpay-timestamp': String(ts),
    'wechatpay-nonce': nonce,
    'wechatpay-signature': createSign('RSA-SHA256').update(`${ts}\n${nonce}\n${body}\n`).sign(key, 'base64'),
    'wechatpay-serial': KEY_ID,
  };
}

const transaction = (over: object = {}) => ({
  appid: 'wxd678efh567hg6787',
  mchid: '1900000109',
  out_trade_no: 'O1P01',
  transaction_id: '4200000000202611300000000001',
  trade_state: 'SUCCESS',
  success_time: '2026-11-30T20:15:00+08:00',
  amount: { total: 990, payer_total: 990, currency: 'CNY', payer_currency: 'CNY' },
  ...over,
});
const refund = (over: object = {}) => ({
  mchid: '1900000109',
  out_trade_no: 'O1P01',
  out_refund_no: 'R1',
  refund_id: '50300000000000000001',
  refund_status: 'SUCCESS',
  amount: { total: 990, refund: 500, payer_total: 990, payer_refund: 500 },
  ...over,
});

function body(plain: object, eventType = 'TRANSACTION.SUCCESS', key = API_V3_KEY): string {
  return JSON.stringify({
    id: 'EV-1',
    create_time: '2026-11-30T20:15:01+08:00',
    resource_type: 'encrypt-resource',
    event_type: eventType,
    resource: encryptResource(JSON.stringify(plain), key, 'abcdefabcdef', 'transaction', 'transaction'),
  });
}

function setup(
  opts: {
    payment?: object | null;
    refund?: object | null;
    apply?: () => Promise<unknown>;
    keys?: () => Promise<unknown>;
  } = {},
) {
  const m = { tag: 'tx' };
  const payment =
    opts.payment === null
      ? null
      : {
          paymentNo: 'O1P01',
          orderNo: 'O1',
          channel: 'wechat',
          amount: 990,
          status: 'PENDING',
          ...opts.payment,
        };
  const log = { insertReceipt: jest.fn(async (..._args: unknown[]) => '1') };
  const payments = {
    findByPaymentNo: jest.fn(async () => payment),
    recordAnomaly: jest.fn(async () => undefined),
  };
  type Apply = (
    input: unknown,
    o: { journal: (mm: unknown, r: unknown) => Promise<void> },
  ) => Promise<unknown>;
  const success = {
    apply: jest.fn<ReturnType<Apply>, Parameters<Apply>>(
      opts.apply ??
        (async (_input: unknown, o: { journal: (mm: unknown, r: unknown) => Promise<void> }) => {
          await o.journal(m, { outcome: 'applied' });
          return { outcome: 'applied', order: 'PAID' };
        }),
    ),
  };
  const refunds = {
    findByRefundNo: jest.fn(async () =>
      opts.refund === null
        ? null
        : { refundNo: 'R1', paymentNo: 'O1P01', amount: 500, status: 'PENDING', ...opts.refund },
    ),
  };
  const refundApply = {
    applySucceeded: jest.fn(async () => 'applied'),
    fail: jest.fn(async () => 'failed'),
  };
  const keys = {
    get:
      opts.keys ??
      (async () => ({
        mchid: '1900000109',
        appid: 'wxd678efh567hg6787',
        apiV3Key: API_V3_KEY,
        platformKeys: { [KEY_ID]: platform.publicKey },
      })),
  };
  const metrics = { counter: () => ({ inc: () => undefined }) };
  const svc = new WechatCallbackService(
    keys as never,
    log as never,
    payments as never,
    success as never,
    refunds as never,
    refundApply as never,
    { refusedLogBytes: 64 } as never,
    metrics as never,
  );
  const outcomes = () => log.insertReceipt.mock.calls.map((c) => c[4]);
  return { svc, m, log, payments, success, refunds, refundApply, outcomes };
}

describe('WechatCallbackService (collaborators stubbed)', () => {
  it('keys that do not load: 503 FAIL (re-sent), logged cut and unverified, never a 500 storing the body', async () => {
    const s = setup({
      keys: async () => {
        throw new Error('WECHAT_PLATFORM_PUBLIC_KEY is not configured');
      },
    });
    const b = body(transaction()) + ' '.repeat(15000);
    expect(await s.svc.receive(signed(b), b)).toEqual({
      status: 503,
      body: { code: 'FAIL', message: 'keys unavailable' },
    });
    const [, , raw, , outcome, opts] = s.log.insertReceipt.mock.calls[0];
    expect((raw as string).length).toBe(64);
    expect(outcome).toBe('ERROR');
    expect(opts).toMatchObject({ verified: false, done: false });
    expect(s.success.apply).not.toHaveBeenCalled();
  });

  it('two platform keys (a switch): a notify signed with either verifies, chosen by Wechatpay-Serial', async () => {
    const second = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const SERIAL_2 = '5157F09EFDC096DE15EBE81A47057A7232F1B8E1';
    const s = setup({
      keys: async () => ({
        mchid: '1900000109',
        appid: 'wxd678efh567hg6787',
        apiV3Key: API_V3_KEY,
        platformKeys: { [KEY_ID]: platform.publicKey, [SERIAL_2]: second.publicKey },
      }),
    });
    const b = body(transaction());
    expect(await s.svc.receive(signed(b), b)).toEqual({ status: 204 });
    const by2 = { ...signed(b, nowSec(), second.privateKey), 'wechatpay-serial': SERIAL_2 };
    expect(await s.svc.receive(by2, b)).toEqual({ status: 204 });
    // the second key's signature under the first key's serial does not verify
    const crossed = signed(b, nowSec(), second.privateKey);
    expect((await s.svc.receive(crossed, b)).status).toBe(401);
    expect(s.success.apply).toHaveBeenCalledTimes(2);
  });

  it('a paid transaction: the one success path with channel wechat, the log row in its transaction, 204', async () => {
    const s = setup();
    const b = body(transaction());
    expect(await s.svc.receive(signed(b), b)).toEqual({ status: 204 });
    expect(s.success.apply).toHaveBeenCalledWith(
      expect.objectContaining({
        paymentNo: 'O1P01',
        channel: 'wechat',
        channelTradeNo: '4200000000202611300000000001',
        amount: 990,
        source: 'callback',
      }),
      expect.anything(),
    );
    expect(s.log.insertReceipt).toHaveBeenCalledTimes(1);
    expect(s.log.insertReceipt.mock.calls[0][0]).toBe(s.m); // inside the apply's transaction
    expect(s.outcomes()).toEqual(['APPLIED']);
  });

  it('a forged or replayed notify is refused (401) before anything is decrypted or read', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const b = body(transaction());
    for (const h of [signed(b, nowSec(), other.privateKey), signed(b, nowSec() - 301), {}]) {
      const s = setup();
      const a = await s.svc.receive(h, b);
      expect(a.status).toBe(401);
      expect(s.payments.findByPaymentNo).not.toHaveBeenCalled();
      expect(s.success.apply).not.toHaveBeenCalled();
      expect(s.outcomes()).toEqual(['BAD_SIGNATURE']);
      // logged unverified and cut to CALLBACK_REFUSED_LOG_BYTES
      expect(String(s.log.insertReceipt.mock.calls[0][2]).length).toBe(64);
    }
  });

  it('an undecryptable resource is 400 UNDECRYPTABLE, logged whole (the signature was good)', async () => {
    const s = setup();
    const b = body(transaction(), 'TRANSACTION.SUCCESS', 'x'.repeat(32));
    expect(await s.svc.receive(signed(b), b)).toEqual({
      status: 400,
      body: { code: 'FAIL', message: 'UNDECRYPTABLE' },
    });
    expect(s.outcomes()).toEqual(['UNDECRYPTABLE']);
    expect(s.log.insertReceipt.mock.calls[0][2]).toBe(b);
    expect(s.success.apply).not.toHaveBeenCalled();
  });

  it('an unknown out_trade_no is 404 (re-sent); an already SUCCESS payment is 204 with no write', async () => {
    const u = setup({ payment: null });
    const b = body(transaction());
    expect((await u.svc.receive(signed(b), b)).status).toBe(404);
    expect(u.outcomes()).toEqual(['UNKNOWN_TRADE']);
    const d = setup({ payment: { status: 'SUCCESS' } });
    expect(await d.svc.receive(signed(b), b)).toEqual({ status: 204 });
    expect(d.log.insertReceipt).not.toHaveBeenCalled();
    expect(d.success.apply).not.toHaveBeenCalled();
  });

  it('an amount mismatch is acknowledged and logged AMOUNT_MISMATCH; a failed apply is 500 FAIL (re-sent)', async () => {
    const a = setup({ apply: async () => ({ outcome: 'anomaly', anomaly: 'AMOUNT_MISMATCH' }) });
    const b = body(transaction());
    expect(await a.svc.receive(signed(b), b)).toEqual({ status: 204 });
    expect(a.outcomes()).toEqual(['AMOUNT_MISMATCH']);
    const e = setup({
      apply: async () => {
        throw new Error('database down');
      },
    });
    expect(await e.svc.receive(signed(b), b)).toEqual({
      status: 500,
      body: { code: 'FAIL', message: 'not applied; re-send' },
    });
    expect(e.outcomes()).toEqual(['ERROR']);
  });

  it('a log row that cannot be written turns the answer into 500 (the raw body is never lost)', async () => {
    const s = setup({ payment: null });
    s.log.insertReceipt.mockRejectedValue(new Error('disk full'));
    const b = body(transaction());
    expect((await s.svc.receive(signed(b), b)).status).toBe(500);
  });

  it('REFUND.SUCCESS → applySucceeded with the reported amount; REFUND.CLOSED → fail; an unknown refund → anomaly', async () => {
    const ok = setup();
    const b = body(refund(), 'REFUND.SUCCESS');
    expect(await ok.svc.receive(signed(b), b)).toEqual({ status: 204 });
    expect(ok.refundApply.applySucceeded).toHaveBeenCalledWith('R1', 'notify', 'wechat', 500);
    expect(ok.outcomes()).toEqual(['REFUND_APPLIED']);
    expect(ok.success.apply).not.toHaveBeenCalled();

    const closed = setup();
    const c = body(refund({ refund_status: 'CLOSED' }), 'REFUND.CLOSED');
    expect(await closed.svc.receive(signed(c), c)).toEqual({ status: 204 });
    expect(closed.refundApply.fail).toHaveBeenCalledWith('R1', 'gateway notify REFUND.CLOSED', 'wechat');
    expect(closed.outcomes()).toEqual(['REFUND_FAILED']);

    const unknown = setup({ refund: null });
    expect(await unknown.svc.receive(signed(b), b)).toEqual({ status: 204 });
    expect(unknown.payments.recordAnomaly).toHaveBeenCalledWith(
      null,
      'O1P01',
      'UNKNOWN_REFUND',
      expect.any(String),
      { once: true },
    );
    expect(unknown.refundApply.applySucceeded).not.toHaveBeenCalled();
  });
});
