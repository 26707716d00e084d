import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { attachLazyRequestLogger } from '../logging/request-logger';

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Fastify's request id: the caller's `X-Request-Id` when it is sane, else a UUID. The id is written
 * back into the raw headers so the request's logger (pino-http's, or the lazy one attached here) logs the
 * same id.
 */
export function genRequestId(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && SAFE_ID.test(given) ? given : randomUUID();
  req.headers['x-request-id'] = id;
  attachLazyRequestLogger(req);
  return id;
}
