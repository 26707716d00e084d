import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { paymentConfig } from '../../config/configuration';
import { channelEnabled, type EnvFragment } from '../../config/env-fragment';
import { validateEnv } from '../../config/env.validation';
import type { KeyState } from '../../config/key-check';
import { CHANNEL_ENV_FRAGMENTS } from '../../payment/channels/env-fragments';

/** One enabled channel's keys as /health shows them. */
export interface ChannelKeyHealth {
  channel: string;
  keys: Record<string, KeyState>;
  facts: Record<string, string | number | boolean>;
  /** every key `ready` or `sandbox` */
  ok: boolean;
}

/**
 * The key reports of every enabled channel that declares one (its env fragment's `keyReport`, in the
 * channel's folder), in registration order. A key that is not configured is `sandbox` while the sandbox
 * publishes its own; a configured key that is garbage stays `invalid` even then (configured keys win).
 */
export function channelKeyHealth(
  fragments: readonly EnvFragment[],
  env: Record<string, unknown>,
  sandboxEnabled: boolean,
): ChannelKeyHealth[] {
  const shown = (s: KeyState): KeyState => (s === 'missing' && sandboxEnabled ? 'sandbox' : s);
  return fragments.flatMap((f) => {
    if (!f.keyReport || !channelEnabled(env, f.channel)) return [];
    const report = f.keyReport(env);
    const keys = Object.fromEntries(Object.entries(report.keys).map(([k, s]) => [k, shown(s)]));
    const ok = Object.values(keys).every((s) => s === 'ready' || s === 'sandbox');
    return [{ channel: f.channel, keys, facts: report.facts ?? {}, ok }];
  });
}

/**
 * Key readiness of the channels (`/health`), read once at start with the checks the channels declare;
 * this file names no channel. Two views of the same reports: `gateway` (the gateway mode, and each
 * enabled channel's key states under its name: `details.gateway.alipay`, `.wechat`, `.unionpay`) and one
 * indicator per enabled channel under its name (`details.unionpay`: `enabled`, its facts, its keys). Down
 * (503) when a key is missing or invalid (production refuses to start then; elsewhere /health says so).
 */
@Injectable()
export class ChannelKeysHealthIndicator {
  private readonly channels: ChannelKeyHealth[];

  constructor(
    @Inject(paymentConfig.KEY) private readonly cfg: ConfigType<typeof paymentConfig>,
    private readonly health: HealthIndicatorService,
  ) {
    this.channels = channelKeyHealth(CHANNEL_ENV_FRAGMENTS, validateEnv(process.env), cfg.sandboxEnabled);
  }

  /** The `gateway` indicator, then one per enabled channel: what the controller hands terminus. */
  checks(): Array<() => HealthIndicatorResult> {
    return [() => this.gateway(), ...this.channels.map((c) => () => this.channel(c))];
  }

  private gateway(): HealthIndicatorResult {
    const indicator = this.health.check('gateway');
    const info = {
      gateway: this.cfg.gateway,
      ...Object.fromEntries(this.channels.map((c) => [c.channel, c.keys])),
    };
    return this.channels.every((c) => c.ok) ? indicator.up(info) : indicator.down(info);
  }

  private channel(c: ChannelKeyHealth): HealthIndicatorResult {
    const indicator = this.health.check(c.channel);
    const info = { enabled: true, ...c.facts, ...c.keys };
    return c.ok ? indicator.up(info) : indicator.down(info);
  }
}
