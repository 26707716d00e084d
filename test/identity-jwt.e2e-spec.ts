import { JwtService } from '@nestjs/jwt';
import { EXACT_COLUMNS } from '../src/migrations/1733000000000-exact-identifiers';
import { REFUND_EXACT_COLUMNS } from '../src/migrations/1733260000000-refund-exact-identifiers';
import { REFUND_REQUEST_EXACT_COLUMNS } from '../src/migrations/1733400000000-refund-requests';
import { OPERATIONS_EXACT_COLUMNS } from '../src/migrations/1734400000000-operations';
import { LEDGER_EXACT_COLUMNS } from '../src/migrations/1734200000000-ledger';
import { TRANSFER_EXACT_COLUMNS } from '../src/migrations/1734200100000-transfers';
import { countOrders, createProduct, newUserId } from './factories/order.factory';
import { nowS, signRaw, signRawText, TEST_JWT_SECRET } from './utils/jwt';
import { createTestApp, TestApp } from './utils/test-app';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** Issue 10: identities compare byte for byte, and only well-formed, expiring tokens are accepted. */
describe('exact identities and JWT rules (real MySQL + Redis)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: { JWT_SECRET: TEST_JWT_SECRET, JWT_MAX_LIFETIME_S: '7200' } });
  });
  afterAll(() => t.close());

  const bearerRaw = (claims: Record<string, unknown>) => `Bearer ${signRaw(claims)}`;
  const account = (auth: string) => t.http().get('/v1/account').set('Authorization', auth);

  describe('identifier columns', () => {
    it('every identifier column has a binary NO PAD collation', async () => {
      const rows: Array<{ t: string; c: string; coll: string }> = await t.dataSource.query(
        `SELECT TABLE_NAME AS t, COLUMN_NAME AS c, COLLATION_NAME AS coll FROM information_schema.COLUMNS
          WHERE TABLE_SCHEMA = DATABASE()`,
      );
      const want = [
        ...Object.entries(EXACT_COLUMNS).flatMap(([tb, cols]) => cols.map((c) => `${tb}.${c}`)),
        ...Object.entries(REFUND_EXACT_COLUMNS).flatMap(([tb, cols]) =>
          Object.keys(cols).map((c) => `${tb}.${c}`),
        ),
        ...Object.entries(REFUND_REQUEST_EXACT_COLUMNS).flatMap(([tb, cols]) =>
          cols.map((c) => `${tb}.${c}`),
        ),
        ...Object.entries(OPERATIONS_EXACT_COLUMNS).flatMap(([tb, cols]) => cols.map((c) => `${tb}.${c}`)),
        ...Object.entries(LEDGER_EXACT_COLUMNS).flatMap(([tb, cols]) => cols.map((c) => `${tb}.${c}`)),
        ...Object.entries(TRANSFER_EXACT_COLUMNS).flatMap(([tb, cols]) => cols.map((c) => `${tb}.${c}`)),
      ]
        // the simulator core's one attempt log renamed out_biz_no to ref (1734710000000), collation kept
        .map((c) => (c === 'sandbox_notify_attempt.out_biz_no' ? 'sandbox_notify_attempt.ref' : c));
      for (const col of want) {
        const row = rows.find((r) => `${r.t}.${r.c}` === col);
        expect([col, row?.coll]).toEqual([col, expect.stringMatching(/^utf8mb4_(nopad_bin|0900_bin)$/)]);
      }
      // and the collation really is exact: case, accents and trailing spaces all differ
      await t.dataSource.query(
        `INSERT INTO t_user_account (user_id, balance, currency, version, created_at, updated_at)
         VALUES ('coll-uW', 5, 'CNY', 0, NOW(3), NOW(3))`,
      );
      for (const other of ['coll-UW', 'coll-ûW', 'coll-uW ', 'COLL-uw']) {
        const hit = await t.dataSource.query('SELECT user_id FROM t_user_account WHERE user_id = ?', [other]);
        expect([other, hit.length]).toEqual([other, 0]);
      }
    });

    it("a token whose sub differs only in case or accents does not see another user's wallet", async () => {
      await t.dataSource.query(
        `INSERT INTO t_user_account (user_id, balance, currency, version, created_at, updated_at)
         VALUES ('uW', 100000, 'CNY', 0, NOW(3), NOW(3))`,
      );
      const own = await account(t.bearer('uW')).expect(200);
      expect(own.body.balance).toBe(100000);
      for (const sub of ['UW', 'uw']) {
        const res = await account(t.bearer(sub)).expect(200);
        expect([sub, res.body.balance]).toEqual([sub, 0]);
      }
      // ûW and "uW " are not even valid subs (documented charset)
      await account(t.bearer('ûW')).expect(401);
      await account(t.bearer('uW ')).expect(401);
      const rows = await t.dataSource.query(
        "SELECT user_id, balance FROM t_user_account WHERE user_id IN ('uW','UW','uw') ORDER BY balance DESC",
      );
      // only uW holds money; UW / uw have no row or an empty one (reading the account may not create it)
      expect(
        rows.map((r: { user_id: string; balance: string }) => [r.user_id, Number(r.balance)])[0],
      ).toEqual(['uW', 100000]);
      expect(rows.slice(1).every((r: { balance: string }) => Number(r.balance) === 0)).toBe(true);
    });

    it('orders of u1 are not listed for U1', async () => {
      const p = await createProduct(t, { stock: 10 });
      const u = newUserId('lo');
      await t
        .http()
        .post('/v1/orders')
        .set('Authorization', t.bearer(u))
        .send({ items: [{ productId: p.id, quantity: 1 }] })
        .expect(201);
      const mine = await t.http().get('/v1/orders').set('Authorization', t.bearer(u)).expect(200);
      expect(mine.body.items).toHaveLength(1);
      const other = await t
        .http()
        .get('/v1/orders')
        .set('Authorization', t.bearer(u.toUpperCase()))
        .expect(200);
      expect(other.body.items).toHaveLength(0);
    });

    it('Idempotency-Key case-Key-1 and CASE-KEY-1 are two keys: two orders, no replay', async () => {
      const p = await createProduct(t, { stock: 10 });
      const u = newUserId('ik');
      const body = { items: [{ productId: p.id, quantity: 1 }] };
      const submit = (key: string) =>
        t.http().post('/v1/orders').set('Authorization', t.bearer(u)).set('Idempotency-Key', key).send(body);
      const a = await submit('case-Key-1').expect(201);
      const b = await submit('CASE-KEY-1');
      expect(b.status).toBe(201);
      expect(b.headers['idempotent-replayed']).toBeUndefined();
      expect(b.body.orderNo).not.toBe(a.body.orderNo);
      expect(await countOrders(t, 'user_id = ?', [u])).toBe(2);
    });
  });

  describe('JWT', () => {
    it('a signed token without exp is refused', async () => {
      const res = await account(bearerRaw({ sub: 'noexp-admin', role: 'admin', iat: nowS() })).expect(401);
      expect(res.body).toMatchObject({ code: 'UNAUTHORIZED', requestId: expect.any(String) });
      await account(bearerRaw({ sub: 'noexp-admin', role: 'admin' })).expect(401);
    });

    it("a token is verified once per instance; its expiry and each route's roles still apply on every request", async () => {
      const jwt = t.app.get(JwtService);
      const verify = jest.spyOn(jwt, 'verifyAsync');
      try {
        const iat = nowS();
        const auth = bearerRaw({ sub: 'cache-1', role: 'user', iat, exp: iat + 2 });
        await account(auth).expect(200);
        await account(auth).expect(200);
        // a user token on an admin route: 403 from the cached claims too
        for (let i = 0; i < 2; i++) {
          const res = await t.http().post('/v1/products').set('Authorization', auth).send({});
          expect(res.status).toBe(403);
        }
        expect(verify).toHaveBeenCalledTimes(1);
        // once exp has passed the kept token is refused as jsonwebtoken refuses it
        await sleep((iat + 2) * 1000 - Date.now() + 50);
        const late = await account(auth).expect(401);
        expect(late.body).toMatchObject({ code: 'UNAUTHORIZED', message: 'Invalid or expired token' });
        // a token that failed a check is never kept: the same bad token is checked (and refused) again
        verify.mockClear();
        const noExp = bearerRaw({ sub: 'cache-2', role: 'user', iat: nowS() });
        await account(noExp).expect(401);
        await account(noExp).expect(401);
        expect(verify).toHaveBeenCalledTimes(2);
      } finally {
        verify.mockRestore();
      }
    });

    it('a lifetime above JWT_MAX_LIFETIME_S is refused; within it, accepted', async () => {
      const iat = nowS();
      await account(bearerRaw({ sub: 'life-1', role: 'user', iat, exp: iat + 7201 })).expect(401);
      await account(bearerRaw({ sub: 'life-1', role: 'user', exp: nowS() + 100000 })).expect(401); // no iat
      await account(bearerRaw({ sub: 'life-1', role: 'user', iat, exp: iat + 7200 })).expect(200);
    });

    it('an iat years ahead, or iat/exp at 1e308 or 1e309, is 401 (issue 21 item 6)', async () => {
      const ahead = nowS() + 5 * 365 * 86400;
      await account(bearerRaw({ sub: 'iat-1', role: 'user', iat: ahead, exp: ahead + 3600 })).expect(401);
      await account(bearerRaw({ sub: 'iat-1', role: 'user', iat: 1e308, exp: 1e308 })).expect(401);
      const inf = `Bearer ${signRawText(`{"sub":"iat-1","role":"user","iat":1e309,"exp":${nowS() + 600}}`)}`;
      const res = await account(inf).expect(401);
      expect(res.body).toMatchObject({ code: 'UNAUTHORIZED', requestId: expect.any(String) });
      // an issuer clock a few seconds ahead is within JWT_CLOCK_SKEW_S (60 s)
      await account(bearerRaw({ sub: 'iat-1', role: 'user', iat: nowS() + 30, exp: nowS() + 600 })).expect(
        200,
      );
    });

    it('sub must be 1-64 chars of the documented charset; a 200-char sub creates no wallet row', async () => {
      const exp = nowS() + 600;
      const long = 'a'.repeat(200);
      const before = await t.dataSource.query('SELECT COUNT(*) AS n FROM t_user_account');
      for (const sub of [long, 'a'.repeat(65), '', 'has space', 'nul\u0000x', 'ü-1', 42]) {
        const res = await account(bearerRaw({ sub, role: 'user', iat: nowS(), exp }));
        expect([sub, res.status, res.body.code]).toEqual([sub, 401, 'UNAUTHORIZED']);
      }
      const after = await t.dataSource.query('SELECT COUNT(*) AS n FROM t_user_account');
      expect(Number(after[0].n)).toBe(Number(before[0].n));
      await account(bearerRaw({ sub: 'a'.repeat(64), role: 'user', iat: nowS(), exp })).expect(200);
      await account(bearerRaw({ sub: 'user.name:x@y_z-1', role: 'user', iat: nowS(), exp })).expect(200);
    });

    it('dev tokens live DEV_TOKEN_TTL_S (1 h by default)', async () => {
      const res = await t.http().post('/v1/dev/tokens').send({ userId: 'dev-1', role: 'user' }).expect(201);
      const claims = JSON.parse(Buffer.from(res.body.token.split('.')[1], 'base64url').toString());
      expect(claims.exp - claims.iat).toBe(3600);
      await account(`Bearer ${res.body.token}`).expect(200);
    });
  });
});

describe('JWT iss/aud when configured (real MySQL + Redis)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      env: { JWT_SECRET: TEST_JWT_SECRET, JWT_ISSUER: 'https://id.example', JWT_AUDIENCE: 'oncepay' },
    });
  });
  afterAll(() => t.close());

  it('refuses a token without or with another iss/aud; accepts the configured ones', async () => {
    const get = (claims: Record<string, unknown>) =>
      t
        .http()
        .get('/v1/account')
        .set(
          'Authorization',
          `Bearer ${signRaw({ sub: 'iss-1', role: 'user', iat: nowS(), exp: nowS() + 600, ...claims })}`,
        );
    await get({}).expect(401);
    await get({ iss: 'https://evil.example', aud: 'oncepay' }).expect(401);
    await get({ iss: 'https://id.example', aud: 'other' }).expect(401);
    await get({ iss: 'https://id.example', aud: 'oncepay' }).expect(200);
    // tokens the app signs itself carry both
    await t.http().get('/v1/account').set('Authorization', t.bearer('iss-2')).expect(200);
  });
});
