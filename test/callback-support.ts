/**
 * Helpers for the callback, outbox and reconciliation suites: polling, and notifies signed with the
 * sandbox gateway's own key (read from sandbox_key, where the sandbox publishes it), built exactly as
 * the sandbox builds them.
 */
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { rsaSign, signContent } from '../src/sandbox/sandbox-crypto';

/** Polls `fn` until it returns a truthy value (or throws after `timeoutMs`). */
export async function waitFor<T>(fn: () => Promise<T>, what: string, timeoutMs = 20000): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
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
