import { SIM_NOTIFY_MODES } from './core/sim-notifier';

/** A row of sandbox_trade (amounts in fen). */
export interface SandboxTradeRow {
  id: number;
  out_trade_no: string;
  trade_no: string;
  app_id: string;
  total_amount: number;
  subject: string;
  time_expire: string | null;
  notify_url: string | null;
  params_hash: string;
  qr_code: string;
  status: SandboxTradeStatus;
  scanned: number;
  buyer_id: string | null;
  success_notify_id: string | null;
  close_notify_id: string | null;
  query_fault: string | null;
  query_fault_left: number;
  close_fault: string | null;
  close_fault_left: number;
  paid_after_close: number;
  /** fen refunded so far (sum of SUCCESS refunds) */
  refund_fee: number;
  refund_fault: RefundFault | null;
  refund_fault_left: number;
  refund_query_fault: Fault | null;
  refund_query_fault_left: number;
  refund_notify_mode: RefundNotifyMode | null;
  refund_notify_times: number | null;
  refund_notify_delay_ms: number | null;
  gmt_create: Date;
  gmt_payment: Date | null;
  gmt_close: Date | null;
}

export type SandboxTradeStatus = 'WAIT_BUYER_PAY' | 'TRADE_SUCCESS' | 'TRADE_CLOSED';

export const NOTIFY_MODES = SIM_NOTIFY_MODES;
export type NotifyMode = (typeof NOTIFY_MODES)[number];

export const FAULTS = ['none', 'timeout', 'system_error', 'service_unavailable'] as const;
export type Fault = (typeof FAULTS)[number];

/** What goes inside `<method>_response`. */
export type GatewayAnswer = { code: string; msg: string; sub_code?: string; sub_msg?: string } & Record<
  string,
  unknown
>;

export const ok = (fields: Record<string, unknown>): GatewayAnswer => ({
  code: '10000',
  msg: 'Success',
  ...fields,
});

export const bizError = (subCode: string, subMsg: string): GatewayAnswer => ({
  code: '40004',
  msg: 'Business Failed',
  sub_code: subCode,
  sub_msg: subMsg,
});

/** A row of sandbox_refund: one refund request number of a trade (amounts in fen). */
export interface SandboxRefundRow {
  id: number;
  out_trade_no: string;
  out_request_no: string;
  refund_amount: number;
  refund_reason: string | null;
  /** SUCCESS: money moved; FAILED: accepted, then failed (fail_later): the query says not refunded. */
  status: 'SUCCESS' | 'FAILED';
  /** the trade's cumulative refunded fen once this refund succeeded */
  refund_fee_after: number | null;
  notify_id: string | null;
  notify_url: string | null;
  gmt_refund: Date | null;
  created_at: Date;
}

/**
 * Faults of alipay.trade.refund: `timeout` applies the refund and loses the answer; `system_error` /
 * `service_unavailable` answer ACQ.SYSTEM_ERROR / 20000 without refunding; `fund_change_n` refunds but
 * answers fund_change N; `fail_later` accepts (fund_change N) and the refund then fails: the query
 * says not refunded, and a retry with the same number and amount refunds.
 */
export const REFUND_FAULTS = [
  'none',
  'timeout',
  'system_error',
  'service_unavailable',
  'fund_change_n',
  'fail_later',
] as const;
export type RefundFault = (typeof REFUND_FAULTS)[number];

/**
 * How the next refund notify of a trade is delivered: `early` is delivered before the refund call
 * answers; `out_of_order` is followed by a stale notify of the state before this refund.
 */
export const REFUND_NOTIFY_MODES = ['normal', 'drop', 'duplicate', 'delay', 'out_of_order', 'early'] as const;
export type RefundNotifyMode = (typeof REFUND_NOTIFY_MODES)[number];
