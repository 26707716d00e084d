import { DomainError, ErrorCode } from '../common/errors';

/** Turns a Redis failure into 503 SERVICE_UNAVAILABLE (guards fail closed unless told otherwise). */
export async function redisOr503<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof DomainError) throw err;
    throw new DomainError(ErrorCode.SERVICE_UNAVAILABLE, `${what} unavailable, retry later`, {
      reason: (err as Error).message,
    });
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
