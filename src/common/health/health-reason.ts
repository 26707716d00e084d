/**
 * Why a dependency is down, as /health says it: a stable code, never a library's message (which can name
 * hosts, ports, users or internals). The message goes to the log, once per failed check.
 */
export type HealthReason =
  | 'TIMEOUT'
  | 'UNREACHABLE'
  | 'UNEXPECTED_REPLY'
  | 'CLUSTER_SLOTS_UNCOVERED'
  | 'CLUSTER_NODE_NOT_CONNECTED'
  | 'CLUSTER_STATE_NOT_OK'
  | 'GALERA_NOT_READY';

/** An error a health check throws on purpose, with the reason /health shows. */
export class HealthProblem extends Error {
  constructor(
    readonly reason: HealthReason,
    message: string,
  ) {
    super(message);
  }
}

/** The stable reason of a failed check: its own HealthProblem, a timeout, or "unreachable". */
export function healthReasonOf(err: unknown): HealthReason {
  if (err instanceof HealthProblem) return err.reason;
  const message = err instanceof Error ? err.message : String(err);
  return /time(d)? ?out|no answer within/i.test(message) ? 'TIMEOUT' : 'UNREACHABLE';
}
