import { createHash, sign } from 'node:crypto';
import { issue } from '../src/sandbox/unionpay/unionpay-sandbox-crypto';
import type { TestApp } from './utils/test-app';

/** The UnionPay sandbox's published keys (root, middle, gateway, merchant, expired), as the test signs with them. */
export async function upKeys(t: TestApp) {
  const rows: Array<{ name: string; private_pem: string; cert_pem: string }> = await t.dataSource.query(
    'SELECT name, private_pem, cert_pem FROM sandbox_unionpay_key',
  );
  return Object.fromEntries(rows.map((r) => [r.name, { privatePem: r.private_pem, certPem: r.cert_pem }]));
}

/** The test's own signMethod=01 signature (a third implementation: sorted k=v, hex SHA-256, RSA-SHA256). */
export function upSign(fields: Record<string, string>, key: { privatePem: string; certPem: string }) {
  const f: Record<string, string> = { ...fields, signMethod: '01', signPubKeyCert: key.certPem };
  const text = Object.keys(f)
    .filter((k) => k !== 'signature' && f[k] !== '')
    .sort()
    .map((k) => `${k}=${f[k]}`)
    .join('&');
  const hex = createHash('sha256').update(text, 'utf8').digest('hex');
  f.signature = sign('sha256', Buffer.from(hex), key.privatePem).toString('base64');
  return f;
}

/** A consume-success notify of a payment as UnionPay sends it (unsigned fields). */
export function consumeNotify(orderId: string, txnAmt: number, over: Record<string, string> = {}) {
  return {
    version: '5.1.0',
    encoding: 'UTF-8',
    txnType: '01',
    txnSubType: '07',
    bizType: '000000',
    accessType: '0',
    merId: '777290058110048',
    orderId,
    txnTime: '20261207090000',
    txnAmt: String(txnAmt),
    currencyCode: '156',
    queryId: `Q${orderId.slice(-18)}`,
    respCode: '00',
    respMsg: 'success',
    settleAmt: String(txnAmt),
    settleCurrencyCode: '156',
    settleDate: '1207',
    traceNo: '123456',
    traceTime: '1207090000',
    ...over,
  };
}

/** A certificate chain oncepay was never configured with (a forger's own PKI). */
export function foreignSigner() {
  const root = issue('CN=forger root', null, true, 30);
  const middle = issue('CN=forger middle', root, true, 30);
  return issue('CN=041@Z@00040000:SIGN@00000001', middle, false, 30);
}

export const postUp = (t: TestApp, fields: Record<string, string>) =>
  t
    .http()
    .post('/v1/callbacks/unionpay')
    .set('content-type', 'application/x-www-form-urlencoded')
    .send(new URLSearchParams(fields).toString());
