import type { JobOptions } from 'bull';

/** Every queue and job name of oncepay, in one place. */
export const QUEUES = {
  ORDER_EXPIRY: 'order-expiry',
  TRANSFER_EXPIRY: 'transfer-expiry',
  PAYMENT_QUERY: 'payment-query',
  PAYMENT_EXPIRY: 'payment-expiry',
  REFUND_QUERY: 'refund-query',
  /** payout transfer calls and transfer queries (jobIds payout-send:<no>, payout-query:<no>:<n>) */
  PAYOUT: 'payout',
  OUTBOX: 'outbox',
  CALLBACK_APPLY: 'callback-apply',
  SANDBOX_NOTIFY: 'sandbox-notify',
  SANDBOX_WECHAT_NOTIFY: 'sandbox-wechat-notify',
  SANDBOX_UNIONPAY_NOTIFY: 'sandbox-unionpay-notify',
  RECONCILIATION: 'reconciliation',
} as const;

/**
 * Default job options. Every job is added with a deterministic jobId (so a re-sent add is a no-op),
 * retried with exponential backoff, and kept on failure for inspection.
 */
export const DEFAULT_JOB_OPTIONS: JobOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: 1000,
  removeOnFail: false,
};
