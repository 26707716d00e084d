import { randomBytes, randomUUID } from 'node:crypto';
import { encryptResource } from '../../src/payment/channels/wechat/wechat-notify';
import { fenToYuan } from '../../src/payment/money';
import { rsaSign, signContent } from '../../src/sandbox/sandbox-crypto';
import { toCst } from '../../src/sandbox/sandbox-time';
import { Api, pool } from './api';
import type { BenchContext } from './context';

/** A pending alipay (wechat, unionpay) payment of a recharge order, ready to be "paid" by a signed notify. */
export interface Trade {
  userId: string;
  orderNo: string;
  paymentNo: string;
  amount: number;
  tradeNo: string;
  appId: string;
  subject: string;
  gmtCreate: Date;
}

/**
 * Makes `n` recharge orders with a pending alipay payment each, through the public API (recharge, then
 * pre-pay, which precreates the trade at the sandbox). Every request carries its own Idempotency-Key,
 * so the content guard never interferes.
 */
export async function makeTrades(
  ctx: BenchContext,
  api: Api,
  n: number,
  tag: string,
  users = 50,
  channel: 'alipay' | 'wechat' | 'unionpay' = 'alipay',
): Promise<Trade[]> {
  const made = await pool(
    Array.from({ length: n }, (_, i) => i),
    16,
    async (i) => {
      const userId = `${tag}${ctx.runId}-u${i % users}`;
      const token = await api.token(userId);
      const amount = 1000 + i;
      const order = await api.call<{ orderNo: string }>(
        'POST',
        '/v1/recharges',
        { amount },
        { token, headers: { 'idempotency-key': `${tag}${ctx.runId}-r${i}` } },
      );
      if (order.status !== 201) throw new Error(`recharge: ${order.status} ${JSON.stringify(order.body)}`);
      const pay = await api.call<{ paymentNo: string }>(
        'POST',
        `/v1/orders/${order.body.orderNo}/payments`,
        { channel },
        { token },
      );
      if (pay.status !== 201 && pay.status !== 200)
        throw new Error(`pre-pay: ${pay.status} ${JSON.stringify(pay.body)}`);
      return { userId, orderNo: order.body.orderNo, paymentNo: pay.body.paymentNo, amount };
    },
  );
  if (channel === 'wechat') return wechatTrades(ctx, made);
  // UnionPay names its consume by merId + orderId + txnTime: the caller reads them (rows/unionpay-callbacks.ts)
  if (channel === 'unionpay')
    return made.map((m) => ({ ...m, tradeNo: '', appId: '', subject: '', gmtCreate: new Date() }));
  const rows = await ctx.sql<{
    out_trade_no: string;
    trade_no: string;
    app_id: string;
    subject: string;
    gmt_create: Date;
  }>(
    `SELECT out_trade_no, trade_no, app_id, subject, gmt_create FROM sandbox_trade WHERE out_trade_no IN (${made.map(() => '?').join(',')})`,
    made.map((m) => m.paymentNo),
  );
  const byNo = new Map(rows.map((r) => [r.out_trade_no, r]));
  return made.map((m) => {
    const r = byNo.get(m.paymentNo);
    return {
      ...m,
      tradeNo: r?.trade_no ?? `2026${m.paymentNo.slice(-24)}`,
      appId: r?.app_id ?? '2021000000000001',
      subject: r?.subject ?? 'recharge',
      gmtCreate: r?.gmt_create ? new Date(r.gmt_create) : new Date(),
    };
  });
}

/** The gateway's private key from the sandbox's key table (sandbox mode only, never in production). */
export async function gatewayKey(ctx: BenchContext): Promise<string> {
  const rows = await ctx.sql<{ private_pem: string }>(
    "SELECT private_pem FROM sandbox_key WHERE name = 'gateway'",
  );
  if (!rows[0]?.private_pem) throw new Error('sandbox_key.gateway not found');
  return rows[0].private_pem;
}

/**
 * A `trade_status_sync` notify about trade `t` with the fields every such notify carries plus `fields`,
 * signed exactly as the sandbox signs it (RSA2 over the sorted fields), as a form-encoded body.
 */
function signedTradeNotify(t: Trade, key: string, notifyId: string, fields: Record<string, string>): string {
  const params: Record<string, string> = {
    notify_time: toCst(new Date()),
    notify_type: 'trade_status_sync',
    notify_id: notifyId,
    app_id: t.appId,
    charset: 'utf-8',
    version: '1.0',
    sign_type: 'RSA2',
    trade_no: t.tradeNo,
    out_trade_no: t.paymentNo,
    buyer_id: '2088102177846880',
    seller_id: '2088000000000001',
    subject: t.subject,
    gmt_create: toCst(t.gmtCreate),
    ...fields,
  };
  params.sign = rsaSign(signContent(params, true), key);
  return new URLSearchParams(params).toString();
}

/** A TRADE_SUCCESS notify signed exactly as the sandbox signs it (form-encoded body). */
export function signedNotify(t: Trade, key: string, notifyId = randomUUID().replace(/-/g, '')): string {
  const yuan = fenToYuan(t.amount);
  return signedTradeNotify(t, key, notifyId, {
    trade_status: 'TRADE_SUCCESS',
    total_amount: yuan,
    receipt_amount: yuan,
    buyer_pay_amount: yuan,
    gmt_payment: toCst(new Date()),
    fund_bill_list: JSON.stringify([{ amount: yuan, fundChannel: 'ALIPAYACCOUNT' }]),
  });
}

/**
 * The refund notify of a full refund (GATEWAY.md "Alipay refunds"), signed as the sandbox signs it:
 * `trade_status_sync` with `trade_status` TRADE_CLOSED, `refund_fee` (cumulative: the whole amount),
 * `gmt_refund` and `out_biz_no` = our refund number.
 */
export function signedRefundNotify(t: Trade, key: string, refundNo: string, notifyId: string): string {
  const yuan = fenToYuan(t.amount);
  const now = new Date();
  return signedTradeNotify(t, key, notifyId, {
    out_biz_no: refundNo,
    trade_status: 'TRADE_CLOSED',
    total_amount: yuan,
    refund_fee: yuan,
    gmt_payment: toCst(t.gmtCreate),
    gmt_refund: `${toCst(now)}.000`,
    gmt_close: toCst(now),
  });
}

/** Applies and double applies of a set of payments, read from MySQL. */
export async function applyStats(ctx: BenchContext, paymentNos: string[]) {
  if (!paymentNos.length) return { paid: 0, applied: 0, doubleApplied: 0, versionOver1: 0 };
  const marks = paymentNos.map(() => '?').join(',');
  const paid = await ctx.scalar(
    `SELECT COUNT(*) FROM t_payment WHERE status = 'SUCCESS' AND payment_no IN (${marks})`,
    paymentNos,
  );
  const versionOver1 = await ctx.scalar(
    `SELECT COUNT(*) FROM t_payment WHERE version > 1 AND payment_no IN (${marks})`,
    paymentNos,
  );
  const logs = await ctx.sql<{ n: number }>(
    `SELECT COUNT(*) AS n FROM t_callback_log WHERE outcome = 'APPLIED' AND out_trade_no IN (${marks}) GROUP BY out_trade_no`,
    paymentNos,
  );
  const applied = logs.reduce((s, r) => s + Number(r.n), 0);
  const doubleApplied = logs.reduce((s, r) => s + Math.max(0, Number(r.n) - 1), 0);
  return { paid, applied, doubleApplied, versionOver1 };
}

/** Wallet balance vs the PAID recharge orders of the given users: > 0 means a double credit. */
export async function overCredit(ctx: BenchContext, userIds: string[]): Promise<number> {
  if (!userIds.length) return 0;
  const marks = userIds.map(() => '?').join(',');
  const [row] = await ctx.sql<{ bal: number; paid: number }>(
    `SELECT
       (SELECT COALESCE(SUM(balance), 0) FROM t_user_account WHERE user_id IN (${marks})) AS bal,
       (SELECT COALESCE(SUM(total_amount), 0) FROM t_order WHERE type = 'RECHARGE' AND status = 'PAID' AND user_id IN (${marks})) AS paid`,
    [...userIds, ...userIds],
  );
  return Number(row.bal) - Number(row.paid);
}

/** The WeChat sandbox's transaction_id of each payment (its `tradeNo`). */
async function wechatTrades(
  ctx: BenchContext,
  made: Array<Pick<Trade, 'userId' | 'orderNo' | 'paymentNo' | 'amount'>>,
): Promise<Trade[]> {
  const rows = await ctx.sql<{ out_trade_no: string; transaction_id: string; appid: string }>(
    `SELECT out_trade_no, transaction_id, appid FROM sandbox_wechat_transaction WHERE out_trade_no IN (${made.map(() => '?').join(',')})`,
    made.map((m) => m.paymentNo),
  );
  const byNo = new Map(rows.map((r) => [r.out_trade_no, r]));
  return made.map((m) => ({
    ...m,
    tradeNo: byNo.get(m.paymentNo)?.transaction_id ?? `42000${m.paymentNo.slice(-23)}`,
    appId: byNo.get(m.paymentNo)?.appid ?? 'wxd678efh567hg6787',
    subject: 'recharge',
    gmtCreate: new Date(),
  }));
}

export interface WechatSandboxKeys {
  platformPem: string;
  platformId: string;
  apiV3Key: string;
  mchid: string;
}

/** The WeChat sandbox's platform key and APIv3 key (sandbox mode only, never in production). */
export async function wechatKeys(ctx: BenchContext): Promise<WechatSandboxKeys> {
  const rows = await ctx.sql<{ name: string; private_pem: string; serial: string; secret: string }>(
    "SELECT name, private_pem, serial, secret FROM sandbox_wechat_key WHERE name IN ('platform', 'apiv3')",
  );
  const platform = rows.find((r) => r.name === 'platform');
  const apiv3 = rows.find((r) => r.name === 'apiv3');
  if (!platform || !apiv3) throw new Error('sandbox_wechat_key not generated');
  return {
    platformPem: platform.private_pem,
    platformId: platform.serial,
    apiV3Key: apiv3.secret,
    mchid: '1900000109',
  };
}

/**
 * A TRANSACTION.SUCCESS notify built exactly as the WeChat sandbox builds one: the resource encrypted
 * with the APIv3 key (AES-256-GCM), the body signed in Wechatpay-* headers with the platform key.
 */
export function signedWechatNotify(
  t: Trade,
  k: WechatSandboxKeys,
  notifyId = randomUUID(),
): { body: string; headers: Record<string, string> } {
  const now = new Date();
  const transaction = {
    appid: t.appId,
    mchid: k.mchid,
    out_trade_no: t.paymentNo,
    transaction_id: t.tradeNo,
    trade_type: 'NATIVE',
    trade_state: 'SUCCESS',
    trade_state_desc: '支付成功',
    bank_type: 'OTHERS',
    success_time: now.toISOString(),
    payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' },
    amount: { total: t.amount, payer_total: t.amount, currency: 'CNY', payer_currency: 'CNY' },
  };
  const nonce = randomBytes(6).toString('hex');
  const body = JSON.stringify({
    id: notifyId,
    create_time: now.toISOString(),
    resource_type: 'encrypt-resource',
    event_type: 'TRANSACTION.SUCCESS',
    summary: '支付成功',
    resource: encryptResource(JSON.stringify(transaction), k.apiV3Key, nonce, 'transaction', 'transaction'),
  });
  const ts = String(Math.floor(now.getTime() / 1000));
  const hnonce = randomBytes(16).toString('hex').toUpperCase();
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'wechatpay-timestamp': ts,
      'wechatpay-nonce': hnonce,
      'wechatpay-signature': rsaSign(`${ts}\n${hnonce}\n${body}\n`, k.platformPem),
      'wechatpay-serial': k.platformId,
    },
  };
}
