import type { PayoutChannel, PayoutStatus } from './payout-state';

/**
 * One row of t_payout (migration 1734730000000-payouts.ts), read and written in plain SQL by
 * PayoutRepository. The payee and the amount never change after the insert: every gateway call is built
 * from them, so a retry can only ever send the same parameters under the same number.
 */
export interface Payout {
  id: number;
  payoutNo: string;
  userId: string;
  channel: PayoutChannel;
  /** Alipay logon id (ALIPAY_LOGON_ID) or user id (2088…, ALIPAY_USER_ID); WeChat openid */
  payeeIdentity: string;
  /** the payee's real name (checked by the gateway); Alipay needs it for a logon id */
  payeeName: string | null;
  /** fen */
  amount: number;
  status: PayoutStatus;
  failedReason: string | null;
  /** Alipay order_id, WeChat transfer_bill_no, once known */
  channelOrderId: string | null;
  idempotencyKey: string | null;
  requestFingerprint: string | null;
  /** gateway transfer calls made (first and retries under the same number) */
  attempts: number;
  /** the China-time day whose daily total it counts against (yyyy-MM-dd) */
  chinaDay: string;
  reviewedBy: string | null;
  createdAt: Date;
  updatedAt: Date;
  sentAt: Date | null;
  succeededAt: Date | null;
  failedAt: Date | null;
}

export type NewPayout = Pick<
  Payout,
  | 'payoutNo'
  | 'userId'
  | 'channel'
  | 'payeeIdentity'
  | 'payeeName'
  | 'amount'
  | 'status'
  | 'idempotencyKey'
  | 'requestFingerprint'
  | 'chinaDay'
  | 'createdAt'
>;
