import { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { JwtService } from '@nestjs/jwt';
import { createHmac } from 'node:crypto';
import { checkTokenTimes, JwtAuthGuard } from './jwt-auth.guard';

const SECRET = 'unit-test-secret-0123456789';
const LIMITS = { maxLifetimeS: 7200, clockSkewS: 60 };
const NOW = 1_800_000_000;

/** HS256 over the payload text exactly as given (so it can hold 1e309, which JSON.stringify cannot write). */
function signPayloadText(payload: string): string {
  const b64 = (s: string) => Buffer.from(s).toString('base64url');
  const head = `${b64('{"alg":"HS256","typ":"JWT"}')}.${b64(payload)}`;
  return `${head}.${createHmac('sha256', SECRET).update(head).digest('base64url')}`;
}

describe('checkTokenTimes', () => {
  it.each([
    ['iat now, exp within the lifetime', { iat: NOW, exp: NOW + 7200 }],
    ['no iat, exp within the lifetime from now', { exp: NOW + 7200 }],
    ['iat within the clock skew ahead', { iat: NOW + 60, exp: NOW + 3600 }],
    ['iat in the past', { iat: NOW - 3600, exp: NOW + 3600 }],
  ])('accepts %s', (_name, claims) => {
    expect(checkTokenTimes(claims, NOW, LIMITS)).toBeNull();
  });

  it.each([
    ['no exp', { iat: NOW }, /no expiry/],
    ['exp not a number', { exp: '9999999999' }, /exp is not a valid time/],
    ['exp Infinity (1e309 in the JSON)', { exp: Infinity }, /exp is not a valid time/],
    ['exp 1e308 without iat', { exp: 1e308 }, /lifetime/],
    ['iat and exp 1e308', { iat: 1e308, exp: 1e308 }, /iat is in the future/],
    ['iat Infinity', { iat: Infinity, exp: NOW + 60 }, /iat is not a valid time/],
    ['iat a string', { iat: 'now', exp: NOW + 60 }, /iat is not a valid time/],
    ['iat negative', { iat: -1, exp: NOW + 60 }, /iat is not a valid time/],
    [
      'iat years ahead, exp an hour after it',
      { iat: NOW + 5 * 365 * 86400, exp: NOW + 5 * 365 * 86400 + 3600 },
      /future/,
    ],
    ['iat 61 s ahead', { iat: NOW + 61, exp: NOW + 3600 }, /future/],
    ['exp − iat over the lifetime', { iat: NOW, exp: NOW + 7201 }, /lifetime/],
    ['exp − now over the lifetime (no iat)', { exp: NOW + 7201 }, /lifetime/],
  ])('refuses %s', (_name, claims, msg) => {
    expect(checkTokenTimes(claims as { exp?: unknown; iat?: unknown }, NOW, LIMITS)).toMatch(msg);
  });
});

describe('JwtAuthGuard with the time bounds', () => {
  const jwt = new JwtService({ secret: SECRET });
  const reflector = { getAllAndOverride: () => undefined } as unknown as Reflector;
  const guard = new JwtAuthGuard(reflector, jwt, {
    jwtMaxLifetimeS: 7200,
    jwtClockSkewS: 60,
  } as never);
  const ctx = (token: string) =>
    ({
      getHandler: () => undefined,
      getClass: () => undefined,
      switchToHttp: () => ({ getRequest: () => ({ headers: { authorization: `Bearer ${token}` } }) }),
    }) as unknown as ExecutionContext;
  const now = () => Math.floor(Date.now() / 1000);

  it.each([
    ['iat and exp 1e308', () => '{"sub":"u1","role":"user","iat":1e308,"exp":1e308}'],
    ['iat 1e309 (Infinity once parsed)', () => `{"sub":"u1","role":"user","iat":1e309,"exp":${now() + 600}}`],
    ['exp 1e309', () => `{"sub":"u1","role":"user","iat":${now()},"exp":1e309}`],
  ])('a token with %s is 401', async (_name, payload) => {
    await expect(guard.canActivate(ctx(signPayloadText(payload())))).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
    });
  });

  it('a token issued years ahead is 401; the same token issued now is accepted', async () => {
    const ahead = now() + 3 * 365 * 86400;
    const future = signPayloadText(JSON.stringify({ sub: 'u1', role: 'user', iat: ahead, exp: ahead + 600 }));
    await expect(guard.canActivate(ctx(future))).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    const ok = signPayloadText(JSON.stringify({ sub: 'u1', role: 'user', iat: now(), exp: now() + 600 }));
    await expect(guard.canActivate(ctx(ok))).resolves.toBe(true);
  });
});
