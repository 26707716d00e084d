import { validateEnv } from './env.validation';
import { fastifyTrustProxy, parseTrustProxy } from './trust-proxy';

describe('TRUST_PROXY', () => {
  it('is off by default: the TCP peer is the client', () => {
    expect(validateEnv({}).TRUST_PROXY).toBe('false');
    expect(parseTrustProxy(undefined)).toBe(false);
    for (const off of ['', 'false', 'off', '0', ' OFF ']) expect(parseTrustProxy(off)).toBe(false);
  });

  it('a hop count', () => {
    expect(parseTrustProxy('1')).toBe(1);
    expect(parseTrustProxy('2')).toBe(2);
  });

  it('addresses, CIDRs and proxy-addr names, comma-separated', () => {
    expect(parseTrustProxy('10.0.0.1, 10.1.0.0/16,::1,fd00::/8,loopback')).toEqual([
      '10.0.0.1',
      '10.1.0.0/16',
      '::1',
      'fd00::/8',
      'loopback',
    ]);
  });

  it.each([
    ['true', /must not be true/],
    ['17', /at most 16/],
    ['10.0.0.300', /"10.0.0.300" is not an IP address/],
    ['10.0.0.0/33', /"10.0.0.0\/33"/],
    ['::1/129', /"::1\/129"/],
    ['10.0.0.1,,10.0.0.2', /"" is not an IP address/],
    ['proxy.example', /"proxy.example"/],
    ['10.0.0.0/8/1', /"10.0.0.0\/8\/1"/],
  ])('%s is refused at start with one line naming the variable', (value, msg) => {
    expect(() => validateEnv({ TRUST_PROXY: value })).toThrow(/"TRUST_PROXY"/);
    expect(() => validateEnv({ TRUST_PROXY: value })).toThrow(msg);
  });
});

describe('fastifyTrustProxy', () => {
  it('a hop count trusts exactly the nearest N peers (Fastify would trust none)', () => {
    const trust = fastifyTrustProxy(2) as (addr: string, i: number) => boolean;
    expect([0, 1, 2, 3].map((i) => trust('10.0.0.1', i))).toEqual([true, true, false, false]);
  });

  it('off and address lists go to Fastify as they are', () => {
    expect(fastifyTrustProxy(false)).toBe(false);
    expect(fastifyTrustProxy(['10.0.0.1'])).toEqual(['10.0.0.1']);
  });
});
