/**
 * What the payout module needs from a channel to move money out (GATEWAY.md "Payouts"). Outcomes are
 * values, never exceptions. Only SUCCEEDED and FAILED conclude a payout; everything else leaves it
 * PENDING until a later query (or call under the same number) settles it: an UNKNOWN answer — a
 * timeout, a transport error, SYSTEM_ERROR, an answer that does not verify, a number the gateway says
 * it holds with other parameters — is never read as failed, because the money may have left.
 */
export interface PayoutTransfer {
  /** our payout number: Alipay `out_biz_no`, WeChat `out_bill_no` — the gateway's idempotency key */
  payoutNo: string;
  /** fen */
  amount: number;
  payeeIdentity: string;
  payeeName: string | null;
  /** Alipay order_title / WeChat transfer_remark, derived from the stored row only */
  title: string;
}

export type TransferResult =
  /** the money reached the payee's account */
  | { status: 'SUCCEEDED'; channelOrderId: string | null; succeededAt: Date | null }
  /** the gateway refused or ended this transfer without moving money (conclusive) */
  | { status: 'FAILED'; code: string; reason: string }
  /** accepted, not finished (Alipay DEALING/INIT, WeChat ACCEPTED/PROCESSING/WAIT_USER_CONFIRM/…) */
  | { status: 'PENDING'; channelOrderId: string | null; state: string }
  /** query only: the gateway has no transfer under this number (yet) — send it again, same number */
  | { status: 'NOT_FOUND' }
  /** query only: it had succeeded and the bank sent it back (Alipay SUCCESS → REFUND) */
  | { status: 'BOUNCED'; reason: string }
  | { status: 'UNKNOWN'; reason: string };

/** One channel's transfer client (src/payment/channels/<name>/<name>-transfer.ts), its fund bill included. */
export interface PayoutClient extends FundBillSource {
  /** The transfer call. Every retry passes the same PayoutTransfer (built from the stored row). */
  transfer(t: PayoutTransfer): Promise<TransferResult>;
  /** The transfer query by our number; it checks the answer is about this number and amount. */
  query(t: PayoutTransfer): Promise<TransferResult>;
}

/**
 * One transfer movement of the merchant's fund account on a gateway's fund bill (Alipay's `signcustomer`
 * account bill, WeChat's fund-flow bill): OUT is a transfer that moved money, IN its bank bounce back.
 */
export interface FundBillLine {
  /** our payout number (Alipay 商户订单号 / WeChat 业务凭证号) */
  payoutNo: string;
  /** the gateway's order id (Alipay order_id / WeChat transfer_bill_no) */
  orderId: string;
  /** fen, positive */
  amount: number;
  direction: 'OUT' | 'IN';
  at: Date | null;
}

export type FundBillResult = { ok: true; lines: FundBillLine[] } | { ok: false; reason: string };

/** A channel whose fund bill can be read (both payout channels). */
export interface FundBillSource {
  /** The day's (China time, yyyy-MM-dd) transfer movements of the fund account. */
  fundBill(date: string): Promise<FundBillResult>;
}
