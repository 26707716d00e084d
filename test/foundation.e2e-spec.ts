import { productionGatewayEnv } from './utils/gateway-env';
import { createTestApp, TestApp } from './utils/test-app';

describe('foundation (real MySQL + Redis)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: { BODY_LIMIT_BYTES: '4096' } });
  });
  afterAll(() => t.close());

  it('GET /health is 200 with MySQL and Redis up', async () => {
    const res = await t.http().get('/health').expect(200);
    // terminus 12 adds the ping's responseTime (ms) to the database indicators
    expect(res.body.info).toEqual({
      mysql: { status: 'up', responseTime: expect.any(Number) },
      redis: { status: 'up' },
      gateway: {
        status: 'up',
        gateway: 'sandbox',
        alipay: { privateKey: 'sandbox', publicKey: 'sandbox' },
        wechat: { apiV3Key: 'sandbox', merchantPrivateKey: 'sandbox', platformKey: 'sandbox' },
        unionpay: { signKey: 'sandbox', rootCert: 'sandbox', middleCert: 'sandbox' },
      },
      // one indicator per enabled channel, each from the check its env fragment declares
      alipay: { status: 'up', enabled: true, mode: 'publicKey', privateKey: 'sandbox', publicKey: 'sandbox' },
      wechat: {
        status: 'up',
        enabled: true,
        apiV3Key: 'sandbox',
        merchantPrivateKey: 'sandbox',
        platformKey: 'sandbox',
      },
      unionpay: {
        status: 'up',
        enabled: true,
        merId: expect.any(String),
        signKey: 'sandbox',
        rootCert: 'sandbox',
        middleCert: 'sandbox',
      },
    });
  });

  it('serves Swagger UI and JSON, with bearer auth declared', async () => {
    await t.http().get('/docs').expect(200);
    const res = await t.http().get('/docs-json').expect(200);
    expect(res.body.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(Object.keys(res.body.paths)).toContain('/v1/dev/tokens');
  });

  it('GET /metrics serves Prometheus text with the HTTP histogram', async () => {
    await t.http().get('/health');
    const res = await t.http().get('/metrics').expect(200);
    expect(res.text).toContain('http_request_duration_seconds_bucket');
    expect(res.text).toContain('process_resident_memory_bytes');
  });

  it('migrations created t_uq_dipose with its unique key uq_1(ref_type, ref_id)', async () => {
    const rows: Array<{ Key_name: string; Column_name: string; Non_unique: number }> =
      await t.dataSource.query('SHOW INDEX FROM t_uq_dipose');
    const uq = rows.filter((r) => r.Key_name === 'uq_1');
    expect(uq.map((r) => r.Column_name)).toEqual(['ref_type', 'ref_id']);
    expect(Number(uq[0].Non_unique)).toBe(0);
    await t.dataSource.query("INSERT INTO t_uq_dipose (ref_type, ref_id) VALUES ('T', '1')");
    await expect(
      t.dataSource.query("INSERT INTO t_uq_dipose (ref_type, ref_id) VALUES ('T', '1')"),
    ).rejects.toThrow(/Duplicate entry/);
  });

  describe('error envelope', () => {
    it('404 for an unknown route, with a request id echoed in the header', async () => {
      const res = await t.http().get('/v1/nowhere').set('X-Request-Id', 'req-abc-1').expect(404);
      expect(res.body).toEqual({
        statusCode: 404,
        code: 'NOT_FOUND',
        message: expect.any(String),
        requestId: 'req-abc-1',
      });
      expect(res.headers['x-request-id']).toBe('req-abc-1');
    });

    it('400 VALIDATION_FAILED for malformed JSON', async () => {
      const res = await t
        .http()
        .post('/v1/dev/tokens')
        .set('Content-Type', 'application/json')
        .send('{"userId":')
        .expect(400);
      expect(res.body).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED' });
      expect(res.body.requestId).toEqual(expect.any(String));
    });

    it('400 VALIDATION_FAILED naming unknown and wrong fields', async () => {
      const res = await t
        .http()
        .post('/v1/dev/tokens')
        .send({ userId: 'u1', role: 'root', extra: 1 })
        .expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.details.errors.join(' ')).toMatch(/extra/);
      expect(res.body.details.errors.join(' ')).toMatch(/role/);
    });

    it('413 PAYLOAD_TOO_LARGE over the configured body limit', async () => {
      const res = await t
        .http()
        .post('/v1/dev/tokens')
        .send({ userId: 'x'.repeat(5000), role: 'user' })
        .expect(413);
      expect(res.body).toMatchObject({ statusCode: 413, code: 'PAYLOAD_TOO_LARGE' });
    });
  });

  describe('auth', () => {
    it('dev token mints a JWT that the guard accepts', async () => {
      const res = await t.http().post('/v1/dev/tokens').send({ userId: 'u-1', role: 'user' }).expect(201);
      expect(res.body.token).toMatch(/^ey/);
    });

    it('no token → 401, bad token → 401', async () => {
      // /v1/idempotency-tokens is a protected route from the idempotency module; any protected route will do
      const paths = (await t.http().get('/docs-json')).body.paths as Record<string, Record<string, unknown>>;
      const protectedPost = Object.entries(paths).find(
        ([p, ops]) =>
          p.startsWith('/v1/') && !p.startsWith('/v1/dev') && !p.startsWith('/v1/callbacks') && ops.post,
      );
      expect(protectedPost).toBeDefined();
      const path = protectedPost![0].replace(/\{[^}]+\}/g, 'x');
      const noToken = await t.http().post(path).send({}).expect(401);
      expect(noToken.body.code).toBe('UNAUTHORIZED');
      const bad = await t.http().post(path).set('Authorization', 'Bearer not.a.jwt').send({}).expect(401);
      expect(bad.body.code).toBe('UNAUTHORIZED');
      const forged = t.bearer('u1').slice(0, -3) + 'abc';
      await t.http().post(path).set('Authorization', forged).send({}).expect(401);
    });
  });
});

describe('dev tokens in production mode', () => {
  let t: TestApp;
  beforeAll(async () => {
    // production refuses the sandbox; with the real gateway configured, dev tokens must not exist
    t = await createTestApp({
      env: {
        NODE_ENV: 'production',
        PAYMENT_GATEWAY: 'alipay',
        JWT_SECRET: 'a-production-secret-of-length',
        DB_CREATE_DATABASE: 'true',
        ...productionGatewayEnv(),
      },
    });
  });
  afterAll(() => t.close());

  it('POST /v1/dev/tokens is 404', async () => {
    const res = await t.http().post('/v1/dev/tokens').send({ userId: 'u1', role: 'admin' }).expect(404);
    expect(res.body.code).toBe('NOT_FOUND');
  });
});

describe('health with Redis unreachable', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      env: { REDIS_URL: 'redis://127.0.0.1:6390', REDIS_COMMAND_TIMEOUT_MS: '300' },
    });
  });
  afterAll(() => t.close());

  it('GET /health is 503 and names redis as down, mysql up', async () => {
    const res = await t.http().get('/health').expect(503);
    expect(res.body.code).toBe('SERVICE_UNAVAILABLE');
    expect(res.body.details.redis.status).toBe('down');
    expect(res.body.details.mysql.status).toBe('up');
  });
});
