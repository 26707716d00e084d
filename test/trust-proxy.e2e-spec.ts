import { createTestApp, TestApp } from './utils/test-app';

/**
 * Issue 21 item 4: the per-address rate limits count the real peer. X-Forwarded-For is believed only
 * from a configured proxy (TRUST_PROXY); any client can write it.
 */
const LIMITED = {
  RATE_LIMIT_ENABLED: 'true',
  RATE_LIMIT_WINDOW_MS: '60000',
  RATE_LIMIT_DEV_TOKENS: '3',
};

async function devTokenStatuses(t: TestApp, forwardedFor: (i: number) => string | undefined, n: number) {
  const codes: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = t.http().post('/v1/dev/tokens');
    const xff = forwardedFor(i);
    if (xff !== undefined) r.set('X-Forwarded-For', xff);
    codes.push((await r.send({ userId: `xff-${i}`, role: 'user' })).status);
  }
  return codes;
}

describe('TRUST_PROXY off (the default): a spoofed X-Forwarded-For is ignored', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: LIMITED });
  });
  afterAll(() => t.close());

  it('rotating X-Forwarded-For does not lift the per-address limit', async () => {
    const codes = await devTokenStatuses(t, (i) => `198.51.100.${i + 1}`, 6);
    expect(codes).toEqual([201, 201, 201, 429, 429, 429]);
  });
});

describe('TRUST_PROXY names the proxy (the test client, 127.0.0.1)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { ...LIMITED, TRUST_PROXY: '127.0.0.1' } });
  });
  afterAll(() => t.close());

  it("the proxy's forwarded address is the client: each address has its own counter", async () => {
    expect(await devTokenStatuses(t, () => '203.0.113.7', 4)).toEqual([201, 201, 201, 429]);
    // another client behind the same proxy is not limited by the first one
    expect(await devTokenStatuses(t, () => '203.0.113.8', 1)).toEqual([201]);
  });

  it('a client that prepends addresses of its own is still counted by what the proxy appended', async () => {
    // the proxy appends the peer it saw; everything left of that is the client's own claim
    const codes = await devTokenStatuses(t, (i) => `192.0.2.${i + 1}, 203.0.113.9`, 5);
    expect(codes).toEqual([201, 201, 201, 429, 429]);
  });
});

describe('TRUST_PROXY as a hop count', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { ...LIMITED, TRUST_PROXY: '1' } });
  });
  afterAll(() => t.close());

  it('one hop: the right-most forwarded address is the client', async () => {
    expect(await devTokenStatuses(t, (i) => `192.0.2.${i + 1}, 203.0.113.10`, 4)).toEqual([
      201, 201, 201, 429,
    ]);
    expect(await devTokenStatuses(t, () => '203.0.113.11', 1)).toEqual([201]);
  });
});

describe('TRUST_PROXY names another proxy: this peer is not trusted', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { ...LIMITED, TRUST_PROXY: '10.9.9.9/32' } });
  });
  afterAll(() => t.close());

  it('X-Forwarded-For from an untrusted peer is ignored', async () => {
    const codes = await devTokenStatuses(t, (i) => `203.0.113.${20 + i}`, 4);
    expect(codes).toEqual([201, 201, 201, 429]);
  });
});
