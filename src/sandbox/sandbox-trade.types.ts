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
  gmt_create: Date;
  gmt_payment: Date | null;
  gmt_close: Date | null;
}

export type SandboxTradeStatus = 'WAIT_BUYER_PAY' | 'TRADE_SUCCESS' | 'TRADE_CLOSED';

export const NOTIFY_MODES = [
  'normal',
  'drop',
  'duplicate',
  'delay',
  'out_of_order',
  'bad_sign',
  'amount_mismatch',
] as const;
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
