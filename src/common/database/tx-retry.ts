/**
 * How long TransactionService waits before running a rolled-back transaction again.
 *
 * On one MySQL primary a deadlock is rare and one or two retries settle it. On a multi-primary
 * Galera cluster every write that touches the same row from two nodes is decided at commit
 * (certification): the loser is rolled back with ER_LOCK_DEADLOCK, and under a storm (200 copies of
 * one submit, 30 buyers of one product, two instances debiting one wallet) a transaction may lose
 * several times in a row. So the bound is an attempt count *and* a time budget, and the waits grow
 * exponentially with full jitter (AWS "full jitter": a uniform draw in [0, min(cap, base·2ⁿ)]) so
 * the losers of one round do not meet again in the next.
 */
export interface TxRetryPolicy {
  /** attempts in all (the first run included) */
  attempts: number;
  /** first backoff ceiling, ms; doubled per attempt */
  baseMs: number;
  /** backoff ceiling, ms */
  capMs: number;
  /** no new attempt starts once this long has passed since the first one, ms */
  budgetMs: number;
}

export const DEFAULT_TX_RETRY: TxRetryPolicy = { attempts: 10, baseMs: 10, capMs: 250, budgetMs: 3000 };

/** The wait before attempt `attempt + 1` after `attempt` failed (1-based), `random` in [0, 1). */
export function txRetryDelayMs(
  policy: TxRetryPolicy,
  attempt: number,
  random: number = Math.random(),
): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random * ceiling) + 1;
}

/** Whether attempt `attempt` (1-based, just failed) may be followed by another `delayMs` from now. */
export function mayRetry(
  policy: TxRetryPolicy,
  attempt: number,
  elapsedMs: number,
  delayMs: number,
): boolean {
  return attempt < policy.attempts && elapsedMs + delayMs < policy.budgetMs;
}
