import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import Redis from 'ioredis';
import { idempotencyConfig } from '../config/configuration';
import { REDIS } from '../common/redis/redis.factory';
import { keyDigest } from './fingerprint';

/** A stored response, replayed byte-for-byte in status and body. */
export interface StoredResponse {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

export type BeginResult =
  | { state: 'acquired'; createdAt: number }
  | { state: 'mismatch'; createdAt: number }
  | { state: 'running'; retryAfterMs: number; createdAt: number }
  | { state: 'done'; response: StoredResponse; createdAt: number };

/*
 * One hash per (user, scope, key): fp, state (running|done), owner (fencing token), lease (ms epoch,
 * Redis clock), created (ms), resp (JSON). The record lives IDEMPOTENCY_KEY_TTL_MS; the in-flight
 * lease is separate and short, so a request whose instance died can be retried after the lease.
 */
const BEGIN = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local r = redis.call('HMGET', KEYS[1], 'fp', 'state', 'lease', 'resp', 'created')
if not r[1] then
  redis.call('HSET', KEYS[1], 'fp', ARGV[1], 'state', 'running', 'owner', ARGV[2], 'lease', now + tonumber(ARGV[3]), 'created', now, 'started', now)
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
  return {'acquired', tostring(now)}
end
if r[1] ~= ARGV[1] then return {'mismatch', r[5]} end
if r[2] == 'done' then return {'done', r[5], r[4]} end
if tonumber(r[3]) <= now then
  redis.call('HSET', KEYS[1], 'owner', ARGV[2], 'lease', now + tonumber(ARGV[3]), 'started', now)
  return {'acquired', r[5]}
end
local started = tonumber(redis.call('HGET', KEYS[1], 'started') or now)
return {'running', r[5], tostring(tonumber(r[3]) - now), tostring(now - started)}`;

const RENEW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if redis.call('HGET', KEYS[1], 'owner') == ARGV[1] and redis.call('HGET', KEYS[1], 'state') == 'running' then
  redis.call('HSET', KEYS[1], 'lease', now + tonumber(ARGV[2])) return 1 end
return 0`;

const COMPLETE = `
if redis.call('HGET', KEYS[1], 'owner') == ARGV[1] and redis.call('HGET', KEYS[1], 'state') == 'running' then
  redis.call('HSET', KEYS[1], 'state', 'done', 'resp', ARGV[2]) redis.call('HDEL', KEYS[1], 'owner', 'lease') return 1 end
return 0`;

const ABANDON = `
if redis.call('HGET', KEYS[1], 'owner') == ARGV[1] and redis.call('HGET', KEYS[1], 'state') == 'running' then
  return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * Redis side of the Idempotency-Key protocol. Every write after `begin` is fenced by the owner
 * token: a stale owner (its lease expired and another request took over) can neither renew nor
 * overwrite the newer result.
 */
@Injectable()
export class IdempotencyKeyStore {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(idempotencyConfig.KEY) readonly cfg: ConfigType<typeof idempotencyConfig>,
  ) {}

  recordKey(userId: string, scope: string, key: string): string {
    return `idem:{${userId}}:${scope}:${keyDigest(key)}`;
  }

  async begin(recordKey: string, fingerprint: string, owner: string): Promise<BeginResult> {
    const r = (await this.redis.eval(
      BEGIN,
      1,
      recordKey,
      fingerprint,
      owner,
      this.cfg.leaseMs,
      this.cfg.keyTtlMs,
    )) as string[];
    const createdAt = Number(r[1]);
    switch (r[0]) {
      case 'acquired':
        return { state: 'acquired', createdAt };
      case 'mismatch':
        return { state: 'mismatch', createdAt };
      case 'done':
        return { state: 'done', createdAt, response: JSON.parse(r[2]) as StoredResponse };
      default: {
        // Retry-After: as long as the first request has run so far (at least 1 s), never past the lease.
        // A live holder renews its lease, so the lease alone would always say ~IDEMPOTENCY_LEASE_MS even
        // when the first request is 50 ms from done; the lease only bounds the wait for a dead holder.
        const leaseLeftMs = Number(r[2]);
        const elapsedMs = Number(r[3] ?? 0);
        return {
          state: 'running',
          createdAt,
          retryAfterMs: Math.min(leaseLeftMs, Math.max(1000, elapsedMs)),
        };
      }
    }
  }

  async renew(recordKey: string, owner: string): Promise<boolean> {
    return (await this.redis.eval(RENEW, 1, recordKey, owner, this.cfg.leaseMs)) === 1;
  }

  async complete(recordKey: string, owner: string, response: StoredResponse): Promise<boolean> {
    return (await this.redis.eval(COMPLETE, 1, recordKey, owner, JSON.stringify(response))) === 1;
  }

  /** Drops the in-flight record (outcomes that are not stored: 5xx, 429, validation errors). */
  async abandon(recordKey: string, owner: string): Promise<boolean> {
    return (await this.redis.eval(ABANDON, 1, recordKey, owner)) === 1;
  }
}
