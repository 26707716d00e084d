/** The two protocols whose transfers the simulator speaks. */
export const PAYOUT_PROTOCOLS = ['alipay', 'wechat'] as const;
export type PayoutProtocol = (typeof PAYOUT_PROTOCOLS)[number];

/**
 * Faults armed on a payee, each used by the next `times` transfer calls to it (docs/payouts.md):
 * - `timeout_after`: the transfer is made, the answer held past the client's timeout;
 * - `timeout_before`: the answer held past the timeout, nothing made;
 * - `system_error`: SYSTEM_ERROR, nothing made;
 * - `order_not_exist`: made, answer held (timeout), the first `param` queries say ORDER_NOT_EXIST / NOT_FOUND;
 * - `fail`: accepted (DEALING / ACCEPTED), ends FAIL (the query shows it);
 * - `unconfirmed`: WeChat bill left WAIT_USER_CONFIRM; closed (CANCELLED) `param` ms after creation.
 */
export const PAYOUT_FAULTS = [
  'timeout_after',
  'timeout_before',
  'system_error',
  'order_not_exist',
  'fail',
  'unconfirmed',
] as const;
export type PayoutFault = (typeof PAYOUT_FAULTS)[number];

/**
 * How a transfer's notify (WeChat MCHTRANSFER.BILL.FINISHED, Alipay alipay.fund.trans.order.changed) is
 * delivered (armed on the payee): `normal` (once, re-sent while not acknowledged), `drop` (never),
 * `duplicate` (twice at once), `late` (after `delayMs`).
 */
export const PAYOUT_NOTIFY_MODES = ['normal', 'drop', 'duplicate', 'late'] as const;
export type PayoutNotifyMode = (typeof PAYOUT_NOTIFY_MODES)[number];

/** A row of sandbox_transfer. */
export interface SandboxTransferRow {
  id: number;
  protocol: PayoutProtocol;
  out_no: string;
  /** the app the transfer was made under (WeChat: echoed by the query; Alipay: the notify's app_id) */
  app_id: string | null;
  order_id: string;
  payee_identity: string;
  amount: number;
  params_hash: string;
  /** SUCCESS | FAIL | REFUND (Alipay bounce) | WAIT_USER_CONFIRM | CANCELLED */
  status: string;
  fail_reason: string | null;
  mch_id: string | null;
  notify_url: string | null;
  notify_mode: PayoutNotifyMode | null;
  notify_delay_ms: number;
  notifies: number;
  calls: number;
  inconsistent_calls: number;
  queries: number;
  hide_queries: number;
  close_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface TransferAsk {
  protocol: PayoutProtocol;
  outNo: string;
  appId: string | null;
  mchId: string | null;
  notifyUrl: string | null;
  identity: string;
  name: string | null;
  /** fen */
  amount: number;
  /** sha256 of every parameter the protocol says must not change under one number */
  paramsHash: string;
}

export type TransferOutcome =
  | { kind: 'refused'; code: 'PAYEE_NOT_EXIST' | 'NAME_MISMATCH' }
  | { kind: 'inconsistent'; row: SandboxTransferRow }
  | { kind: 'fault'; fault: 'timeout' | 'system_error' }
  | { kind: 'made'; row: SandboxTransferRow; timeout: boolean; fresh: boolean };

export type QueryOutcome = { kind: 'not_found' } | { kind: 'found'; row: SandboxTransferRow };
