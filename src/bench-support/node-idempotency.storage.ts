import type Redis from 'ioredis';

/**
 * A storage adapter for @node-idempotency/nestjs on the app's own ioredis client (prefixed), so the
 * comparison row of the bench measures that library's logic, not a second Redis client library.
 * Shape of @node-idempotency/storage's StorageAdapter (typed locally: that package is a
 * devDependency used only by the bench).
 */
export class IoredisIdempotencyStorage {
  constructor(private readonly redis: Redis) {}

  async setIfNotExists(key: string, val: string, { ttl }: { ttl?: number } = {}): Promise<boolean> {
    const res = ttl
      ? await this.redis.set(`nodeidem:${key}`, val, 'PX', ttl, 'NX')
      : await this.redis.set(`nodeidem:${key}`, val, 'NX');
    return res === 'OK';
  }

  async set(key: string, val: string, { ttl }: { ttl?: number }): Promise<void> {
    if (ttl) await this.redis.set(`nodeidem:${key}`, val, 'PX', ttl);
    else await this.redis.set(`nodeidem:${key}`, val);
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.redis.get(`nodeidem:${key}`)) ?? undefined;
  }
}
