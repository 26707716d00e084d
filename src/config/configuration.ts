import { registerAs } from '@nestjs/config';
import { CHANNEL_CONFIGS } from '../payment/channels/config-namespaces';
import { longestCallTimeoutMs, validateEnv } from './env.validation';

/** One namespace per concern; each reads the validated environment, never process.env directly. */
const env = () => validateEnv(process.env);

export const appConfig = registerAs('app', () => {
  const e = env();
  return {
    nodeEnv: e.NODE_ENV as 'development' | 'test' | 'production',
    port: e.PORT as number,
    host: e.HOST as string,
    logLevel: e.LOG_LEVEL as string,
    bodyLimitBytes: e.BODY_LIMIT_BYTES as number,
    jwtSecret: e.JWT_SECRET as string,
    jwtMaxLifetimeS: e.JWT_MAX_LIFETIME_S as number,
    jwtClockSkewS: e.JWT_CLOCK_SKEW_S as number,
    jwtIssuer: (e.JWT_ISSUER as string | undefined) || undefined,
    jwtAudience: (e.JWT_AUDIENCE as string | undefined) || undefined,
    devTokenTtlS: e.DEV_TOKEN_TTL_S as number,
    publicBaseUrl: (e.PUBLIC_BASE_URL as string | undefined) ?? `http://127.0.0.1:${e.PORT}`,
    swaggerEnabled: (e.SWAGGER_ENABLED as boolean | undefined) ?? e.NODE_ENV !== 'production',
    /** GET /metrics needs this bearer token; undefined: open outside production, closed in production. */
    metricsToken: (e.METRICS_TOKEN as string | undefined) || undefined,
  };
});

export const databaseConfig = registerAs('database', () => databaseOptionsFromEnv(env()));

export function databaseOptionsFromEnv(e: Record<string, any>) {
  return {
    host: e.DB_HOST as string,
    port: e.DB_PORT as number,
    user: e.DB_USER as string,
    password: e.DB_PASSWORD as string,
    name: e.DB_NAME as string,
    poolSize: e.DB_POOL_SIZE as number,
    migrationsRun: e.DB_MIGRATIONS_RUN as boolean,
    /** Creating the database is a development convenience; production gets it from its operator. */
    createDatabase: (e.DB_CREATE_DATABASE as boolean | undefined) ?? e.NODE_ENV !== 'production',
    /** Read replicas (host, port); empty: every query goes to the primary. */
    replicas: String(e.DB_REPLICA_HOSTS ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((s) => {
        const [host, port] = s.split(':');
        return { host, port: port ? Number(port) : (e.DB_PORT as number) };
      }),
  };
}

export const redisConfig = registerAs('redis', () => {
  const e = env();
  return {
    url: e.REDIS_URL as string,
    /** Seed nodes of a Redis Cluster; empty for a single node (REDIS_URL). */
    clusterNodes: parseClusterNodes(e.REDIS_CLUSTER_NODES as string | undefined),
    keyPrefix: e.REDIS_KEY_PREFIX as string,
    commandTimeoutMs: e.REDIS_COMMAND_TIMEOUT_MS as number,
  };
});

export interface ClusterNode {
  host: string;
  port: number;
  password?: string;
  username?: string;
  tls: boolean;
}

export function parseClusterNodes(raw: string | undefined): ClusterNode[] {
  return (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const u = new URL(/^rediss?:\/\//.test(s) ? s : `redis://${s}`);
      return {
        host: u.hostname,
        port: Number(u.port || 6379),
        username: u.username ? decodeURIComponent(u.username) : undefined,
        password: u.password ? decodeURIComponent(u.password) : undefined,
        tls: u.protocol === 'rediss:',
      };
    });
}

export const idempotencyConfig = registerAs('idempotency', () => {
  const e = env();
  return {
    submitWindowMs: e.SUBMIT_DEDUP_WINDOW_MS as number,
    failMode: e.GUARD_FAIL_MODE as 'closed' | 'open',
    keyTtlMs: e.IDEMPOTENCY_KEY_TTL_MS as number,
    leaseMs: e.IDEMPOTENCY_LEASE_MS as number,
    tokenTtlMs: e.IDEMPOTENCY_TOKEN_TTL_MS as number,
  };
});

export const orderConfig = registerAs('order', () => {
  const e = env();
  return {
    ttlMs: e.ORDER_TTL_MS as number,
    sweepIntervalMs: e.ORDER_SWEEP_INTERVAL_MS as number,
    /** per product, after lines naming the same product are merged */
    maxLineQuantity: e.ORDER_MAX_LINE_QUANTITY as number,
    /** fen; GOODS totals and recharge amounts above it are refused */
    maxTotal: e.ORDER_MAX_TOTAL as number,
    /** CREATED or PAYING orders one user may hold at once */
    maxUnpaid: e.ORDER_MAX_UNPAID as number,
  };
});

export const walletConfig = registerAs('wallet', () => {
  const e = env();
  return {
    /** a CREATED transfer not executed within this becomes EXPIRED */
    transferTtlMs: e.TRANSFER_TTL_MS as number,
    /** fen; a transfer above it is refused (400) */
    transferMaxAmount: e.TRANSFER_MAX_AMOUNT as number,
    transferSweepIntervalMs: e.TRANSFER_SWEEP_INTERVAL_MS as number,
    /** how often each instance runs the ledger check for /metrics; 0 = only on demand */
    ledgerCheckIntervalMs: e.LEDGER_CHECK_INTERVAL_MS as number,
  };
});

export const rateLimitConfig = registerAs('rateLimit', () => {
  const e = env();
  return {
    enabled: e.RATE_LIMIT_ENABLED as boolean,
    windowMs: e.RATE_LIMIT_WINDOW_MS as number,
    submit: e.RATE_LIMIT_SUBMIT as number,
    prepay: e.RATE_LIMIT_PREPAY as number,
    tokens: e.RATE_LIMIT_TOKENS as number,
    devTokens: e.RATE_LIMIT_DEV_TOKENS as number,
    callback: e.RATE_LIMIT_CALLBACK as number,
  };
});

export const paymentConfig = registerAs('payment', () => {
  const e = env();
  return {
    gateway: e.PAYMENT_GATEWAY as 'sandbox' | 'alipay',
    /** PAYMENT_CHANNELS: the channels pre-pay accepts (each channel's own settings: its namespace). */
    channels: String(e.PAYMENT_CHANNELS).split(','),
    sandboxEnabled: e.PAYMENT_GATEWAY === 'sandbox' && e.NODE_ENV !== 'production',
    /** The longest call any channel's gateway may take (its *_TIMEOUT_MS): locks held across one outlive it. */
    gatewayTimeoutMs: longestCallTimeoutMs(e),
    timeoutMs: e.PAYMENT_TIMEOUT_MS as number,
    queryDelaysMs: String(e.PAYMENT_QUERY_DELAYS_MS)
      .split(',')
      .map((s) => Number(s)),
    sweepIntervalMs: e.PAYMENT_SWEEP_INTERVAL_MS as number,
    stuckAfterMs: e.PAYMENT_STUCK_AFTER_MS as number,
    sandboxTimeScale: e.SANDBOX_TIME_SCALE as number,
    /** AUTO_REFUND: refund late money in full by itself (false: its anomaly waits OPEN for a person) */
    autoRefund: e.AUTO_REFUND as boolean,
  };
});

export const callbackConfig = registerAs('callback', () => {
  const e = env();
  return {
    mode: e.CALLBACK_MODE as 'sync' | 'buffered',
    dedupStrategy: e.CALLBACK_DEDUP_STRATEGY as string,
    bodyLimitBytes: e.CALLBACK_BODY_LIMIT_BYTES as number,
    refusedLogBytes: e.CALLBACK_REFUSED_LOG_BYTES as number,
    outboxPollMs: e.OUTBOX_POLL_MS as number,
  };
});

/** Payouts, money out of a wallet to an Alipay or WeChat account (src/payment/payout, docs/payouts.md). */
export const payoutConfig = registerAs('payout', () => {
  const e = env();
  return {
    /** fen; a payout above it is refused (400) */
    maxAmount: e.PAYOUT_MAX_AMOUNT as number,
    /** fen; one user's payouts of a China-time day (FAILED ones not counted) may not pass it */
    dailyLimit: e.PAYOUT_DAILY_LIMIT as number,
    /** fen; a payout above it waits in REVIEW for an admin (0: every payout is reviewed) */
    reviewAbove: e.PAYOUT_REVIEW_ABOVE as number,
    /** transfer queries after the call (ms after it), then doubling gaps (≤ 5 min) for a day */
    queryDelaysMs: String(e.PAYOUT_QUERY_DELAYS_MS)
      .split(',')
      .map((s) => Number(s)),
    sweepIntervalMs: e.PAYOUT_SWEEP_INTERVAL_MS as number,
    stuckAfterMs: e.PAYOUT_STUCK_AFTER_MS as number,
  };
});

/** Events out (src/events): the feed's sequencer and the webhook deliveries. */
export const eventsConfig = registerAs('events', () => {
  const e = env();
  return {
    /** http:// and private addresses are refused for webhook endpoints only in production */
    production: e.NODE_ENV === 'production',
    retryDelaysMs: String(e.WEBHOOK_RETRY_DELAYS_MS)
      .split(',')
      .map((s) => Number(s)),
    timeoutMs: e.WEBHOOK_TIMEOUT_MS as number,
    secretOverlapMs: e.WEBHOOK_SECRET_OVERLAP_MS as number,
    disableAfterMs: e.WEBHOOK_DISABLE_AFTER_MS as number,
    pollMs: e.EVENTS_POLL_MS as number,
  };
});

/**
 * The sandbox's own settings (src/sandbox reads these, never the service's channel namespaces: each side
 * of a protocol is configured apart, as the merchant and the gateway are).
 */
export const sandboxConfig = registerAs('sandbox', () => {
  const e = env();
  const str = (k: string) => (e[k] as string | undefined) || undefined;
  return {
    enabled: e.PAYMENT_GATEWAY === 'sandbox' && e.NODE_ENV !== 'production',
    timeScale: e.SANDBOX_TIME_SCALE as number,
    /** Where the simulated gateways point their bill download URLs. */
    baseUrl: str('PUBLIC_BASE_URL') ?? `http://127.0.0.1:${e.PORT}`,
    /**
     * The merchant records the simulated gateways keep, as a merchant registers them (the same variables,
     * read apart from the service's namespaces, with the sandbox's own demo defaults). `holdMs`: how long a
     * `timeout` fault holds its answer (past the merchant's client timeout).
     */
    alipay: {
      appId: str('ALIPAY_APP_ID') ?? '2021000000000001',
      sellerId: str('ALIPAY_SELLER_ID') ?? '2088000000000001',
      merchantPrivateKey: str('ALIPAY_PRIVATE_KEY'),
      /** certificate mode: issue the certificates at start (the service may be in it), not on first use */
      certs:
        e.ALIPAY_CERT_MODE === true ||
        e.SANDBOX_ALIPAY_FUND_CERT_MODE === true ||
        ['ALIPAY_APP_CERT', 'ALIPAY_PUBLIC_CERT', 'ALIPAY_ROOT_CERT'].some((k) => !!str(k)),
      /** SANDBOX_ALIPAY_FUND_CERT_MODE: the fund APIs refuse public-key mode, as production Alipay's do */
      fundCertRequired: e.SANDBOX_ALIPAY_FUND_CERT_MODE === true,
      holdMs: Math.max(((e.ALIPAY_TIMEOUT_MS as number | undefined) ?? 5000) + 1500, 2500),
    },
    wechat: {
      mchid: str('WECHAT_MCHID') ?? '1900000109',
      appid: str('WECHAT_APPID') ?? 'wxd678efh567hg6787',
      merchantPrivateKey: str('WECHAT_MERCHANT_PRIVATE_KEY'),
      merchantSerial: str('WECHAT_MERCHANT_SERIAL'),
      apiV3Key: str('WECHAT_API_V3_KEY'),
      holdMs: ((e.WECHAT_TIMEOUT_MS as number | undefined) ?? 5000) + 1500,
    },
    unionpayNotifyGapsMs: String(e.SANDBOX_UNIONPAY_NOTIFY_GAPS_MS)
      .split(',')
      .map((s) => Number(s)),
  };
});

export const benchConfig = registerAs('bench', () => {
  const e = env();
  return {
    /** Bench-only ceiling routes (src/bench-support); validation refuses it in production. */
    routes: e.BENCH_ROUTES === true && e.NODE_ENV !== 'production',
  };
});

/**
 * Whether the bench-only module is registered, decided when feature-modules.ts is loaded (the module
 * list is static). An invalid environment counts as "off"; main.ts reports it properly.
 */
export function benchRoutesEnabled(raw: Record<string, string | undefined> = process.env): boolean {
  try {
    const e = validateEnv(raw);
    return e.BENCH_ROUTES === true && e.NODE_ENV !== 'production';
  } catch {
    return false;
  }
}

/** BENCH_EXPLAIN (with BENCH_ROUTES): the bench's per-request tracer is registered (static too). */
export function benchExplainEnabled(raw: Record<string, string | undefined> = process.env): boolean {
  try {
    return benchRoutesEnabled(raw) && validateEnv(raw).BENCH_EXPLAIN === true;
  } catch {
    return false;
  }
}

/** BENCH_PEER_DIR, read when the bench-only module registers its routes (a static decision too). */
export function benchPeerDir(raw: Record<string, string | undefined> = process.env): string | undefined {
  try {
    return (validateEnv(raw).BENCH_PEER_DIR as string | undefined) || undefined;
  } catch {
    return undefined;
  }
}

export const allConfigs = [
  appConfig,
  databaseConfig,
  redisConfig,
  idempotencyConfig,
  orderConfig,
  walletConfig,
  payoutConfig,
  rateLimitConfig,
  paymentConfig,
  callbackConfig,
  eventsConfig,
  sandboxConfig,
  benchConfig,
  ...CHANNEL_CONFIGS,
];

export type AppConfig = ReturnType<typeof appConfig>;
export type DatabaseConfig = ReturnType<typeof databaseConfig>;
export type RedisConfig = ReturnType<typeof redisConfig>;
export type IdempotencyConfig = ReturnType<typeof idempotencyConfig>;
export type OrderConfig = ReturnType<typeof orderConfig>;
export type PaymentConfig = ReturnType<typeof paymentConfig>;
export type CallbackConfig = ReturnType<typeof callbackConfig>;
export type EventsConfig = ReturnType<typeof eventsConfig>;
export type BenchConfig = ReturnType<typeof benchConfig>;
