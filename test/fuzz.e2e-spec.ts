import fc from 'fast-check';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { createProduct, newUserId } from './factories/order.factory';
import { createTestApp, TestApp } from './utils/test-app';

/**
 * Property-based fuzz over every public route and the gateway callback (issue 10): random JSON and
 * form bodies, headers, unicode, huge numbers, control characters. Invariants, for every request:
 * never a 5xx; every 4xx is the error envelope; a 4xx changes nothing in MySQL.
 */

interface Res {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

let t: TestApp;
let productId = 0;
let orderNo = '';
let userToken = '';
let adminToken = '';

function send(method: string, path: string, headers: Record<string, string>, body?: Buffer): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port: t.port, method, path, headers: { ...headers, connection: 'close' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Raw bytes on a socket: for what an HTTP client refuses to send (431, broken request lines). */
function sendRaw(bytes: string | Buffer): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(t.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    s.on('data', (c) => chunks.push(c));
    s.on('error', () => resolve(Buffer.concat(chunks).toString()));
    s.on('close', () => resolve(Buffer.concat(chunks).toString()));
    s.end(bytes);
  });
}

/** One checksum over everything a request could write (counts and sums of the money columns). */
async function fingerprintDb(withCallbackLog: boolean): Promise<string> {
  const rows = await t.dataSource.query(
    `SELECT (SELECT COUNT(*) FROM t_order) o, (SELECT COALESCE(SUM(version),0) FROM t_order) ov,
            (SELECT COUNT(*) FROM t_order_item) oi, (SELECT COUNT(*) FROM t_product) p,
            (SELECT COALESCE(SUM(stock),0) FROM t_product) ps, (SELECT COUNT(*) FROM t_user_account) a,
            (SELECT COALESCE(SUM(balance),0) FROM t_user_account) ab, (SELECT COUNT(*) FROM t_payment) pay,
            (SELECT COALESCE(SUM(version),0) FROM t_payment) payv, (SELECT COUNT(*) FROM t_uq_dipose) d,
            (SELECT COUNT(*) FROM t_outbox) ob, (SELECT COUNT(*) FROM t_payment_anomaly) an
            ${withCallbackLog ? ', (SELECT COUNT(*) FROM t_callback_log) cb' : ''}`,
  );
  return JSON.stringify(rows[0]);
}

function assertEnvelope(res: Res, what: string) {
  expect([what, res.status < 500]).toEqual([what, true]);
  if (res.status < 400) return;
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(res.text);
  } catch {
    throw new Error(`${what}: ${res.status} is not JSON: ${res.text.slice(0, 200)}`);
  }
  expect([what, body]).toEqual([
    what,
    expect.objectContaining({
      statusCode: res.status,
      code: expect.stringMatching(/^[A-Z_]+$/),
      message: expect.any(String),
      requestId: expect.any(String),
    }),
  ]);
  expect(String(res.headers['content-type'])).toMatch(/^application\/json/);
}

// ---- arbitraries ---------------------------------------------------------------------------------
const weirdString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    'a\u0000b',
    '\u202e',
    '💸'.repeat(10),
    'x'.repeat(300),
    '__proto__',
    'constructor',
  ),
);
const weirdNumber = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -1, 1e308, -1e308, 2 ** 53, 2 ** 63, 1e20, 1e-300, 0.5),
);
const scalar = fc.oneof(weirdString, weirdNumber, fc.boolean(), fc.constant(null));
const item = fc.record(
  {
    productId: fc.oneof(
      fc.constant(0),
      scalar,
      fc.nat({ max: 5 }).map((n) => productId + n - 1),
    ),
    quantity: fc.oneof(scalar, fc.integer({ min: -2, max: 1200 })),
  },
  { requiredKeys: [] },
);
const businessBody = fc.record(
  {
    items: fc.oneof(fc.array(item, { maxLength: 60 }), scalar),
    remark: fc.oneof(weirdString, scalar),
    amount: fc.oneof(weirdNumber, weirdString),
    channel: fc.oneof(fc.constantFrom('alipay', 'wechat', 'wallet', 'ALIPAY', 'wallet '), weirdString),
    userId: weirdString,
    role: fc.constantFrom('user', 'admin', 'root', ''),
    sku: weirdString,
    name: weirdString,
    price: weirdNumber,
    stock: weirdNumber,
    date: fc.oneof(fc.constantFrom('2026-11-23', '2026-02-30', '9999-99-99'), weirdString),
  },
  { requiredKeys: [] },
);
const nested = fc.integer({ min: 1, max: 3000 }).map((n) => `{"items":${'['.repeat(n)}${']'.repeat(n)}}`);
const rawBody = fc.oneof(
  businessBody.map((b) => JSON.stringify(b)),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  nested,
  fc.integer({ min: 1, max: 20000 }).map((n) => `{"items":` + '['.repeat(n)),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.constantFrom('', '{', 'null', '[]', '"x"', '{"items":[{"productId":1e400,"quantity":1}]}', '\u0000'),
);
const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'application/x-www-form-urlencoded',
  'text/plain',
  'multipart/form-data; boundary=x',
  'application/json; charset=latin1',
  '',
);
// Node's client refuses header values outside \t, 0x20-0x7e and 0x80-0xff, so the fuzz stays inside that range
const headerValue = fc.string({
  unit: fc.integer({ min: 0x20, max: 0xff }).map((c) => String.fromCharCode(c === 0x7f ? 0x20 : c)),
  maxLength: 300,
});
const auth = fc.oneof(
  fc.constant('user'),
  fc.constant('admin'),
  fc.constant('none'),
  headerValue.map((v) => `Bearer ${v}`),
  headerValue,
);

interface Route {
  method: string;
  path: () => string;
}
const routes: Route[] = [
  { method: 'POST', path: () => '/v1/dev/tokens' },
  { method: 'POST', path: () => '/v1/products' },
  { method: 'GET', path: () => '/v1/products' },
  { method: 'GET', path: () => `/v1/products/${productId}` },
  { method: 'POST', path: () => '/v1/orders' },
  { method: 'GET', path: () => '/v1/orders' },
  { method: 'GET', path: () => `/v1/orders/${orderNo}` },
  { method: 'POST', path: () => `/v1/orders/${orderNo}/cancel` },
  { method: 'POST', path: () => `/v1/orders/${orderNo}/payments` },
  { method: 'GET', path: () => '/v1/payments/P0' },
  { method: 'POST', path: () => '/v1/recharges' },
  { method: 'GET', path: () => '/v1/account' },
  { method: 'POST', path: () => '/v1/idempotency-tokens' },
  { method: 'POST', path: () => '/v1/admin/reconciliations' },
  { method: 'GET', path: () => '/health' },
];
const pathSuffix = fc.oneof(
  fc.constant(''),
  fc.constantFrom(
    '?limit=-1',
    '?limit=1e9',
    '?status=%00',
    '?cursor=%E0%A4%A',
    '/%E0%A4%A',
    '/..%2f..%2f',
    '?a[b][c]=1',
  ),
  fc
    .string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 30 })
    .map((s) => `?q=${encodeURIComponent(s)}`),
);

describe('fuzz: no request makes a 5xx, every error is the envelope, a 4xx writes nothing', () => {
  beforeAll(async () => {
    t = await createTestApp({ env: { RATE_LIMIT_ENABLED: 'false' } });
    productId = (await createProduct(t, { stock: 1000000, price: 100 })).id;
    const u = newUserId('fz');
    userToken = t.bearer(u);
    adminToken = t.bearer('fz-admin', 'admin');
    const o = await t
      .http()
      .post('/v1/orders')
      .set('Authorization', userToken)
      .send({ items: [{ productId, quantity: 1 }] })
      .expect(201);
    orderNo = o.body.orderNo;
  });
  afterAll(() => t.close());

  it('random requests to every public route', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routes),
        pathSuffix,
        rawBody,
        contentType,
        auth,
        fc.option(headerValue, { nil: undefined }),
        fc.option(headerValue, { nil: undefined }),
        async (route, suffix, body, ct, a, idemKey, idemToken) => {
          const headers: Record<string, string> = {};
          if (ct) headers['content-type'] = ct;
          if (a === 'user') headers.authorization = userToken;
          else if (a === 'admin') headers.authorization = adminToken;
          else if (a !== 'none') headers.authorization = a;
          if (idemKey !== undefined) headers['idempotency-key'] = idemKey;
          if (idemToken !== undefined) headers['idempotency-token'] = idemToken;
          const before = await fingerprintDb(true);
          const path = route.path() + suffix;
          const res = await send(
            route.method,
            path,
            headers,
            route.method === 'GET' ? undefined : Buffer.from(body),
          );
          const what = `${route.method} ${path} ${ct} ${body.slice(0, 80)}`;
          assertEnvelope(res, what);
          if (res.status >= 400) expect([what, await fingerprintDb(true)]).toEqual([what, before]);
        },
      ),
      { numRuns: 700 },
    );
  });

  it('random bodies to the gateway callback: never a 5xx, only success/fail', async () => {
    const formBody = fc.dictionary(
      fc.constantFrom(
        'notify_id',
        'out_trade_no',
        'trade_status',
        'total_amount',
        'sign',
        'sign_type',
        'charset',
        'app_id',
        'x',
      ),
      fc.oneof(weirdString, fc.constantFrom('gbk', 'utf-8', 'nope', 'TRADE_SUCCESS', orderNo)),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          formBody.map((d) => new URLSearchParams(d).toString()),
          rawBody,
        ),
        contentType,
        async (body, ct) => {
          const before = await fingerprintDb(false);
          const res = await send(
            'POST',
            '/v1/callbacks/alipay',
            ct ? { 'content-type': ct } : {},
            Buffer.from(body),
          );
          const what = `callback ${ct} ${body.slice(0, 80)}`;
          expect([what, res.status < 500]).toEqual([what, true]);
          if (res.status === 200)
            expect([what, ['success', 'fail']]).toEqual([what, expect.arrayContaining([res.text])]);
          else assertEnvelope(res, what);
          expect([what, res.text]).not.toEqual([what, 'success']); // nothing here is signed
          expect([what, await fingerprintDb(false)]).toEqual([what, before]);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('random bodies and signature headers to the WeChat callback: never a 5xx or a 2xx, FAIL or the envelope', async () => {
    const [platform] = await t.dataSource.query(
      "SELECT serial FROM sandbox_wechat_key WHERE name = 'platform'",
    );
    const now = String(Math.floor(Date.now() / 1000));
    const wxHeaders = fc.record(
      {
        'wechatpay-timestamp': fc.oneof(fc.constant(now), headerValue),
        'wechatpay-nonce': headerValue,
        'wechatpay-signature': fc.oneof(fc.base64String({ maxLength: 344 }), headerValue),
        'wechatpay-serial': fc.oneof(fc.constant(String(platform.serial)), headerValue),
      },
      { requiredKeys: [] },
    );
    const envelope = fc.record(
      {
        id: weirdString,
        event_type: fc.oneof(weirdString, fc.constantFrom('TRANSACTION.SUCCESS', 'REFUND.SUCCESS')),
        resource: fc.record(
          {
            algorithm: fc.oneof(weirdString, fc.constant('AEAD_AES_256_GCM')),
            ciphertext: fc.oneof(weirdString, fc.base64String({ maxLength: 200 })),
            nonce: weirdString,
            associated_data: weirdString,
          },
          { requiredKeys: [] },
        ),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          envelope.map((e) => JSON.stringify(e)),
          rawBody,
        ),
        contentType,
        wxHeaders,
        async (body, ct, h) => {
          const before = await fingerprintDb(false);
          const res = await send(
            'POST',
            '/v1/callbacks/wechat',
            { ...h, ...(ct ? { 'content-type': ct } : {}) },
            Buffer.from(body),
          );
          const what = `wechat callback ${ct} ${JSON.stringify(h).slice(0, 80)} ${body.slice(0, 80)}`;
          // nothing here is signed by WeChat: never accepted, never a 5xx
          expect([what, res.status >= 400 && res.status < 500]).toEqual([what, true]);
          const parsed = (() => {
            try {
              return JSON.parse(res.text) as Record<string, unknown>;
            } catch {
              return null;
            }
          })();
          if (parsed?.code !== 'FAIL') assertEnvelope(res, what);
          else expect([what, typeof parsed.message]).toEqual([what, 'string']);
          expect([what, await fingerprintDb(false)]).toEqual([what, before]);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('the nested body of the issue ({"items": + 20,000 "[") answers 400 VALIDATION_FAILED', async () => {
    for (const body of [
      `{"items":${'['.repeat(20000)}${']'.repeat(20000)}}`,
      `{"items":` + '['.repeat(20000),
    ]) {
      const res = await send(
        'POST',
        '/v1/orders',
        { 'content-type': 'application/json', authorization: userToken },
        Buffer.from(body),
      );
      assertEnvelope(res, 'nested');
      expect(res.status).toBe(400);
      expect(JSON.parse(res.text).code).toBe('VALIDATION_FAILED');
    }
  });

  it('431, a bad URL and a broken request line still answer the envelope (or close), never a 5xx', async () => {
    const big = await sendRaw(`GET /v1/account HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20000)}\r\n\r\n`);
    expect(big).toMatch(/^HTTP\/1\.1 431 /);
    const body431 = JSON.parse(big.slice(big.indexOf('\r\n\r\n') + 4));
    expect(body431).toMatchObject({
      statusCode: 431,
      code: 'HEADERS_TOO_LARGE',
      message: expect.any(String),
    });

    const broken = await sendRaw('NOT A REQUEST\r\n\r\n');
    expect(broken).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(broken.slice(broken.indexOf('\r\n\r\n') + 4))).toMatchObject({
      statusCode: 400,
      code: 'VALIDATION_FAILED',
    });

    const badUrl = await send('GET', '/v1/orders/%E0%A4%A', { authorization: userToken });
    assertEnvelope(badUrl, 'bad url');
    expect(badUrl.status).toBe(400);
  });

  it('control characters in free text are refused with 400, not stored', async () => {
    for (const remark of ['a\u0000b', 'bell\u0007', 'esc\u001b[31m', 'c1\u0085']) {
      const res = await send(
        'POST',
        '/v1/orders',
        { 'content-type': 'application/json', authorization: userToken },
        Buffer.from(JSON.stringify({ items: [{ productId, quantity: 1 }], remark })),
      );
      assertEnvelope(res, remark);
      expect([remark, res.status, JSON.parse(res.text).code]).toEqual([remark, 400, 'VALIDATION_FAILED']);
    }
    const rows = await t.dataSource.query('SELECT COUNT(*) AS n FROM t_order WHERE remark IS NOT NULL');
    expect(Number(rows[0].n)).toBe(0);
    // ordinary line breaks and tabs stay allowed
    const ok = await send(
      'POST',
      '/v1/orders',
      { 'content-type': 'application/json', authorization: userToken },
      Buffer.from(JSON.stringify({ items: [{ productId, quantity: 2 }], remark: 'ring\ttwice\nthanks' })),
    );
    expect(ok.status).toBe(201);
  });
});
