/** The request headers a log line never carries (their values are replaced by CENSOR). */
export const REDACTED_HEADERS = ['authorization', 'cookie'] as const;
export const CENSOR = '[Redacted]';

/**
 * The `req` serializer of every log record and request logger: pino-http's standard request object (its
 * serializer runs first and hands us what it built) with the Authorization and Cookie headers replaced by
 * `[Redacted]`, the same output pino's `redact: ['req.headers.authorization', 'req.headers.cookie']` gave.
 *
 * Why not `redact`: pino binds `req` to a child logger for every request (pino-http's middleware), and with
 * `redact` that binding is deep-cloned along the redacted paths on every request, also when nothing is ever
 * logged: about a fifth of the server CPU of a rejected duplicate submit (docs/benchmarks.md, issue 28).
 * Here the headers object is copied only when it holds one of those headers, and the request's own headers
 * are never changed.
 */
export function redactedRequest<T extends { headers?: unknown }>(req: T): T {
  const headers = req?.headers as Record<string, unknown> | undefined;
  if (!headers || typeof headers !== 'object') return req;
  let copy: Record<string, unknown> | undefined;
  for (const name of REDACTED_HEADERS) {
    if (headers[name] === undefined) continue;
    copy ??= { ...headers };
    copy[name] = CENSOR;
  }
  if (copy) req.headers = copy;
  return req;
}
