import { checkSignature, decryptResource, WechatHeaders } from './wechat-notify';
import type { WechatKeys } from './wechat-keys.provider';

/** The event WeChat Pay sends when a transfer bill reaches a final state (SUCCESS, FAIL, CANCELLED). */
export const TRANSFER_BILL_EVENT = 'MCHTRANSFER.BILL.FINISHED';

export type TransferNotify =
  | { ok: true; id: string; outBillNo: string; amount: number; resource: Record<string, unknown> }
  | { ok: false; status: 400 | 401; reason: string };

/**
 * Reads a 商家转账 notify (POST /v1/callbacks/wechat/transfers): the signature over the raw body first
 * (nothing is decrypted for a forged or replayed one), then the AES-GCM resource with the APIv3 key, then
 * our merchant. What the bill says is the caller's to check against the payout (number, amount).
 */
export function readTransferNotify(
  headers: WechatHeaders,
  rawBody: string,
  keys: WechatKeys,
): TransferNotify {
  const sig = checkSignature(headers, rawBody, keys.platformKeys);
  if (!sig.ok) return { ok: false, status: 401, reason: sig.reason };
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(rawBody) as Record<string, unknown>;
  } catch {
    return { ok: false, status: 400, reason: 'body is not JSON' };
  }
  if (typeof body?.id !== 'string' || body.event_type !== TRANSFER_BILL_EVENT) {
    return { ok: false, status: 400, reason: `event_type ${String(body?.event_type)}` };
  }
  const plain = decryptResource(body.resource, keys.apiV3Key);
  if (plain === null) return { ok: false, status: 400, reason: 'resource does not decrypt' };
  let res: Record<string, unknown>;
  try {
    res = JSON.parse(plain) as Record<string, unknown>;
  } catch {
    return { ok: false, status: 400, reason: 'resource is not JSON' };
  }
  if (res.mch_id !== keys.mchid) return { ok: false, status: 400, reason: `mch_id ${String(res.mch_id)}` };
  if (typeof res.out_bill_no !== 'string' || !Number.isSafeInteger(res.transfer_amount)) {
    return { ok: false, status: 400, reason: 'out_bill_no / transfer_amount malformed' };
  }
  return {
    ok: true,
    id: body.id,
    outBillNo: res.out_bill_no,
    amount: res.transfer_amount as number,
    resource: res,
  };
}
