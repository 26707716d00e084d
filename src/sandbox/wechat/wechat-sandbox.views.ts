import { createCipheriv } from 'node:crypto';
import { toCstRfc3339 } from '../sandbox-time';
import { WxRefundRow, WxTransactionRow } from './wechat-sandbox.types';

export type WxEventType = 'TRANSACTION.SUCCESS' | 'REFUND.SUCCESS' | 'REFUND.ABNORMAL' | 'REFUND.CLOSED';

/** RFC 3339 in China time, as WeChat writes times (the one helper, through sandbox-time.ts). */
export const rfc3339 = toCstRfc3339;

/**
 * AEAD_AES_256_GCM as WeChat encrypts notify resources: base64(ciphertext ‖ 16-byte tag). Written on
 * node:crypto here, apart from the service's reader, so each side checks the other.
 */
export function aesGcmEncrypt(plaintext: string, key: string, nonce: string, aad: string): string {
  const c = createCipheriv('aes-256-gcm', Buffer.from(key, 'utf8'), Buffer.from(nonce, 'utf8'));
  c.setAAD(Buffer.from(aad, 'utf8'));
  return Buffer.concat([c.update(plaintext, 'utf8'), c.final(), c.getAuthTag()]).toString('base64');
}

/** The transaction object of the query answer and of TRANSACTION.SUCCESS resources. */
export function transactionView(t: WxTransactionRow): Record<string, unknown> {
  const paid = t.trade_state === 'SUCCESS' || t.trade_state === 'REFUND';
  const desc: Record<string, string> = {
    NOTPAY: '未支付',
    SUCCESS: '支付成功',
    CLOSED: '已关闭',
    REFUND: '转入退款',
  };
  return {
    appid: t.appid,
    mchid: t.mchid,
    out_trade_no: t.out_trade_no,
    ...(paid ? { transaction_id: t.transaction_id } : {}),
    trade_type: 'NATIVE',
    trade_state: t.trade_state,
    trade_state_desc: desc[t.trade_state] ?? t.trade_state,
    ...(paid
      ? {
          bank_type: 'OTHERS',
          success_time: rfc3339(t.success_time!),
          payer: { openid: t.payer_openid },
        }
      : {}),
    amount: paid
      ? { total: t.total, payer_total: t.total, currency: 'CNY', payer_currency: 'CNY' }
      : { total: t.total, currency: 'CNY' },
  };
}

/** The refund object of the refund answers (`status`) and of REFUND.* resources (`refund_status`). */
export function refundView(
  t: WxTransactionRow,
  r: WxRefundRow,
  kind: 'answer' | 'notify',
): Record<string, unknown> {
  return {
    mchid: t.mchid,
    refund_id: r.refund_id,
    out_refund_no: r.out_refund_no,
    transaction_id: t.transaction_id,
    out_trade_no: t.out_trade_no,
    channel: 'ORIGINAL',
    user_received_account: '支付用户零钱',
    ...(r.success_time ? { success_time: rfc3339(r.success_time) } : {}),
    create_time: rfc3339(r.created_at),
    ...(kind === 'answer' ? { status: r.status } : { refund_status: r.status }),
    funds_account: 'AVAILABLE',
    amount: {
      total: r.total,
      refund: r.refund,
      payer_total: r.total,
      payer_refund: r.refund,
      settlement_refund: r.refund,
      settlement_total: r.total,
      discount_refund: 0,
      currency: 'CNY',
    },
  };
}
