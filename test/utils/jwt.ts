import { createHmac } from 'node:crypto';

/** The secret tests run with (the development default unless JWT_SECRET is set). */
export const TEST_JWT_SECRET = 'oncepay-test-secret-0123456789';

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** Signs any claims as HS256, exactly as given (no exp/iat added): for tokens the app must refuse. */
export function signRaw(claims: Record<string, unknown>, secret = TEST_JWT_SECRET): string {
  const head = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
  return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`;
}

export const nowS = () => Math.floor(Date.now() / 1000);

/** Signs a payload given as JSON text, byte for byte (it may hold numbers JSON.stringify cannot write, e.g. 1e309). */
export function signRawText(payload: string, secret = TEST_JWT_SECRET): string {
  const head = `${Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url')}.${Buffer.from(payload).toString('base64url')}`;
  return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`;
}
