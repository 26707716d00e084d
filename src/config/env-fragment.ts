import type * as Joi from 'joi';
import type { KeyState } from './key-check';

/**
 * One part of the environment contract that its owner brings (a payment channel: its variables, and the
 * start checks that need more than one variable, such as "production with this channel enabled needs
 * these keys, readable"). config/env.validation.ts composes the fragments it is given and names none of
 * them; the channels register theirs in payment/channels/env-fragments.ts.
 */
export interface EnvFragment {
  /** The value PAYMENT_CHANNELS names it by. */
  channel: string;
  /** Enabled when PAYMENT_CHANNELS is unset in production (channels that need keys are not). */
  defaultInProduction: boolean;
  /** Its variables, merged into the one schema (names are contract: keep them). */
  schema: Record<string, Joi.Schema>;
  /**
   * Run on the validated environment (defaults filled in): the first problem as one line naming the
   * variable (`"X" is required when …`), or undefined. Production refuses to start on it.
   */
  check?: (env: Record<string, unknown>) => string | undefined;
  /** How long one call to this channel's gateway may take, ms (the pre-pay and close locks outlive it). */
  callTimeoutMs?: (env: Record<string, unknown>) => number;
  /**
   * The channel's key check for `/health`, on the validated environment: each key's state (unset:
   * `missing`; the health module shows `sandbox` while the sandbox publishes its own) and facts worth
   * showing beside them. /health builds one indicator per enabled channel that declares one.
   */
  keyReport?: (env: Record<string, unknown>) => ChannelKeyReport;
}

/** A channel's keys as `/health` reports them. */
export interface ChannelKeyReport {
  keys: Record<string, KeyState>;
  /** Shown in the channel's own indicator beside the keys (UnionPay's `merId`); never a secret. */
  facts?: Record<string, string | number | boolean>;
}

/** Whether PAYMENT_CHANNELS (validated) enables the channel. */
export function channelEnabled(env: Record<string, unknown>, channel: string): boolean {
  return String(env.PAYMENT_CHANNELS ?? '')
    .split(',')
    .includes(channel);
}
