import { createServer, Server } from 'node:http';
import { sendWebhook } from './webhook-sender';

describe('sendWebhook (a real server on 127.0.0.1)', () => {
  let server: Server;
  let port: number;
  const seen: Array<{ headers: Record<string, unknown>; body: string }> = [];
  let answer = { status: 200, delayMs: 0 };
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen.push({ headers: req.headers, body });
        setTimeout(() => res.writeHead(answer.status).end('x'.repeat(2000)), answer.delayMs);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  beforeEach(() => {
    seen.length = 0;
    answer = { status: 200, delayMs: 0 };
  });

  it('POSTs the body with its headers and clips the answer to 512 characters', async () => {
    const res = await sendWebhook(`http://127.0.0.1:${port}/h`, { 'Oncepay-Event-Id': 'evt_1' }, '{"a":1}', {
      timeoutMs: 2000,
      production: false,
    });
    expect(res).toMatchObject({ statusCode: 200, error: null });
    expect(res.body).toHaveLength(512);
    expect(seen[0].body).toBe('{"a":1}');
    expect(seen[0].headers).toMatchObject({
      'oncepay-event-id': 'evt_1',
      'content-type': 'application/json',
    });
  });

  it('a slow answer is a timeout (no status)', async () => {
    answer = { status: 200, delayMs: 1000 };
    const res = await sendWebhook(`http://127.0.0.1:${port}/h`, {}, '{}', {
      timeoutMs: 200,
      production: false,
    });
    expect(res).toMatchObject({ statusCode: null, error: 'timed out after 200 ms' });
  });

  it('in production the URL is checked again before the send: loopback is refused, nothing is sent', async () => {
    for (const url of [
      `http://127.0.0.1:${port}/h`,
      `https://127.0.0.1:${port}/h`,
      `https://localhost:${port}/h`,
    ]) {
      const res = await sendWebhook(url, {}, '{}', { timeoutMs: 2000, production: true });
      expect(res.statusCode).toBeNull();
      expect(res.error).toMatch(/^refused: /);
    }
    expect(seen).toHaveLength(0);
  });
});
