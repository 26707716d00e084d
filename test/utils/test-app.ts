import { DynamicModule, Type } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomBytes } from 'node:crypto';
import { createServer, Server } from 'node:net';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { createApp } from '../../src/bootstrap';
import { deleteRedisPrefix, dropDatabase } from './services';

export interface TestAppOptions {
  /** Extra environment for this instance (e.g. a short ORDER_TTL_MS, a dead REDIS_URL). */
  env?: Record<string, string>;
  /** Share a database with another instance (two instances, one database). */
  dbName?: string;
  /** Share a Redis prefix with another instance. */
  redisPrefix?: string;
  /** Leave the database in place on close (the other instance owns it). */
  keepDb?: boolean;
  /** Extra Nest modules mounted beside the app (test-only probes). */
  imports?: Array<Type | DynamicModule>;
}

export interface TestApp {
  app: NestFastifyApplication;
  port: number;
  baseUrl: string;
  dbName: string;
  redisPrefix: string;
  dataSource: DataSource;
  /** supertest bound to this instance's real listening port. */
  http: () => request.Agent;
  /** A bearer header value for a user (or admin). */
  bearer: (userId: string, role?: 'user' | 'admin') => string;
  close: () => Promise<void>;
}

export function randomSuffix(): string {
  return randomBytes(5).toString('hex');
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/**
 * `n` consecutive free loopback ports, for `npm run start:cluster` (which listens on PORT, PORT+1, ...).
 * Picked below Linux's ephemeral range (32768-60999): there, the port after a free one may be the
 * local end of any of the suite's many client connections, and a listen on it fails with EADDRINUSE.
 * Every port is held at once while checking, then released.
 */
export async function freeConsecutivePorts(n: number): Promise<number> {
  const hold = (port: number) =>
    new Promise<Server | null>((resolve) => {
      const srv = createServer();
      srv.once('error', () => resolve(null));
      srv.listen(port, '127.0.0.1', () => resolve(srv));
    });
  for (let tries = 0; tries < 50; tries++) {
    const base = 20000 + Math.floor(Math.random() * (32000 - 20000 - n));
    const held = await Promise.all(Array.from({ length: n }, (_, i) => hold(base + i)));
    await Promise.all(held.map((s) => s && new Promise((r) => s.close(r))));
    if (held.every(Boolean)) return base;
  }
  throw new Error(`no ${n} consecutive free ports found between 20000 and 32000`);
}

/**
 * Starts a real instance of oncepay on a free loopback port, with a database of its own (created
 * and migrated by the app itself) and a Redis key prefix of its own.
 */
export async function createTestApp(opts: TestAppOptions = {}): Promise<TestApp> {
  const port = await freePort();
  const dbName = opts.dbName ?? `oncepay_t_${randomSuffix()}`;
  const redisPrefix = opts.redisPrefix ?? `t${randomSuffix()}:`;
  const saved = { ...process.env };
  Object.assign(process.env, {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    PORT: String(port),
    HOST: '127.0.0.1',
    DB_NAME: dbName,
    REDIS_KEY_PREFIX: redisPrefix,
    // suites fire hundreds of requests per user on purpose; test/rate-limit.e2e-spec.ts turns limits on
    RATE_LIMIT_ENABLED: 'false',
    ORDER_MAX_UNPAID: '1000000',
    ...opts.env,
  });
  let app: NestFastifyApplication;
  try {
    app = await createApp(opts.imports ?? []);
    await app.listen({ port, host: '127.0.0.1' });
  } finally {
    process.env = saved;
  }
  const jwt = app.get(JwtService);
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    app,
    port,
    baseUrl,
    dbName,
    redisPrefix,
    dataSource: app.get(DataSource),
    http: () => request.agent(baseUrl),
    bearer: (userId, role = 'user') => `Bearer ${jwt.sign({ sub: userId, role })}`,
    close: async () => {
      await app.close();
      if (!opts.keepDb) await dropDatabase(dbName);
      if (!opts.redisPrefix) await deleteRedisPrefix(redisPrefix, !!opts.env?.REDIS_CLUSTER_NODES);
    },
  };
}
