import { tryYuanToFen } from '../../money';
import { NotifyParams, parseForm } from './alipay-notify';

/** The open-platform message Alipay sends when a fund order (our transfer) changes state. */
export const TRANSFER_CHANGED_METHOD = 'alipay.fund.trans.order.changed';

export type AlipayTransferNotify =
  | {
      ok: true;
      id: string;
      outBizNo: string;
      /** fen, from the yuan string `trans_amount` */
      amount: number;
      /** biz_content with camel-cased keys, as alipay-sdk hands the query's answer to byAlipayStatus */
      biz: Record<string, unknown>;
    }
  | { ok: false; reason: string };

/**
 * Reads an `alipay.fund.trans.order.changed` message (POST /v1/callbacks/alipay/transfers): a form whose
 * `biz_content` is JSON (out_biz_no, order_id, status, trans_amount, pay_date / fail_reason …). The RSA2
 * signature over the decoded fields first (`verify`: the transfer client's alipay-sdk), nothing else is
 * read from a form that does not verify; then the message method and our `app_id`. What the message says
 * is the caller's to check against the payout (number, channel, amount).
 */
export async function readAlipayTransferNotify(
  raw: string,
  verify: (params: NotifyParams) => Promise<boolean>,
  appId: string,
): Promise<AlipayTransferNotify> {
  const { params, error } = parseForm(raw, ['sign', 'notify_id', 'msg_method', 'biz_content']);
  if (error) return { ok: false, reason: error };
  if (!(await verify(params).catch(() => false))) return { ok: false, reason: 'sign does not verify' };
  if (params.msg_method !== TRANSFER_CHANGED_METHOD) {
    return { ok: false, reason: `msg_method ${params.msg_method}` };
  }
  if (params.app_id !== appId) return { ok: false, reason: `app_id ${params.app_id} is not ours` };
  let biz: unknown;
  try {
    biz = JSON.parse(params.biz_content);
  } catch {
    return { ok: false, reason: 'biz_content is not JSON' };
  }
  if (!biz || typeof biz !== 'object' || Array.isArray(biz)) {
    return { ok: false, reason: 'biz_content is not an object' };
  }
  const b = biz as Record<string, unknown>;
  const amount = tryYuanToFen(b.trans_amount);
  if (typeof b.out_biz_no !== 'string' || amount === null) {
    return { ok: false, reason: 'out_biz_no / trans_amount malformed' };
  }
  return { ok: true, id: params.notify_id, outBizNo: b.out_biz_no, amount, biz: camelKeys(b) };
}

function camelKeys(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(o).map(([k, v]) => [k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()), v]),
  );
}
