import { SIM_NOTIFY_MODES } from '../core/sim-notifier';

/** A row of sandbox_wechat_transaction (amounts in fen). */
export interface WxTransactionRow {
  id: number;
  out_trade_no: string;
  transaction_id: string;
  appid: string;
  mchid: string;
  total: number;
  description: string;
  time_expire: string | null;
  notify_url: string;
  params_hash: string;
  code_url: string;
  trade_state: 'NOTPAY' | 'SUCCESS' | 'CLOSED' | 'REFUND';
  payer_openid: string | null;
  paid_after_close: number;
  query_fault: WxFault | null;
  query_fault_left: number;
  close_fault: WxFault | null;
  close_fault_left: number;
  refund_fault: WxFault | null;
  refund_fault_left: number;
  refund_outcome: WxRefundOutcome;
  created_at: Date;
  success_time: Date | null;
  close_time: Date | null;
}

/** A row of sandbox_wechat_refund. */
export interface WxRefundRow {
  id: number;
  out_refund_no: string;
  refund_id: string;
  out_trade_no: string;
  refund: number;
  total: number;
  reason: string | null;
  notify_url: string | null;
  status: 'PROCESSING' | 'SUCCESS' | 'ABNORMAL' | 'CLOSED';
  created_at: Date;
  success_time: Date | null;
}

export const WX_NOTIFY_MODES = [...SIM_NOTIFY_MODES, 'decrypt_fail', 'replay_old'] as const;
export type WxNotifyMode = (typeof WX_NOTIFY_MODES)[number];

export const WX_FAULTS = ['none', 'timeout', 'system_error', 'bad_sign'] as const;
export type WxFault = (typeof WX_FAULTS)[number];

export const WX_REFUND_OUTCOMES = ['SUCCESS', 'ABNORMAL', 'CLOSED'] as const;
export type WxRefundOutcome = (typeof WX_REFUND_OUTCOMES)[number];

/** An answer of the simulated API: HTTP status + JSON body (null = no body, e.g. 204). */
export interface WxAnswer {
  status: number;
  body: Record<string, unknown> | null;
  /** Injected fault to apply to this answer. */
  fault?: WxFault;
}

export const wxOk = (body: Record<string, unknown> | null, status = body ? 200 : 204): WxAnswer => ({
  status,
  body,
});
export const wxError = (status: number, code: string, message: string): WxAnswer => ({
  status,
  body: { code, message },
});
