import { Logger } from '@nestjs/common';
import { DomainError, ErrorCode } from '../common/errors';

const logger = new Logger('RedisGuard');

/**
 * The 503 a guard answers when its store (Redis) failed. The client gets a stable reason code; the
 * library's own message (which can name hosts and internals) goes to the log only.
 */
export function storeUnavailable(what: string, err: unknown): DomainError {
  logger.warn(`${what} unavailable: ${(err as Error)?.message ?? err}`);
  return new DomainError(ErrorCode.SERVICE_UNAVAILABLE, `${what} unavailable, retry later`, {
    reason: 'STORE_UNAVAILABLE',
  });
}

/** Turns a Redis failure into 503 SERVICE_UNAVAILABLE (guards fail closed unless told otherwise). */
export async function redisOr503<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof DomainError) throw err;
    throw storeUnavailable(what, err);
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The longest a write whose answer was lost is chased (see undoLostWrite). */
const LOST_WRITE_CHASE_MS = 30_000;
/** Undo attempts 1, 3, 7 and 15 s after the failure at most: cheap when Redis is away for long. */
const LOST_WRITE_FIRST_MS = 1000;
/** Chases running at once; past it a lost write is left to its TTL (an outage, not a blip). */
const LOST_WRITE_MAX_CHASES = 1000;
let chases = 0;

/**
 * Undoes, by its own token, a write whose answer was lost.
 *
 * A command that timed out or met a closed connection (a Redis Cluster failover) may still reach
 * Redis later: ioredis keeps a timed-out command in the node connection's queue and sends it once that
 * node answers. An acquire that failed that way (a lock, the submit guard, an Idempotency-Key
 * in-flight record, a one-time token's consumption) would then hold its key for a token no request
 * owns, until the key's TTL: seen as a pre-pay answering 409 REQUEST_IN_PROGRESS for 9 s after the new
 * master was serving. So the request that got the error runs `undo` (a compare-and-delete or
 * give-back fenced by its own unique token, so it can never free anyone else's hold) after 1 s, then
 * with doubling gaps, until it reports that it undid something or the key's TTL (at most 30 s) has
 * passed; a queued command is sent or dropped within its node connection's connect timeout, so the
 * first tries are the ones that matter. Timers are unref'd.
 *
 * @param undo resolves true when it undid the late write (then the chase stops)
 */
export function undoLostWrite(what: string, undo: () => Promise<boolean>, ttlMs: number): void {
  if (chases >= LOST_WRITE_MAX_CHASES) return;
  chases++;
  const until = Date.now() + Math.min(ttlMs, LOST_WRITE_CHASE_MS);
  const next = (gapMs: number) => {
    if (Date.now() + gapMs > until) {
      chases--;
      return;
    }
    setTimeout(() => {
      undo().then(
        (undone) => {
          if (!undone) return next(gapMs * 2);
          chases--;
          logger.warn(`${what}: a write whose answer was lost reached Redis later; undone`);
        },
        () => next(gapMs * 2),
      );
    }, gapMs).unref();
  };
  next(LOST_WRITE_FIRST_MS);
}
