/**
 * Helpers for the callback, outbox and reconciliation suites: polling, and notifies signed with the
 * sandbox gateway's own key (read from sandbox_key, where the sandbox publishes it), built exactly as
 * the sandbox builds them.
 */
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { encryptResource } from '../src/payment/channels/wechat/wechat-notify';
import { rsaSign, signContent } from '../src/sandbox/sandbox-crypto';
import type { TestApp } from './utils/test-app';

/** Polls `fn` until it returns a truthy value (or throws after `timeoutMs`). */
export async function waitFor<T>(
  fn: () => Promise<T>,
  what: string,
  timeoutMs = 20000,
): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what} (last: ${String(last)})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function gatewayPrivateKey(ds: DataSource): Promise<string> {
  const rows: Array<{ private_pem: string }> = await ds.query(
    "SELECT private_pem FROM sandbox_key WHERE name = 'gateway'",
  );
  if (!rows[0]?.private_pem) throw new Error('sandbox gateway key not generated');
  return rows[0].private_pem;
}

export interface NotifyInput {
  outTradeNo: string;
  totalAmount: string;
  tradeStatus?: string;
  notifyId?: string;
  tradeNo?: string;
  appId?: string;
  sellerId?: string;
  extra?: Record<string, string>;
}

/** A validly signed notify form (tamper with the result to forge one). */
export async function signedNotify(ds: DataSource, n: NotifyInput): Promise<Record<string, string>> {
  const params: Record<string, string> = {
    notify_time: '2026-11-23 20:00:00',
    notify_type: 'trade_status_sync',
    notify_id: n.notifyId ?? randomBytes(16).toString('hex'),
    app_id: n.appId ?? '2021000000000001',
    charset: 'utf-8',
    version: '1.0',
    sign_type: 'RSA2',
    trade_no: n.tradeNo ?? `2026112322${randomBytes(8).toString('hex')}`,
    out_trade_no: n.outTradeNo,
    buyer_id: '2088102177846880',
    seller_id: n.sellerId ?? '2088000000000001',
    trade_status: n.tradeStatus ?? 'TRADE_SUCCESS',
    total_amount: n.totalAmount,
    subject: 'oncepay test',
    gmt_create: '2026-11-23 19:59:00',
    gmt_payment: '2026-11-23 20:00:00',
    ...n.extra,
  };
  params.sign = rsaSign(signContent(params, true), await gatewayPrivateKey(ds));
  return params;
}

export function formBody(params: Record<string, string>): string {
  return new URLSearchParams(params).toString();
}

/** Env every callback suite uses: fast sandbox, fast relay, no active query interfering. */
export const CALLBACK_ENV = {
  SANDBOX_TIME_SCALE: '0.001',
  OUTBOX_POLL_MS: '100',
  PAYMENT_QUERY_DELAYS_MS: '600000',
};

/** A RECHARGE order of `amount` fen with a PENDING alipay payment. */
export async function rechargeWithPayment(t: TestApp, userId: string, amount: number) {
  const order = await t
    .http()
    .post('/v1/recharges')
    .set('Authorization', t.bearer(userId))
    .send({ amount })
    .expect(201);
  const pay = await t
    .http()
    .post(`/v1/orders/${order.body.orderNo}/payments`)
    .set('Authorization', t.bearer(userId))
    .send({ channel: 'alipay' });
  if (pay.status !== 201) throw new Error(`pre-pay ${pay.status}: ${JSON.stringify(pay.body)}`);
  return { orderNo: order.body.orderNo as string, paymentNo: pay.body.paymentNo as string, amount };
}

/** POSTs a notify form to the callback endpoint; resolves to the text answer. */
export async function postNotify(t: TestApp, params: Record<string, string> | string): Promise<string> {
  const res = await t
    .http()
    .post('/v1/callbacks/alipay')
    .set('Content-Type', 'application/x-www-form-urlencoded; charset=utf-8')
    .send(typeof params === 'string' ? params : formBody(params));
  if (res.status !== 200) throw new Error(`callback HTTP ${res.status}: ${res.text}`);
  return res.text;
}

export async function paymentStatus(t: TestApp, paymentNo: string): Promise<string | undefined> {
  const rows = await t.dataSource.query('SELECT status FROM t_payment WHERE payment_no = ?', [paymentNo]);
  return rows[0]?.status;
}

export async function orderStatus(t: TestApp, orderNo: string): Promise<string | undefined> {
  const rows = await t.dataSource.query('SELECT status FROM t_order WHERE order_no = ?', [orderNo]);
  return rows[0]?.status;
}

export async function balance(t: TestApp, userId: string): Promise<number> {
  const res = await t.http().get('/v1/account').set('Authorization', t.bearer(userId)).expect(200);
  return Number(res.body.balance);
}

export async function dedupRows(t: TestApp, refType: string, refId: string): Promise<number> {
  const [r] = await t.dataSource.query(
    'SELECT COUNT(*) AS n FROM t_uq_dipose WHERE ref_type = ? AND ref_id = ?',
    [refType, refId],
  );
  return Number(r.n);
}

export async function anomalies(t: TestApp, paymentNo: string): Promise<string[]> {
  const rows: Array<{ kind: string }> = await t.dataSource.query(
    'SELECT kind FROM t_payment_anomaly WHERE payment_no = ? ORDER BY id',
    [paymentNo],
  );
  return rows.map((r) => r.kind);
}

export async function logOutcomes(t: TestApp, paymentNo: string): Promise<string[]> {
  const rows: Array<{ outcome: string }> = await t.dataSource.query(
    'SELECT outcome FROM t_callback_log WHERE out_trade_no = ? ORDER BY id',
    [paymentNo],
  );
  return rows.map((r) => r.outcome);
}

/** Yuan text of an amount in fen, for notifies (test-side; the service has its own). */
export function yuan(fen: number): string {
  return `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;
}

/** oncepay_callback_duplicates_total{channel} as /metrics shows it (0 before the first). */
export async function duplicatesCounted(t: TestApp, channel: string): Promise<number> {
  const res = await t.http().get('/metrics').expect(200);
  const line = res.text
    .split('\n')
    .find((l) => l.startsWith(`oncepay_callback_duplicates_total{channel="${channel}"}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

/** A notify signed and encrypted with the WeChat sandbox's own keys, exactly as the sandbox builds one. */
export async function signedWechatNotify(
  ds: DataSource,
  eventType: string,
  resource: Record<string, unknown>,
): Promise<{ headers: Record<string, string>; body: string }> {
  const rows: Array<{ name: string; private_pem: string; serial: string; secret: string }> = await ds.query(
    "SELECT name, private_pem, serial, secret FROM sandbox_wechat_key WHERE name IN ('platform', 'apiv3')",
  );
  const platform = rows.find((r) => r.name === 'platform')!;
  const apiV3Key = rows.find((r) => r.name === 'apiv3')!.secret;
  const nonce = randomBytes(6).toString('hex');
  const body = JSON.stringify({
    id: `EV-${randomBytes(8).toString('hex')}`,
    create_time: new Date().toISOString(),
    resource_type: 'encrypt-resource',
    event_type: eventType,
    summary: 'test',
    resource: encryptResource(JSON.stringify(resource), apiV3Key, nonce, 'transaction', 'transaction'),
  });
  const ts = String(Math.floor(Date.now() / 1000));
  const hnonce = randomBytes(16).toString('hex');
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'wechatpay-timestamp': ts,
      'wechatpay-nonce': hnonce,
      'wechatpay-signature': rsaSign(`${ts}\n${hnonce}\n${body}\n`, platform.private_pem),
      'wechatpay-serial': platform.serial,
    },
  };
}
