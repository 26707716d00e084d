import { ChildProcess, spawn } from 'node:child_process';
import Redis from 'ioredis';
import { LockService, OneTimeTokenService, SubmitGuardService } from '../src/idempotency';
import { createProduct, eventually, newUserId } from './factories/order.factory';
import { createTestApp, freePort, TestApp } from './utils/test-app';

/**
 * A write whose answer was lost still lands later: ioredis keeps a timed-out command queued and sends
 * it when the node answers again (what a Redis Cluster failover does to the commands in flight). The
 * request that got the error must not leave its lock, guard or token consumption behind for a token
 * that nobody holds (the failover suite saw a pre-pay answer 409 for 9 s after the new master served).
 *
 * Made deterministic on a Redis of this suite's own (never the shared one): `CLIENT PAUSE <ms> WRITE`
 * holds every write on the server, the app's 200 ms command timeout fails the acquire (503), and the
 * write runs when the pause ends. Then the key must be gone (or the token usable) long before its TTL.
 */
const PAUSE_MS = 1200;
const COMMAND_TIMEOUT_MS = 200;
/** the undo runs 1 s, then 3 s after the failure: the late write (at the pause's end) is undone by the second */
const UNDONE_WITHIN_MS = 4000;
const TTL_MS = 30_000;

describe('Redis writes whose answer was lost are undone by their own token', () => {
  let server: ChildProcess;
  let admin: Redis;
  let t: TestApp;

  beforeAll(async () => {
    const port = await freePort();
    server = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    );
    // retried until the server listens (a few hundred ms)
    admin = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: null, retryStrategy: () => 50 });
    admin.on('error', () => undefined);
    expect(await admin.ping()).toBe('PONG');
    t = await createTestApp({
      env: { REDIS_URL: `redis://127.0.0.1:${port}`, REDIS_COMMAND_TIMEOUT_MS: String(COMMAND_TIMEOUT_MS) },
    });
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    admin?.disconnect();
    server?.kill('SIGTERM');
  });

  /** SET calls the server has executed so far (a paused write counts once it runs). */
  const executed = async (cmd: string) =>
    Number(new RegExp(`cmdstat_${cmd}:calls=(\\d+)`).exec(await admin.info('commandstats'))?.[1] ?? 0);

  /**
   * Runs `write` while the server holds writes: it must fail (the services answer the guards' 503, the
   * submit guard leaves that to its interceptor and throws the client's error); returns when the pause is over.
   */
  async function duringPause(
    write: () => Promise<unknown>,
    failure: object = { code: 'SERVICE_UNAVAILABLE' },
  ) {
    await admin.call('CLIENT', 'PAUSE', String(PAUSE_MS), 'WRITE');
    const pausedAt = Date.now();
    await expect(write()).rejects.toMatchObject(failure);
    await new Promise((r) => setTimeout(r, Math.max(0, pausedAt + PAUSE_MS + 50 - Date.now())));
    return pausedAt;
  }

  it('a lock whose SET timed out: the late SET lands and is released again; the next acquire gets it', async () => {
    const locks = t.app.get(LockService);
    const key = `lock:order:{lost-${newUserId()}}`;
    const setsBefore = await executed('set');
    const pausedAt = await duringPause(() => locks.acquire(key, TTL_MS, 0));
    // the SET ran when the pause ended (it was not dropped) ...
    await eventually(async () => (await executed('set')) > setsBefore, PAUSE_MS + 2000, 50);
    // ... and the lock is free again long before its 30 s TTL
    await eventually(
      async () => (await admin.exists(`${t.redisPrefix}${key}`)) === 0,
      PAUSE_MS + UNDONE_WITHIN_MS,
      100,
    );
    expect(Date.now() - pausedAt).toBeLessThan(TTL_MS / 2);
    await expect(locks.acquire(key, TTL_MS, 0)).resolves.toEqual(expect.any(String));
  });

  it('a submit guard whose SET timed out: the same body may be sent again', async () => {
    const guard = t.app.get(SubmitGuardService);
    const user = newUserId();
    const setsBefore = await executed('set');
    await duringPause(() => guard.acquire(user, 'fp-lost', TTL_MS), { message: 'Command timed out' });
    await eventually(async () => (await executed('set')) > setsBefore, PAUSE_MS + 2000, 50);
    await eventually(
      async () => (await admin.exists(`${t.redisPrefix}${guard.key(user, 'fp-lost')}`)) === 0,
      PAUSE_MS + UNDONE_WITHIN_MS,
      100,
    );
    await expect(guard.acquire(user, 'fp-lost', TTL_MS)).resolves.toMatchObject({ acquired: true });
  });

  it('a one-time token whose consumption timed out is given back: the retry consumes it once', async () => {
    const tokens = t.app.get(OneTimeTokenService);
    const user = newUserId();
    const { token } = await tokens.issue(user);
    const evalsBefore = await executed('eval');
    await duringPause(() => tokens.consume(user, token));
    await eventually(async () => (await executed('eval')) > evalsBefore, PAUSE_MS + 2000, 50);
    const key = `${t.redisPrefix}tok:{${user}}:${token}`;
    await eventually(async () => (await admin.get(key)) === '1', PAUSE_MS + UNDONE_WITHIN_MS, 100);
    await expect(tokens.consume(user, token)).resolves.toMatch(/^used:/);
    await expect(tokens.consume(user, token)).rejects.toMatchObject({ code: 'TOKEN_USED' });
  });

  it('an Idempotency-Key whose in-flight record timed out: the keyed retry runs at once (not 409 for the 30 s lease)', async () => {
    const product = await createProduct(t, { price: 100, stock: 10 });
    const auth = t.bearer(newUserId());
    const submit = () =>
      t
        .http()
        .post('/v1/orders')
        .set('Authorization', auth)
        .set('Idempotency-Key', 'lost-begin')
        .send({ items: [{ productId: product.id, quantity: 1 }] });
    const evalsBefore = await executed('eval');
    await admin.call('CLIENT', 'PAUSE', String(PAUSE_MS), 'WRITE');
    const first = await submit();
    expect(first.status).toBe(503);
    await eventually(async () => (await executed('eval')) > evalsBefore, PAUSE_MS + 2000, 50);
    const retry = await eventually(
      async () => {
        const res = await submit();
        return res.status === 201 ? res : undefined;
      },
      PAUSE_MS + UNDONE_WITHIN_MS,
      200,
    );
    expect(retry.body.orderNo).toEqual(expect.any(String));
    expect((await submit()).headers['idempotent-replayed']).toBe('true');
  });
});
