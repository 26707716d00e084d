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
