import * as Joi from 'joi';
import { CHANNEL_ENV_FRAGMENTS } from '../payment/channels/env-fragments';
import type { EnvFragment } from './env-fragment';
import { parseTrustProxy } from './trust-proxy';

/** The channels' fragments (each channel's variables and start checks), composed here by name only. */
const FRAGMENTS: readonly EnvFragment[] = CHANNEL_ENV_FRAGMENTS;
const CHANNEL_NAMES = FRAGMENTS.map((f) => f.channel);
const CHANNEL_LIST = new RegExp(`^(${CHANNEL_NAMES.join('|')})(,(${CHANNEL_NAMES.join('|')}))*$`);

/**
 * The whole environment contract of oncepay, validated once at boot. No setting is read from
 * process.env unvalidated: the code gets them through the typed `registerAs` namespaces of
 * config/configuration.ts, and the few static decisions taken when modules load (the sandbox and bench
 * switches) run process.env through validateEnv too. The one raw read is app.module.ts asking whether
 * NODE_ENV is 'test' (tests skip the .env file). A bad value stops the start with one line that names
 * the variable. Each channel brings its part (config/env-fragment.ts: variables and start checks), so
 * this file names no channel.
 */
export const envSchema = Joi.object({
  NODE_ENV: Joi.string().valid('development', 'test', 'production').default('development'),
  PORT: Joi.number().integer().min(0).max(65535).default(3000),
  HOST: Joi.string().default('0.0.0.0'),
  LOG_LEVEL: Joi.string().valid('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent').default('info'),
  BODY_LIMIT_BYTES: Joi.number().integer().min(1024).default(102400),
  /** Deepest nesting a JSON body may have (checked before any recursive walk). */
  JSON_MAX_DEPTH: Joi.number().integer().min(2).max(256).default(16),
  /**
   * Whose X-Forwarded-For is believed (Fastify's trustProxy): off (the TCP peer is the client), a hop
   * count, or the proxies' addresses / CIDRs, comma-separated. Never "true".
   */
  TRUST_PROXY: Joi.string()
    .allow('')
    .default('false')
    .custom((v: string, helpers) => {
      try {
        parseTrustProxy(v);
        return v;
      } catch (err) {
        return helpers.message({ custom: `"TRUST_PROXY" ${(err as Error).message}` });
      }
    }),

  DB_HOST: Joi.string().default('127.0.0.1'),
  DB_PORT: Joi.number().integer().min(1).max(65535).default(3306),
  DB_USER: Joi.string().default('root'),
  DB_PASSWORD: Joi.string().allow('').default(''),
  DB_NAME: Joi.string()
    .pattern(/^[A-Za-z0-9_]{1,64}$/)
    .default('oncepay'),
  DB_POOL_SIZE: Joi.number().integer().min(1).max(500).default(20),
  DB_MIGRATIONS_RUN: Joi.boolean().default(true),
  DB_CREATE_DATABASE: Joi.boolean(),
  /** Read replicas `host:port,…` (same user, password and database as the primary) for stale-tolerant reads. */
  DB_REPLICA_HOSTS: Joi.string()
    .allow('')
    .pattern(/^\s*[^\s,:]+(:\d{1,5})?\s*(,\s*[^\s,:]+(:\d{1,5})?\s*)*$/)
    .messages({ 'string.pattern.base': '"DB_REPLICA_HOSTS" must be host[:port][,host[:port]…]' }),

  REDIS_URL: Joi.string()
    .uri({ scheme: ['redis', 'rediss'] })
    .default('redis://127.0.0.1:6379'),
  /** A Redis Cluster instead of REDIS_URL: seed nodes `host:port,…` (or `redis://[:password@]host:port`). */
  REDIS_CLUSTER_NODES: Joi.string()
    .allow('')
    .pattern(/^\s*(rediss?:\/\/)?[^\s,]+:\d{1,5}(\/\d+)?\s*(,\s*(rediss?:\/\/)?[^\s,]+:\d{1,5}(\/\d+)?\s*)*$/)
    .messages({ 'string.pattern.base': '"REDIS_CLUSTER_NODES" must be host:port[,host:port…]' }),
  REDIS_KEY_PREFIX: Joi.string()
    .pattern(/^[A-Za-z0-9_:.-]{1,64}$/)
    .default('oncepay:'),
  REDIS_COMMAND_TIMEOUT_MS: Joi.number().integer().min(50).default(1000),

  JWT_SECRET: Joi.string()
    .min(16)
    .when('NODE_ENV', {
      is: 'production',
      then: Joi.required(),
      otherwise: Joi.optional().default('oncepay-dev-secret-not-for-production'),
    }),

  /** Longest accepted token life (exp − iat, or exp − now without iat), seconds. */
  JWT_MAX_LIFETIME_S: Joi.number().integer().min(60).default(86400),
  /** How far in the future a token's `iat` may be (the issuer's clock ahead of ours), seconds. */
  JWT_CLOCK_SKEW_S: Joi.number().integer().min(0).max(600).default(60),
  /** When set, tokens must carry this `iss` / `aud` (and signed ones get it). */
  JWT_ISSUER: Joi.string().max(256),
  JWT_AUDIENCE: Joi.string().max(256),
  /** Life of a token from POST /v1/dev/tokens (and of tokens signed in tests), seconds. */
  DEV_TOKEN_TTL_S: Joi.number().integer().min(1).default(3600),

  /** sandbox: the simulators stand in for every gateway; alipay (historic name): the real gateways. */
  PAYMENT_GATEWAY: Joi.string().valid('sandbox', 'alipay').default('sandbox'),
  PUBLIC_BASE_URL: Joi.string().uri({ scheme: ['http', 'https'] }),

  /** Enabled channels. Outside production all; in production only those that need no keys unless asked for. */
  PAYMENT_CHANNELS: Joi.string()
    .pattern(CHANNEL_LIST)
    .messages({
      'string.pattern.base': `"PAYMENT_CHANNELS" must be a comma-separated list of ${CHANNEL_NAMES.join(', ')}`,
    })
    .when('NODE_ENV', {
      is: 'production',
      then: Joi.optional().default(
        FRAGMENTS.filter((f) => f.defaultInProduction)
          .map((f) => f.channel)
          .join(','),
      ),
      otherwise: Joi.optional().default(CHANNEL_NAMES.join(',')),
    }),
  ...Object.assign({}, ...FRAGMENTS.map((f) => f.schema)),
  /** The UnionPay sandbox's notify re-send gaps (ms, before sends 2..5; UnionPay sends at most 5). */
  SANDBOX_UNIONPAY_NOTIFY_GAPS_MS: Joi.string()
    .pattern(/^\d+(,\d+)*$/)
    .default('60000,120000,240000,300000'),
  /** The Alipay sandbox's fund APIs refuse public-key mode (isv.missing-app-cert-sn), as production Alipay's do. */
  SANDBOX_ALIPAY_FUND_CERT_MODE: Joi.boolean().default(false),

  SUBMIT_DEDUP_WINDOW_MS: Joi.number().integer().min(1).default(10000),
  GUARD_FAIL_MODE: Joi.string().valid('closed', 'open').default('closed'),
  IDEMPOTENCY_KEY_TTL_MS: Joi.number().integer().min(1000).default(86400000),
  IDEMPOTENCY_LEASE_MS: Joi.number().integer().min(100).default(30000),
  IDEMPOTENCY_TOKEN_TTL_MS: Joi.number().integer().min(1000).default(3600000),

  /** Rate limits (per RATE_LIMIT_WINDOW_MS; per user, or per client address for dev tokens and callbacks). */
  RATE_LIMIT_ENABLED: Joi.boolean().default(true),
  RATE_LIMIT_WINDOW_MS: Joi.number().integer().min(100).default(60000),
  RATE_LIMIT_SUBMIT: Joi.number().integer().min(1).default(60),
  RATE_LIMIT_PREPAY: Joi.number().integer().min(1).default(60),
  RATE_LIMIT_TOKENS: Joi.number().integer().min(1).default(120),
  RATE_LIMIT_DEV_TOKENS: Joi.number().integer().min(1).default(60),
  RATE_LIMIT_CALLBACK: Joi.number().integer().min(1).default(6000),

  /** Order caps. */
  ORDER_MAX_LINE_QUANTITY: Joi.number().integer().min(1).default(999),
  ORDER_MAX_TOTAL: Joi.number().integer().min(1).default(10000000),
  ORDER_MAX_UNPAID: Joi.number().integer().min(1).default(10),

  ORDER_TTL_MS: Joi.number().integer().min(1).default(900000),
  ORDER_SWEEP_INTERVAL_MS: Joi.number().integer().min(100).default(60000),
  TRANSFER_TTL_MS: Joi.number().integer().min(1).default(900000),
  TRANSFER_MAX_AMOUNT: Joi.number().integer().min(1).default(5000000),
  TRANSFER_SWEEP_INTERVAL_MS: Joi.number().integer().min(100).default(60000),
  LEDGER_CHECK_INTERVAL_MS: Joi.number().integer().min(0).default(300000),
  /** Payouts (issue 26, src/payment/payout): caps in fen, the review threshold, the settle schedule. */
  PAYOUT_MAX_AMOUNT: Joi.number().integer().min(1).default(5000000),
  PAYOUT_DAILY_LIMIT: Joi.number().integer().min(1).default(10000000),
  PAYOUT_REVIEW_ABOVE: Joi.number().integer().min(0).default(1000000),
  PAYOUT_QUERY_DELAYS_MS: Joi.string()
    .pattern(/^\d+(,\d+)*$/)
    .default('10000,30000,60000'),
  PAYOUT_SWEEP_INTERVAL_MS: Joi.number().integer().min(100).default(60000),
  PAYOUT_STUCK_AFTER_MS: Joi.number().integer().min(1).default(120000),
  PAYMENT_TIMEOUT_MS: Joi.number().integer().min(1).default(900000),
  PAYMENT_QUERY_DELAYS_MS: Joi.string()
    .pattern(/^\d+(,\d+)*$/)
    .default('10000,20000,30000'),
  PAYMENT_SWEEP_INTERVAL_MS: Joi.number().integer().min(100).default(60000),
  PAYMENT_STUCK_AFTER_MS: Joi.number().integer().min(1).default(120000),
  SANDBOX_TIME_SCALE: Joi.number().positive().default(1),
  /** late money (paid after the order could no longer take it) is refunded by itself (issue 24) */
  AUTO_REFUND: Joi.boolean().truthy('true').falsy('false').default(true),

  CALLBACK_MODE: Joi.string().valid('sync', 'buffered').default('sync'),
  CALLBACK_DEDUP_STRATEGY: Joi.string()
    .valid('unique_key', 'check_then_act', 'mutex', 'for_update', 'optimistic')
    .default('unique_key'),
  /** Largest gateway notify accepted (real ones are 1–3 KB); larger ones are refused (`fail`). */
  CALLBACK_BODY_LIMIT_BYTES: Joi.number().integer().min(1024).default(16384),
  /** A refused notify (bad signature, malformed) is logged cut to this many characters. */
  CALLBACK_REFUSED_LOG_BYTES: Joi.number().integer().min(256).default(2048),
  OUTBOX_POLL_MS: Joi.number().integer().min(50).default(1000),

  /** Events out (src/events): webhook retries, timeouts, secret rotation, disabling, polling. */
  WEBHOOK_RETRY_DELAYS_MS: Joi.string()
    .pattern(/^\d+(,\d+)*$/)
    .default('60000,300000,1800000,7200000,21600000,43200000,86400000'),
  WEBHOOK_TIMEOUT_MS: Joi.number().integer().min(100).max(60000).default(10000),
  WEBHOOK_SECRET_OVERLAP_MS: Joi.number().integer().min(0).default(86400000),
  WEBHOOK_DISABLE_AFTER_MS: Joi.number().integer().min(1000).default(259200000),
  EVENTS_POLL_MS: Joi.number().integer().min(20).default(500),

  /**
   * Bearer token GET /metrics requires (`Authorization: Bearer <METRICS_TOKEN>`). Unset: /metrics is open
   * outside production and closed (401) in production.
   */
  METRICS_TOKEN: Joi.string()
    .allow('')
    .pattern(/^[\x21-\x7e]{16,256}$/)
    .messages({
      'string.pattern.base': '"METRICS_TOKEN" must be 16-256 printable characters without spaces',
    }),

  /** Swagger UI and JSON at /docs, /docs-json: on by default, off by default in production. */
  SWAGGER_ENABLED: Joi.boolean(),

  /** Bench-only ceiling routes under /bench (npm run bench); refused in production. */
  BENCH_ROUTES: Joi.boolean().default(false),
  /**
   * Folder of the bench's own comparison libraries (bench/peer, installed by npm run bench outside the
   * product's dependency tree); unset: the comparison route is off.
   */
  BENCH_PEER_DIR: Joi.string().allow(''),
  /** With BENCH_ROUTES: trace every request's pool wait, statements and Redis commands (bench --explain). */
  BENCH_EXPLAIN: Joi.boolean().default(false),
})
  .custom((env: Record<string, unknown>, helpers) => {
    if (env.NODE_ENV === 'production' && env.PAYMENT_GATEWAY === 'sandbox') {
      return helpers.message({ custom: '"PAYMENT_GATEWAY" must not be sandbox when NODE_ENV=production' });
    }
    if (env.NODE_ENV === 'production' && env.CALLBACK_DEDUP_STRATEGY !== 'unique_key') {
      return helpers.message({
        custom:
          '"CALLBACK_DEDUP_STRATEGY" must be unique_key when NODE_ENV=production (the others are demonstrations)',
      });
    }
    if (env.NODE_ENV === 'production' && env.BENCH_ROUTES === true) {
      return helpers.message({ custom: '"BENCH_ROUTES" must not be true when NODE_ENV=production' });
    }
    // each channel's own start checks (production with it enabled needs its keys, readable)
    for (const fragment of FRAGMENTS) {
      const problem = fragment.check?.(env);
      if (problem) return helpers.message({ custom: problem });
    }
    if ((env.DEV_TOKEN_TTL_S as number) > (env.JWT_MAX_LIFETIME_S as number)) {
      return helpers.message({ custom: '"DEV_TOKEN_TTL_S" must not exceed JWT_MAX_LIFETIME_S' });
    }
    return env;
  })
  .unknown(true);

/** The longest gateway call any channel may make, ms (locks held across a gateway call outlive it). */
export function longestCallTimeoutMs(env: Record<string, unknown>): number {
  return Math.max(0, ...FRAGMENTS.map((f) => f.callTimeoutMs?.(env) ?? 0));
}

/** REDIS_URL and REDIS_CLUSTER_NODES are one or the other; a cluster has only database 0. */
function redisClusterError(env: Record<string, string | undefined>): string | undefined {
  const nodes = String(env.REDIS_CLUSTER_NODES ?? '').trim();
  if (!nodes) return undefined;
  if (env.REDIS_URL) {
    return '"REDIS_CLUSTER_NODES" and "REDIS_URL" are one or the other: unset REDIS_URL for a cluster';
  }
  for (const node of nodes.split(',')) {
    const db = /\/(\d+)\s*$/.exec(node.trim())?.[1];
    if (db !== undefined && db !== '0') {
      return `"REDIS_CLUSTER_NODES" names database ${db}: a Redis Cluster has only database 0 (use REDIS_KEY_PREFIX to separate deployments)`;
    }
  }
  return undefined;
}

export type Env = {
  NODE_ENV: 'development' | 'test' | 'production';
  [key: string]: any;
};

/** Validates a raw environment; throws an Error whose message is one line naming the variable. */
export function validateEnv(raw: Record<string, string | undefined>): Env {
  const { error, value } = envSchema.validate(raw, { abortEarly: true, convert: true });
  if (error) {
    throw new Error(`Invalid configuration: ${error.message}`);
  }
  // on the raw input: REDIS_URL has a default, so only an explicitly set one conflicts
  const clusterError = redisClusterError(raw);
  if (clusterError) throw new Error(`Invalid configuration: ${clusterError}`);
  return value as Env;
}
