/**
 * What happens after attempt number `attempt` (1-based) failed, on WEBHOOK_RETRY_DELAYS_MS: try again
 * after the `attempt`-th delay, or give up once every delay has been used (1 + delays.length tries).
 */
export function nextRetryDelay(delaysMs: readonly number[], attempt: number): number | null {
  if (attempt < 1) throw new Error(`attempt numbers start at 1 (got ${attempt})`);
  return attempt <= delaysMs.length ? delaysMs[attempt - 1] : null;
}
