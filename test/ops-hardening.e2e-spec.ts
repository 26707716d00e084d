import { connect } from 'node:net';
import { eventually } from './factories/order.factory';
import { createTestApp, TestApp } from './utils/test-app';

/** Issue 21 item 10: /metrics needs its token, /health says why without library messages, no Host → envelope. */

/** Sends raw bytes and returns the whole answer (the server closes: Connection: close). */
function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', reject);
    socket.write(text);
  });
}

const METRICS_TOKEN = 'scrape-token-0123456789abcdef';

describe('the ops routes (real MySQL + Redis, METRICS_TOKEN set)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { METRICS_TOKEN } });
  });
  afterAll(() => t.close());

  it('/metrics without the token, or with another one, is 401 in the envelope; with it, 200', async () => {
    for (const auth of [
      undefined,
      'Bearer wrong-token-0123456789',
      `Basic ${METRICS_TOKEN}`,
      t.bearer('u1'),
    ]) {
      const r = t.http().get('/metrics');
      if (auth) r.set('Authorization', auth);
      const res = await r;
      expect([auth, res.status]).toEqual([auth, 401]);
      expect(res.body).toEqual({
        statusCode: 401,
        code: 'UNAUTHORIZED',
        message: 'Metrics require a bearer token',
        requestId: expect.any(String),
      });
      expect(res.text).not.toContain('http_request_duration_seconds');
    }
    const ok = await t.http().get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`).expect(200);
    expect(ok.text).toContain('http_request_duration_seconds');
  });

  it('an HTTP/1.1 request without Host is 400 with the error envelope (was an empty body)', async () => {
    const answer = await rawRequest(t.port, 'GET /v1/products HTTP/1.1\r\nConnection: close\r\n\r\n');
    const [head, body] = answer.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 400 /);
    expect(head).toMatch(/content-type: application\/json/i);
    expect(JSON.parse(body)).toEqual({
      statusCode: 400,
      code: 'VALIDATION_FAILED',
      message: 'The Host header is required',
      details: { reason: 'HOST_REQUIRED' },
      requestId: expect.any(String),
    });
    // HTTP/1.0 has no Host requirement; with Host, 1.1 is served as usual
    expect(await rawRequest(t.port, 'GET /v1/products HTTP/1.0\r\n\r\n')).toMatch(/^HTTP\/1\.1 200 /);
    expect(
      await rawRequest(t.port, 'GET /v1/products HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
    ).toMatch(/^HTTP\/1\.1 200 /);
  });
});

describe('/health with Redis down (real MySQL, dead Redis)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      env: { REDIS_URL: 'redis://127.0.0.1:6390', REDIS_COMMAND_TIMEOUT_MS: '300' },
    });
  });
  afterAll(() => t.close());

  it('says down with a stable reason and no library message', async () => {
    const res = await eventually(
      async () => {
        const r = await t.http().get('/health');
        return r.status === 503 && r.body.details?.mysql?.status === 'up' ? r : null;
      },
      30000,
      200,
    );
    expect(res.body.details.redis).toEqual({
      status: 'down',
      reason: expect.stringMatching(/^(UNREACHABLE|TIMEOUT)$/),
    });
    // nothing of ioredis's text (host, port, errno, "Connection is closed", "Stream isn't writeable")
    expect(res.text).not.toMatch(/6390|ECONNREFUSED|connection|stream|writeable|127\.0\.0\.1/i);
  });
});
