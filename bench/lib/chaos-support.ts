/** The chaos run's small parts: notify fault modes, pay paths, arguments, the log, answer counts. */

const COMMON_MODES = [
  'normal',
  'normal',
  'normal',
  'drop',
  'duplicate',
  'delay',
  'out_of_order',
  'bad_sign',
  'amount_mismatch',
];
/** The gateway channels the load pays on (each through its own sandbox face). */
export const GATEWAY_CHANNELS = ['alipay', 'wechat', 'unionpay'] as const;
export type GatewayChannel = (typeof GATEWAY_CHANNELS)[number];
/**
 * Each sandbox's notify fault modes (WeChat's also encrypt and time-stamp its notifies; UnionPay's also
 * sign for another merchant and with an expired certificate).
 */
export const MODES: Record<GatewayChannel, string[]> = {
  alipay: COMMON_MODES,
  wechat: [...COMMON_MODES, 'decrypt_fail', 'replay_old'],
  unionpay: [...COMMON_MODES, 'wrong_merchant', 'expired_cert'],
};
/** Modes whose notify is refused or an anomaly: such a trade is not handed to the refund workers. */
export const UNTRUSTED_MODES = ['bad_sign', 'amount_mismatch', 'wrong_merchant', 'expired_cert'];
/** Where the buyer pays a trade of each channel's sandbox. */
export const PAY_PATH: Record<GatewayChannel, (no: string) => string> = {
  alipay: (no) => `/sandbox/alipay/trades/${no}/pay`,
  wechat: (no) => `/sandbox/wechat/transactions/${no}/pay`,
  unionpay: (no) => `/sandbox/unionpay/trades/${no}/pay`,
};

export function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : def;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number of seconds`);
  return v;
}

export const log = (msg: string) =>
  process.stderr.write(`[chaos ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

export class Stats {
  counts = new Map<string, number>();
  inc(k: string) {
    this.counts.set(k, (this.counts.get(k) ?? 0) + 1);
  }
  toString() {
    return [...this.counts.entries()]
      .sort()
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
  }
}
