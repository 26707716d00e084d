import Redis from 'ioredis';
import { EntityManager } from 'typeorm';
import { REDIS } from '../src/common/redis/redis.factory';
import {
  DedupService,
  LockService,
  OneTimeTokenService,
  StateMachine,
  SubmitGuardService,
} from '../src/idempotency';
import { casTransition } from '../src/idempotency/state-machine';
import { IdempotencyKeyStore } from '../src/idempotency/idempotency-key.store';
import { requestFingerprint } from '../src/idempotency/fingerprint';
import { eventually } from './factories/order.factory';
import { IdemProbeModule, probeGate } from './utils/idem-probe.module';
import { deleteRedisPrefix } from './utils/services';
import { createTestApp, randomSuffix, TestApp } from './utils/test-app';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('IdempotencyModule (real MySQL + Redis)', () => {
  let t: TestApp;
  let t2: TestApp; // a second instance on the same database and Redis prefix

  beforeAll(async () => {
    const env = { IDEMPOTENCY_LEASE_MS: '600', SUBMIT_DEDUP_WINDOW_MS: '5000' };
    t = await createTestApp({ env, imports: [IdemProbeModule] });
    t2 = await createTestApp({
      env,
      imports: [IdemProbeModule],
      dbName: t.dbName,
      redisPrefix: t.redisPrefix,
      keepDb: true,
    });
  });
  afterAll(async () => {
    await t2.close();
    await t.close();
  });

  const widgets = async (userId: string) =>
    Number(
      (await t.dataSource.query('SELECT COUNT(*) n FROM probe_widget WHERE user_id = ?', [userId]))[0].n,
    );

  describe('runOnce over t_uq_dipose', () => {
    it('200 concurrent calls with one ref run the work exactly once; the others report duplicate', async () => {
      const dedup = t.app.get(DedupService);
      const dedup2 = t2.app.get(DedupService);
      const ref = `r-${randomSuffix()}`;
      let runs = 0;
      const work = async (m: EntityManager) => {
        runs++;
        await m.query('SELECT SLEEP(0.01)');
        return 'ok';
      };
      const results = await Promise.all(
        Array.from({ length: 200 }, (_, i) => (i % 2 ? dedup : dedup2).runOnce('TEST', ref, work)),
      );
      expect(results.filter((r) => r.status === 'done')).toHaveLength(1);
      expect(results.filter((r) => r.status === 'duplicate')).toHaveLength(199);
      expect(runs).toBe(1);
      const rows = await t.dataSource.query(
        "SELECT COUNT(*) n FROM t_uq_dipose WHERE ref_type='TEST' AND ref_id=?",
        [ref],
      );
      expect(Number(rows[0].n)).toBe(1);
    });

    it('work that throws leaves no marker, so a retry runs', async () => {
      const dedup = t.app.get(DedupService);
      const ref = `r-${randomSuffix()}`;
      await expect(
        dedup.runOnce('TEST', ref, async () => {
          throw new Error('fail');
        }),
      ).rejects.toThrow('fail');
      expect(await dedup.isDone('TEST', ref)).toBe(false);
      const again = await dedup.runOnce('TEST', ref, async () => 42);
      expect(again).toEqual({ status: 'done', result: 42 });
      expect(await dedup.isDone('TEST', ref)).toBe(true);
    });

    it('joins an outer transaction: a duplicate leaves the outer transaction usable', async () => {
      const dedup = t.app.get(DedupService);
      const ref = `r-${randomSuffix()}`;
      await dedup.runOnce('TEST', ref, async () => 1);
      const outcome = await t.dataSource.transaction(async (m) => {
        const inner = await dedup.runOnce('TEST', ref, async () => 2, { manager: m });
        await m.query("INSERT INTO t_uq_dipose (ref_type, ref_id) VALUES ('TEST2', ?)", [ref]);
        return inner;
      });
      expect(outcome).toEqual({ status: 'duplicate' });
      expect(await dedup.isDone('TEST2', ref)).toBe(true);
    });
  });

  describe('CAS transitions', () => {
    const machine = new StateMachine<'A' | 'B' | 'C'>('probe', { A: ['B'], B: ['C'] });

    it('exactly one of 20 concurrent CAS calls wins; illegal transitions are refused', async () => {
      await t.dataSource.query(
        'CREATE TABLE IF NOT EXISTS probe_cas (id INT PRIMARY KEY, status VARCHAR(8), version INT NOT NULL DEFAULT 0)',
      );
      await t.dataSource.query("INSERT INTO probe_cas (id, status) VALUES (1, 'A')");
      const wins = await Promise.all(
        Array.from({ length: 20 }, () =>
          t.dataSource.transaction((m) =>
            casTransition(m, { table: 'probe_cas', idColumn: 'id', id: 1, machine, from: 'A', to: 'B' }),
          ),
        ),
      );
      expect(wins.filter(Boolean)).toHaveLength(1);
      const [row] = await t.dataSource.query('SELECT status, version FROM probe_cas WHERE id = 1');
      expect(row).toEqual({ status: 'B', version: 1 });
      await expect(
        t.dataSource.transaction((m) =>
          casTransition(m, { table: 'probe_cas', idColumn: 'id', id: 1, machine, from: 'A', to: 'C' }),
        ),
      ).rejects.toMatchObject({ code: 'ILLEGAL_TRANSITION' });
      expect(machine.isTerminal('C')).toBe(true);
    });
  });

  describe('submit guard', () => {
    it('200 concurrent acquires of one fingerprint: exactly one proceeds; after release another can', async () => {
      const guard = t.app.get(SubmitGuardService);
      const user = `u-${randomSuffix()}`;
      const fp = requestFingerprint(user, 's', { a: 1 });
      const results = await Promise.all(Array.from({ length: 200 }, () => guard.acquire(user, fp)));
      const winners = results.filter((r) => r.acquired);
      expect(winners).toHaveLength(1);
      const w = winners[0] as { key: string; token: string };
      expect(await guard.release(w.key, 'not-my-token')).toBe(false);
      expect((await guard.acquire(user, fp)).acquired).toBe(false);
      expect(await guard.release(w.key, w.token)).toBe(true);
      expect((await guard.acquire(user, fp)).acquired).toBe(true);
    });

    it('a refused acquire is one Redis command that also reads the holder: running, then done with its result', async () => {
      const guard = t.app.get(SubmitGuardService);
      const redis = t.app.get<Redis>(REDIS);
      const user = `u-${randomSuffix()}`;
      const fp = requestFingerprint(user, 's', { b: 1 });
      const w = (await guard.acquire(user, fp)) as { acquired: true; key: string; token: string };
      expect(w.acquired).toBe(true);
      const sent = jest.spyOn(redis, 'sendCommand');
      try {
        expect(await guard.acquire(user, fp)).toEqual({ acquired: false, holder: { state: 'running' } });
        expect(sent.mock.calls.map(([c]) => c.name)).toEqual(['set']);
        expect(await guard.attachResult(w.key, w.token, 'R-1')).toBe(true);
        sent.mockClear();
        expect(await guard.acquire(user, fp)).toEqual({
          acquired: false,
          holder: { state: 'done', resultId: 'R-1' },
        });
        // one SET answers; the MULTI GET + PTTL beside it is how the done holder is remembered (next test)
        expect(
          sent.mock.calls.map(([c]) => c.name).filter((n) => !['multi', 'get', 'pttl', 'exec'].includes(n)),
        ).toEqual(['set']);
      } finally {
        sent.mockRestore();
      }
      // the refusals did not touch the holder's value or its TTL
      expect(await redis.get(w.key)).toBe(`${w.token}|R-1`);
      expect(await redis.pttl(w.key)).toBeGreaterThan(0);
    });

    it('a done holder is remembered until its key expires: later duplicates are refused without Redis, none past the window', async () => {
      const guard = t.app.get(SubmitGuardService);
      const redis = t.app.get<Redis>(REDIS);
      const user = `u-${randomSuffix()}`;
      const fp = requestFingerprint(user, 's', { c: 1 });
      const setAt = Date.now();
      const w = (await guard.acquire(user, fp, 1500)) as { acquired: true; key: string; token: string };
      const done = { acquired: false, holder: { state: 'done', resultId: 'R-2' } };
      // running holders are never remembered: each duplicate asks Redis
      const sent = jest.spyOn(redis, 'sendCommand');
      try {
        expect((await guard.acquire(user, fp)).acquired).toBe(false);
        expect((await guard.acquire(user, fp)).acquired).toBe(false);
        expect(sent.mock.calls.filter(([c]) => c.name === 'set')).toHaveLength(2);
        await guard.attachResult(w.key, w.token, 'R-2');
        expect(await guard.acquire(user, fp)).toEqual(done); // from Redis; its PTTL follows, off the path
        await eventually(
          async () => {
            sent.mockClear();
            const r = await guard.acquire(user, fp);
            return sent.mock.calls.length === 0 && JSON.stringify(r) === JSON.stringify(done);
          },
          1000,
          10,
        );
        // Redis losing the key does not let a duplicate through within the window
        await redis.del(w.key);
        sent.mockClear();
        expect(await guard.acquire(user, fp)).toEqual(done);
        expect(sent.mock.calls).toHaveLength(0);
      } finally {
        sent.mockRestore();
      }
      // once the window has passed, Redis decides again: the same body may run
      await sleep(setAt + 1500 - Date.now() + 20);
      expect((await guard.acquire(user, fp)).acquired).toBe(true);
    });

    it('over HTTP: duplicate → 409 DUPLICATE_SUBMIT naming the first result; a failed submit frees the key', async () => {
      const user = `u-${randomSuffix()}`;
      const first = await t
        .http()
        .post('/v1/probe/widgets')
        .set('Authorization', t.bearer(user))
        .send({ name: 'w' });
      expect(first.status).toBe(201);
      const dup = await t2
        .http()
        .post('/v1/probe/widgets')
        .set('Authorization', t2.bearer(user))
        .send({ name: 'w' });
      expect(dup.status).toBe(409);
      expect(dup.body).toMatchObject({
        code: 'DUPLICATE_SUBMIT',
        details: { widgetId: first.body.widgetId },
      });

      const failing = { name: 'x', outcome: 'conflict' };
      await t.http().post('/v1/probe/widgets').set('Authorization', t.bearer(user)).send(failing).expect(409);
      const retry = await t
        .http()
        .post('/v1/probe/widgets')
        .set('Authorization', t.bearer(user))
        .send(failing);
      expect(retry.body.code).toBe('OUT_OF_STOCK'); // ran again, not DUPLICATE_SUBMIT
      expect(await widgets(user)).toBe(1);
    });
  });

  describe('Idempotency-Key', () => {
    const post = (app: TestApp, user: string, key: string, body: object) =>
      app
        .http()
        .post('/v1/probe/widgets')
        .set('Authorization', app.bearer(user))
        .set('Idempotency-Key', key)
        .send(body);

    it('replays the first response with Idempotent-Replayed, across instances, and keeps Expires', async () => {
      const user = `u-${randomSuffix()}`;
      const first = await post(t, user, 'k1', { name: 'a', tags: { x: 1, y: 2 } });
      expect(first.status).toBe(201);
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      const expires = Date.parse(first.headers['idempotency-key-expires']);
      expect(expires - Date.now()).toBeGreaterThan(23 * 3600 * 1000);
      // same body with keys in another order: same fingerprint
      const again = await post(t2, user, 'k1', { tags: { y: 2, x: 1 }, name: 'a' });
      expect(again.status).toBe(201);
      expect(again.body).toEqual(first.body);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.headers['idempotency-key-expires']).toBe(first.headers['idempotency-key-expires']);
      expect(await widgets(user)).toBe(1);
    });

    it('same key with another body → 422 IDEMPOTENCY_KEY_REUSED; keys are scoped per user', async () => {
      const user = `u-${randomSuffix()}`;
      await post(t, user, 'k2', { name: 'a' }).expect(201);
      const other = await post(t, user, 'k2', { name: 'b' }).expect(422);
      expect(other.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
      await post(t, `${user}-other`, 'k2', { name: 'b' }).expect(201);
    });

    it('a repeat while the first still runs → 409 REQUEST_IN_PROGRESS with Retry-After; 20 concurrent → 1 widget', async () => {
      const user = `u-${randomSuffix()}`;
      // the request that wins the key waits at a gate until the 19 others have answered
      const gate = `g-${randomSuffix()}`;
      let answered = 0;
      const pending = Array.from({ length: 20 }, (_, i) =>
        post(i % 2 ? t : t2, user, 'k3', { name: 'slow', gate }).then((r) => {
          answered++;
          return r;
        }),
      );
      await eventually(async () => answered === 19);
      probeGate(gate).open();
      const results = await Promise.all(pending);
      const created = results.filter((r) => r.status === 201);
      const busy = results.filter((r) => r.status === 409);
      expect(created).toHaveLength(1);
      expect(busy).toHaveLength(19);
      expect(busy[0].body.code).toBe('REQUEST_IN_PROGRESS');
      expect(Number(busy[0].headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(await widgets(user)).toBe(1);
    });

    it('business 4xx is stored and replayed; 5xx and validation failures are not', async () => {
      const user = `u-${randomSuffix()}`;
      const conflict = await post(t, user, 'k4', { name: 'a', outcome: 'conflict' }).expect(409);
      const replay = await post(t, user, 'k4', { name: 'a', outcome: 'conflict' }).expect(409);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.body.code).toBe(conflict.body.code);

      await post(t, user, 'k5', { name: 'a', outcome: 'crash' }).expect(500);
      const afterCrash = await post(t, user, 'k5', { name: 'a', outcome: 'crash' }).expect(500);
      expect(afterCrash.headers['idempotent-replayed']).toBeUndefined();

      await post(t, user, 'k6', { name: 42 }).expect(400);
      const fixed = await post(t, user, 'k6', { name: 42 }).expect(400);
      expect(fixed.headers['idempotent-replayed']).toBeUndefined();
    });

    it('a malformed key is 400 and changes nothing', async () => {
      const user = `u-${randomSuffix()}`;
      const res = await post(t, user, 'x'.repeat(256), { name: 'a' }).expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(await widgets(user)).toBe(0);
    });

    it("a crashed holder's lease expires and the retry runs (not 409 for 24 h)", async () => {
      const user = `u-${randomSuffix()}`;
      const body = { name: 'a' };
      const store = t.app.get(IdempotencyKeyStore);
      // an instance began this request and died: its lease (600 ms in this test) is never renewed
      const fp = requestFingerprint(user, 'probe.widgets', body);
      expect((await store.begin(store.recordKey(user, 'probe.widgets', 'k7'), fp, 'dead-owner')).state).toBe(
        'acquired',
      );
      await post(t, user, 'k7', body).expect(409);
      await sleep(700);
      await post(t, user, 'k7', body).expect(201);
      // and the dead owner can no longer write its result
      expect(
        await store.complete(store.recordKey(user, 'probe.widgets', 'k7'), 'dead-owner', {
          status: 500,
          body: {},
          headers: {},
        }),
      ).toBe(false);
      const replay = await post(t, user, 'k7', body).expect(201);
      expect(replay.headers['idempotent-replayed']).toBe('true');
    });

    it('a long request keeps its lease renewed (no takeover while it runs)', async () => {
      const user = `u-${randomSuffix()}`;
      // supertest sends on then(): start it now
      const slow = post(t, user, 'k8', { name: 'a', delayMs: 1500 }).then((r) => r);
      await sleep(1000); // past one lease length
      const during = await post(t2, user, 'k8', { name: 'a', delayMs: 1500 });
      expect(during.status).toBe(409);
      expect((await slow).status).toBe(201);
      expect(await widgets(user)).toBe(1);
    });

    it('the unique-row backstop holds when Redis loses the record between two retries', async () => {
      const user = `u-${randomSuffix()}`;
      const first = await post(t, user, 'k9', { name: 'a' }).expect(201);
      await deleteRedisPrefix(t.redisPrefix);
      const again = await post(t, user, 'k9', { name: 'a' }).expect(201);
      expect(again.body).toEqual(first.body);
      expect(again.headers['idempotent-replayed']).toBe('true');
      await deleteRedisPrefix(t.redisPrefix);
      await post(t, user, 'k9', { name: 'b' }).expect(422);
      expect(await widgets(user)).toBe(1);
    });

    it("after Redis lost a key's record, a refusal under another body never takes the record: the genuine retry still replays", async () => {
      const user = `u-${randomSuffix()}`;
      const first = await post(t, user, 'k10', { name: 'a' }).expect(201);
      await deleteRedisPrefix(t.redisPrefix);
      // another body under the key: the row backstop refuses it (422) — and must not store that for 24 h
      for (let i = 0; i < 2; i++) {
        const other = await post(t, user, 'k10', { name: 'b' }).expect(422);
        expect(other.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
      }
      const again = await post(t2, user, 'k10', { name: 'a' }).expect(201);
      expect(again.body).toEqual(first.body);
      expect(again.headers['idempotent-replayed']).toBe('true');
      // now the record is the first request's again: the other body is refused by Redis alone
      await post(t, user, 'k10', { name: 'b' }).expect(422);
      expect(await widgets(user)).toBe(1);
    });
  });

  describe('one-time tokens', () => {
    it('100 concurrent uses of one token → exactly one success, the rest TOKEN_USED', async () => {
      const user = `u-${randomSuffix()}`;
      const issued = await t
        .http()
        .post('/v1/idempotency-tokens')
        .set('Authorization', t.bearer(user))
        .expect(201);
      expect(Date.parse(issued.body.expiresAt)).toBeGreaterThan(Date.now());
      const results = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          (i % 2 ? t : t2)
            .http()
            .post('/v1/probe/widgets')
            .set('Authorization', t.bearer(user))
            .set('Idempotency-Token', issued.body.token)
            .send({ name: `w${i}` }),
        ),
      );
      expect(results.filter((r) => r.status === 201)).toHaveLength(1);
      expect(results.filter((r) => r.body.code === 'TOKEN_USED')).toHaveLength(99);
      expect(await widgets(user)).toBe(1);
    });

    it('an unknown token → 409 TOKEN_INVALID; another user cannot use my token', async () => {
      const user = `u-${randomSuffix()}`;
      const bad = await t
        .http()
        .post('/v1/probe/widgets')
        .set('Authorization', t.bearer(user))
        .set('Idempotency-Token', 'nope')
        .send({ name: 'a' })
        .expect(409);
      expect(bad.body.code).toBe('TOKEN_INVALID');
      const tokens = t.app.get(OneTimeTokenService);
      const { token } = await tokens.issue(user);
      await expect(tokens.consume(`${user}-x`, token)).rejects.toMatchObject({ code: 'TOKEN_INVALID' });
      await expect(tokens.consume(user, token)).resolves.toMatch(/^used:/);
    });
  });

  describe('distributed lock', () => {
    it('50 concurrent callers across two Redis connections increment a counter exactly', async () => {
      const locks = [t.app.get(LockService), t2.app.get(LockService)];
      const key = `lock:test:{${randomSuffix()}}`;
      let counter = 0;
      await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          locks[i % 2].withLock(
            key,
            2000,
            async () => {
              const v = counter;
              await sleep(2);
              counter = v + 1;
            },
            { waitMs: 20000 },
          ),
        ),
      );
      expect(counter).toBe(50);
    });

    it('a lock held past its TTL cannot be released by its old holder', async () => {
      const lock = t.app.get(LockService);
      const key = `lock:test:{${randomSuffix()}}`;
      const oldToken = await lock.acquire(key, 100, 0);
      await sleep(150);
      const newToken = await lock.acquire(key, 5000, 0);
      expect(await lock.release(key, oldToken)).toBe(false);
      await expect(lock.acquire(key, 5000, 50)).rejects.toMatchObject({ code: 'REQUEST_IN_PROGRESS' });
      expect(await lock.release(key, newToken)).toBe(true);
    });
  });

  it('/metrics counts the primitives', async () => {
    const res = await t.http().get('/metrics').expect(200);
    expect(res.text).toMatch(
      /oncepay_idempotency_events_total\{primitive="submit_guard",outcome="blocked"\} [1-9]/,
    );
    expect(res.text).toMatch(
      /oncepay_idempotency_events_total\{primitive="idempotency_key",outcome="replay"\} [1-9]/,
    );
    expect(res.text).toMatch(
      /oncepay_idempotency_events_total\{primitive="run_once",outcome="duplicate"\} [1-9]/,
    );
  });

  it('the app Redis client is prefixed (keys never collide across deployments)', async () => {
    const redis = t.app.get<Redis>(REDIS);
    expect(redis.options.keyPrefix).toBe(t.redisPrefix);
  });
});

describe('IdempotencyModule with Redis unreachable', () => {
  let closed: TestApp;
  let open: TestApp;
  beforeAll(async () => {
    const dead = { REDIS_URL: 'redis://127.0.0.1:6390', REDIS_COMMAND_TIMEOUT_MS: '300' };
    closed = await createTestApp({ env: dead, imports: [IdemProbeModule] });
    open = await createTestApp({ env: { ...dead, GUARD_FAIL_MODE: 'open' }, imports: [IdemProbeModule] });
  });
  afterAll(async () => {
    await closed.close();
    await open.close();
  });

  it('guards fail closed with 503 SERVICE_UNAVAILABLE and nothing is written', async () => {
    for (const headers of [{}, { 'Idempotency-Key': 'k' }, { 'Idempotency-Token': 'tok' }]) {
      const res = await closed
        .http()
        .post('/v1/probe/widgets')
        .set('Authorization', closed.bearer('u1'))
        .set(headers)
        .send({ name: 'a' });
      expect(res.status).toBe(503);
      expect(res.body.code).toBe('SERVICE_UNAVAILABLE');
    }
    const rows = await closed.dataSource.query('SELECT COUNT(*) n FROM probe_widget');
    expect(Number(rows[0].n)).toBe(0);
  });

  it('GUARD_FAIL_MODE=open lets submits through; the row key still blocks a keyed duplicate', async () => {
    const send = () =>
      open
        .http()
        .post('/v1/probe/widgets')
        .set('Authorization', open.bearer('u1'))
        .set('Idempotency-Key', 'k-open')
        .send({ name: 'a' });
    const first = await send().expect(201);
    const second = await send().expect(201);
    expect(second.body).toEqual(first.body);
    const rows = await open.dataSource.query('SELECT COUNT(*) n FROM probe_widget');
    expect(Number(rows[0].n)).toBe(1);
  });

  it('runOnce does not depend on Redis at all', async () => {
    const dedup = closed.app.get(DedupService);
    expect((await dedup.runOnce('TEST', 'no-redis', async () => 'x')).status).toBe('done');
    expect((await dedup.runOnce('TEST', 'no-redis', async () => 'x')).status).toBe('duplicate');
  });
});
