import { SIM_NOTIFY_MODES, type SimNotifyJob } from '../core/sim-notifier';

/** Notify fault modes of the UnionPay sandbox (as the Alipay and WeChat ones, plus UnionPay's own). */
export const UP_NOTIFY_MODES = [...SIM_NOTIFY_MODES, 'expired_cert'] as const;
export type UpNotifyMode = (typeof UP_NOTIFY_MODES)[number];

/** Call faults: a timeout, `03` (system busy: ask again), or for a query `05` (in process). */
export const UP_FAULTS = ['none', 'timeout', 'system_error', 'in_process'] as const;
export type UpFault = (typeof UP_FAULTS)[number];

/** A row of sandbox_unionpay_txn: a consume (`01`) or a refund (`04`), amounts in fen. */
export interface UpTxnRow {
  id: number;
  mer_id: string;
  order_id: string;
  txn_time: string;
  txn_type: '01' | '04';
  txn_amt: number;
  query_id: string;
  orig_qry_id: string | null;
  back_url: string;
  qr_code: string | null;
  pay_timeout: string | null;
  /** consume: WAIT → SUCCESS; refund: PROCESSING → SUCCESS | FAIL */
  status: 'WAIT' | 'SUCCESS' | 'PROCESSING' | 'FAIL';
  refunded: number;
  query_fault: UpFault | null;
  query_fault_left: number;
  refund_fault: UpFault | null;
  refund_fault_left: number;
  refund_outcome: 'SUCCESS' | 'FAIL';
  created_at: Date;
  done_at: Date | null;
}

export interface UpSettleJob {
  kind: 'settle';
  queryId: string;
}

export type UpSandboxJob = SimNotifyJob | UpSettleJob;
