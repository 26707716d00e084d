import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';

/** The fields every request's records carry besides `req` (pino-http's `customProps`). */
export function requestLogFields(req: IncomingMessage): { requestId: unknown } {
  return { requestId: req.headers['x-request-id'] };
}

/**
 * Whether requests get the lazy logger (set by an onRequest hook, `createApp`) instead of pino-http's
 * middleware: at every level but debug and trace. Those two also log each request's completion (pino-http's
 * autoLogging), so every request writes a record anyway, and pino-http stays in place for them.
 */
export function lazyRequestLogs(level: string): boolean {
  return level !== 'debug' && level !== 'trace';
}

const LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);

/**
 * The request's logger, made when a record is first written through it: `root.child({ req }).child(extra)`,
 * the logger pino-http's middleware made for every request (nestjs-pino keeps it for the request's
 * context, so every record written during the request carries `req` and `requestId`). pino serialises a
 * child's bindings when the child is made, so pino-http paid for the whole `req` (its serializer, JSON)
 * on every request although most write no record; here a request that writes none pays nothing. The
 * records are the same bytes: the same root, the same bindings, in the same order.
 *
 * Until then a level that is off answers pino's own no-op without making the child, and the level
 * itself (`level`, `levelVal`, `isLevelEnabled`) is the root's, which a child inherits.
 */
export function lazyRequestLogger<L extends Logger<string, boolean>>(
  root: L,
  req: IncomingMessage,
  extra: Record<string, unknown>,
): L {
  let real: L | undefined;
  const made = (): L => (real ??= root.child({ req }).child(extra) as L);
  const from = (target: L, prop: string | symbol): unknown => {
    const v = Reflect.get(target, prop, target) as unknown;
    return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
  };
  return new Proxy(root, {
    get(_root, prop) {
      if (real) return from(real, prop);
      if (typeof prop === 'string' && LEVELS.has(prop) && !root.isLevelEnabled(prop)) return from(root, prop);
      if (prop === 'level' || prop === 'levelVal' || prop === 'isLevelEnabled') return from(root, prop);
      return from(made(), prop);
    },
    set(_root, prop, value) {
      return Reflect.set(made(), prop, value);
    },
  });
}

let lazyRoot: Logger<string, boolean> | null = null;

/** The root logger requests get their lazy logger from (null: pino-http's middleware makes it). */
export function useLazyRequestLogger(root: Logger<string, boolean> | null): void {
  lazyRoot = root;
}

/**
 * Puts the lazy logger on the raw request as `req.log`, where nestjs-pino's middleware (`useExisting`) reads
 * it for the request's context. Called by genRequestId when Fastify makes the request, before any hook:
 * read-only, because @fastify/middie copies Fastify's own (disabled) request logger onto `req.log` before it
 * runs the middleware. Fastify's `request.log` itself stays as it was.
 */
export function attachLazyRequestLogger(req: IncomingMessage): void {
  if (!lazyRoot) return;
  const log = lazyRequestLogger(lazyRoot, req, requestLogFields(req));
  Object.defineProperty(req, 'log', { get: () => log, set: () => undefined, configurable: true });
}
