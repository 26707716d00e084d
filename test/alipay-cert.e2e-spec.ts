import { getQueueToken } from '@nestjs/bull';
import type { AlipaySdk } from 'alipay-sdk';
import type { Queue } from 'bull';
import { randomUUID } from 'node:crypto';
import { QUEUES } from '../src/common/queue/queue.constants';
import { alipayConfig } from '../src/payment/channels/alipay/alipay.config';
import { alipayCertSn, alipayRootCertSn } from '../src/payment/channels/alipay/alipay.certs';
import { AlipayGateway } from '../src/payment/channels/alipay/alipay.gateway';
import { AlipayTransferClient } from '../src/payment/channels/alipay/alipay-transfer';
import { GatewayKeys, PaymentKeysProvider } from '../src/payment/channels/alipay/payment-keys.provider';
import { PayoutSettleService } from '../src/payment/payout/payout-settle.service';
import { rsaSign, signContent } from '../src/sandbox/sandbox-crypto';
import { testCert } from './factories/alipay-certs';
import { eventually, newUserId } from './factories/order.factory';
import { seedWallet } from './ledger-helpers';
import { newOrder, orderStatus, prepay, sandboxPay } from './payment-helpers';
import { createTestApp, TestApp } from './utils/test-app';

/**
 * Alipay's public-key-certificate mode (issue 26) against the sandbox, which issues its own test CA, app
 * certificate and Alipay certificate and checks app_cert_sn / alipay_root_cert_sn on every request; with
 * SANDBOX_ALIPAY_FUND_CERT_MODE its fund APIs refuse public-key mode, as production Alipay's do.
 */
describe('Alipay certificate mode (real MySQL + Redis, the sandbox as Alipay)', () => {
  let a: TestApp;
  const env = {
    PAYMENT_CHANNELS: 'alipay,wallet',
    ALIPAY_CERT_MODE: 'true',
    SANDBOX_ALIPAY_FUND_CERT_MODE: 'true',
    ALIPAY_TIMEOUT_MS: '1000',
    PAYMENT_QUERY_DELAYS_MS: '300,600,900',
    PAYOUT_QUERY_DELAYS_MS: '300,600,900',
    SANDBOX_TIME_SCALE: '0.001',
  };
  beforeAll(async () => {
    a = await createTestApp({ env });
  });
  afterAll(() => a?.close());

  /** The sandbox's published rows: the CA (key + chain), the app and Alipay certificates. */
  const row = async (name: string) =>
    (await a.dataSource.query('SELECT * FROM sandbox_key WHERE name = ?', [name]))[0] as Record<
      string,
      string | null
    >;
  const cfgOf = (t: TestApp) => t.app.get(alipayConfig.KEY) as never;
  /** A client on chosen keys and certificates (the app's configuration otherwise). */
  async function keysWith(over: Partial<NonNullable<GatewayKeys['certs']>>): Promise<PaymentKeysProvider> {
    const keys = await a.app.get(PaymentKeysProvider).get();
    const chosen: GatewayKeys = { ...keys, certs: { ...keys.certs!, ...over } };
    return { get: async () => chosen } as unknown as PaymentKeysProvider;
  }
  /** A certificate from the sandbox's own CA, for `publicPem`: a valid chain, another SN. */
  async function sandboxIssued(subject: string, publicPem: string): Promise<string> {
    const root = await row('root_cert');
    const firstRoot = root!.cert_pem!.match(
      /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/,
    )![0];
    return testCert(subject, publicPem, { privatePem: root!.private_pem!, certPem: firstRoot });
  }

  async function payee(name: string): Promise<string> {
    const identity = `c${randomUUID().slice(0, 8)}@example.com`;
    await a.http().put(`/sandbox/payouts/payees/alipay/${identity}`).send({ name }).expect(200);
    return identity;
  }
  async function payout(t: TestApp, amount: number): Promise<{ no: string; userId: string }> {
    const userId = newUserId();
    await seedWallet(a, userId, amount);
    const identity = await payee('王五');
    const res = await t
      .http()
      .post('/v1/payouts')
      .set('Authorization', t.bearer(userId))
      .set('Idempotency-Key', randomUUID())
      .send({ channel: 'alipay', account: { identity, name: '王五' }, amount });
    if (res.status !== 201) throw new Error(`payout: ${res.status} ${JSON.stringify(res.body)}`);
    return { no: res.body.payoutNo as string, userId };
  }
  const payoutRow = async (no: string) =>
    (await a.dataSource.query('SELECT * FROM t_payout WHERE payout_no = ?', [no]))[0];
  const transfers = async (no: string) =>
    Number(
      (
        await a.dataSource.query(
          "SELECT COUNT(*) AS n FROM sandbox_transfer WHERE protocol = 'alipay' AND out_no = ?",
          [no],
        )
      )[0].n,
    );

  it('the sandbox publishes a CA, an app and an Alipay certificate; the clients send their SNs; /health says cert', async () => {
    const [root, app, alipay, merchant, gateway] = await Promise.all(
      ['root_cert', 'app_cert', 'alipay_cert', 'merchant', 'gateway'].map(row),
    );
    // two RSA roots in the chain: the root SN has the `a_b` form of Alipay's
    expect(alipayRootCertSn(root.cert_pem!)).toMatch(/^[0-9a-f]{32}_[0-9a-f]{32}$/);
    // the app certificate is the merchant's key, Alipay's the key the sandbox signs with
    expect(app.public_pem).toBe(merchant.public_pem);
    expect(alipay.public_pem).toBe(gateway.public_pem);
    const sdkConfig = (client: object) => (client as { sdk: { config: Record<string, string> } }).sdk.config;
    // each client builds its SDK on first use: answered and verified in certificate mode
    expect(await a.app.get(AlipayGateway).query('NO-SUCH-TRADE')).toEqual({ status: 'NOT_EXIST' });
    expect(await a.app.get(AlipayTransferClient).query({ payoutNo: 'P-NONE', amount: 1 } as never)).toEqual({
      status: 'NOT_FOUND',
    });
    for (const client of [a.app.get(AlipayGateway), a.app.get(AlipayTransferClient)]) {
      expect(sdkConfig(client)).toMatchObject({
        appCertSn: alipayCertSn(app.cert_pem!),
        alipayRootCertSn: alipayRootCertSn(root.cert_pem!),
        alipayCertSn: alipayCertSn(alipay.cert_pem!),
      });
    }
    // the answer itself names Alipay's certificate: `alipay_cert_sn` beside `sign`
    const signed = (a.app.get(AlipayGateway) as unknown as { sdk: AlipaySdk }).sdk.sdkExecute(
      'alipay.trade.query',
      { bizContent: { out_trade_no: 'NO-SUCH-TRADE' } },
    );
    const raw = await a.http().post('/sandbox/alipay/gateway.do').type('form').send(signed).expect(200);
    expect(raw.text).toContain(`},"alipay_cert_sn":"${alipayCertSn(alipay.cert_pem!)}","sign":"`);
    expect(JSON.parse(raw.text).alipay_trade_query_response.sub_code).toBe('ACQ.TRADE_NOT_EXIST');
    const health = await eventually(async () => {
      const r = await a.http().get('/health');
      return r.status === 200 ? r : null;
    }, 30000);
    expect(health.body.info.alipay).toEqual({
      status: 'up',
      enabled: true,
      mode: 'cert',
      privateKey: 'sandbox',
      appCert: 'sandbox',
      alipayCert: 'sandbox',
      rootCert: 'sandbox',
    });
  });

  it('a payment end to end: pre-pay, pay, the notify verified with the Alipay certificate’s key → PAID; queries answer', async () => {
    const { userId, orderNo } = await newOrder(a, 2345);
    const p = (await prepay(a, userId, orderNo).expect(201)).body;
    await sandboxPay(a, p.paymentNo, { notify: { mode: 'normal' } }).expect(200);
    await eventually(async () => (await orderStatus(a, orderNo)) === 'PAID', 15000, 50);
    // the notify itself verified (not only the query that may have come first)
    await eventually(
      async () => {
        const rows = await a.dataSource.query(
          "SELECT verified FROM t_callback_log WHERE channel = 'alipay' AND out_trade_no = ?",
          [p.paymentNo],
        );
        return rows.length > 0 && rows.every((r: { verified: number }) => Number(r.verified) === 1);
      },
      15000,
      50,
    );
    const gw = a.app.get(AlipayGateway);
    expect(await gw.query(p.paymentNo)).toMatchObject({ status: 'PAID', amount: 2345 });
    expect(await gw.refundQuery({ paymentNo: p.paymentNo, refundNo: 'R-NONE' })).toEqual({
      status: 'NOT_FOUND',
    });
  });

  it('a payout end to end → SUCCEEDED, one transfer; the same fund call in public-key mode is refused (isv.missing-app-cert-sn)', async () => {
    const { no } = await payout(a, 3456);
    await eventually(async () => (await payoutRow(no)).status === 'SUCCEEDED', 20000, 50);
    expect(await transfers(no)).toBe(1);
    const keys = await a.app.get(PaymentKeysProvider).get();
    const plain = {
      get: async () => ({ privateKey: keys.privateKey, alipayPublicKey: keys.alipayPublicKey }),
    };
    const client = new AlipayTransferClient(plain as never, cfgOf(a));
    const res = await client.query({ payoutNo: no, amount: 3456 } as never);
    expect(res).toEqual({ status: 'UNKNOWN', reason: expect.stringContaining('isv.missing-app-cert-sn') });
  });

  it('an answer or a notify signed with another key than the Alipay certificate’s is refused by the client: UNKNOWN / not verified', async () => {
    const other = (await import('node:crypto')).generateKeyPairSync('rsa', { modulusLength: 2048 });
    const cert = await sandboxIssued(
      'C=CN,O=not Alipay,OU=Alipay,CN=2021000000000001',
      other.publicKey.export({ type: 'spki', format: 'pem' }) as string,
    );
    const keys = await keysWith({ alipayPublicCert: cert });
    const gw = new AlipayGateway(keys, cfgOf(a));
    expect(await gw.query('NO-SUCH-TRADE')).toEqual({
      status: 'UNKNOWN',
      reason: expect.stringMatching(/验签失败/),
    });
    // a notify Alipay (the sandbox) signed: verified with the certificate's key, so not by this client
    const gateway = await row('gateway');
    const notify: Record<string, string> = {
      notify_id: 'N-CERT',
      app_id: '2021000000000001',
      out_trade_no: 'P-CERT',
      trade_status: 'TRADE_SUCCESS',
      total_amount: '1.00',
      sign_type: 'RSA2',
    };
    notify.sign = rsaSign(signContent(notify, true), gateway.private_pem!);
    expect(await gw.verifyNotify(notify)).toBe(false);
    expect(await a.app.get(AlipayGateway).verifyNotify(notify)).toBe(true);
    const transfer = new AlipayTransferClient(keys, cfgOf(a));
    expect(await transfer.query({ payoutNo: 'P-NONE', amount: 1 } as never)).toEqual({
      status: 'UNKNOWN',
      reason: expect.stringMatching(/验签失败/),
    });
  });

  describe('an instance with a wrong app certificate (same key, another SN)', () => {
    let b: TestApp;
    beforeAll(async () => {
      const merchant = await row('merchant');
      const wrong = await sandboxIssued(
        'C=CN,O=old merchant cert,OU=Alipay,CN=2021000000000001',
        merchant.public_pem!,
      );
      // its own Redis prefix: its send jobs run on b's client only; a long query delay keeps the follow-up out
      b = await createTestApp({
        env: { ...env, ALIPAY_APP_CERT: wrong, PAYOUT_QUERY_DELAYS_MS: '600000' },
        dbName: a.dbName,
        keepDb: true,
      });
    });
    afterAll(() => b?.close());

    it('every call is refused by the sandbox (isv.app-cert-not-exist): pre-pay queries UNKNOWN', async () => {
      const gw = b.app.get(AlipayGateway);
      expect(await gw.query('NO-SUCH-TRADE')).toEqual({
        status: 'UNKNOWN',
        reason: expect.stringContaining('isv.app-cert-not-exist'),
      });
    });

    it('the payout stays PENDING (unknown, never FAILED), no transfer made; a good configuration settles it under its number', async () => {
      const { no } = await payout(b, 4567);
      const queue = b.app.get<Queue>(getQueueToken(QUEUES.PAYOUT));
      await eventually(async () => (await queue.getJob(`payout-send:${no}`))?.isCompleted(), 15000, 50);
      // the send was answered with a request-level refusal: unknown, so the query path
      expect(await b.app.get(PayoutSettleService).query(no, null)).toBe(true);
      const p = await payoutRow(no);
      expect([p.status, p.failed_reason, Number(p.attempts)]).toEqual(['PENDING', null, 1]);
      expect(await transfers(no)).toBe(0);
      // the instance with the right certificate: not found at the gateway → sent again, same number → SUCCEEDED
      expect(await a.app.get(PayoutSettleService).query(no, null)).toBe(false);
      expect((await payoutRow(no)).status).toBe('SUCCEEDED');
      expect(await transfers(no)).toBe(1);
    });
  });
});
