/** MySQL/MariaDB error classification, read from the driver error TypeORM wraps. */
function driverCode(err: unknown): string | undefined {
  const e = err as { code?: string; driverError?: { code?: string } };
  return e?.driverError?.code ?? e?.code;
}

/** Errors that say the database could not be reached or did not finish, not that the request was wrong. */
const UNAVAILABLE = new Set([
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_CONNECTION_KILLED',
  'ER_QUERY_INTERRUPTED',
  // Galera: 1047 "WSREP has not yet prepared node for application use" (a node that is not Primary
  // and Synced: joining, donor, cut off from the quorum, shutting down)
  'ER_UNKNOWN_COM_ERROR',
  // Galera: a commit the provider could not replicate (a node leaving the cluster mid-commit)
  'ER_ERROR_DURING_COMMIT',
  'ER_LOCK_ABORTED',
  // still failing after TransactionService's own retries: busy, not wrong
  'ER_LOCK_DEADLOCK',
  'ER_LOCK_WAIT_TIMEOUT',
]);

/**
 * The database is unreachable or gave up on the statement (connection lost, refused, killed, a
 * server shutdown, or a deadlock that outlived the retries): a client may retry later. mysql2 marks
 * connection-level errors `fatal`.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { fatal?: boolean; driverError?: { fatal?: boolean } };
  const code = driverCode(err);
  return (
    e?.driverError?.fatal === true ||
    e?.fatal === true ||
    (!!code && UNAVAILABLE.has(code)) ||
    isWsrepNotReady(err)
  );
}

export function isDuplicateKey(err: unknown): boolean {
  return driverCode(err) === 'ER_DUP_ENTRY';
}

/** Galera's errno for a request to a node that is not ready (not Primary/Synced). */
const WSREP_NOT_READY = 1047;

/**
 * Why a rolled-back transaction may simply be run again, or undefined: `conflict` for
 * ER_LOCK_DEADLOCK (a deadlock on one server; on Galera also a certification conflict at commit,
 * or a brute-force abort by a replicated write, for a duplicate key written on another node too),
 * `lock_wait` for ER_LOCK_WAIT_TIMEOUT.
 */
export function retryReason(err: unknown): 'conflict' | 'lock_wait' | undefined {
  const c = driverCode(err);
  if (c === 'ER_LOCK_DEADLOCK') return 'conflict';
  if (c === 'ER_LOCK_WAIT_TIMEOUT') return 'lock_wait';
  return undefined;
}

/** Deadlock, certification conflict and lock-wait timeout: rolled back, may simply be run again. */
export function isRetryableTxError(err: unknown): boolean {
  return retryReason(err) !== undefined;
}

/** Galera's "WSREP has not yet prepared node for application use" (1047), by code or errno. */
export function isWsrepNotReady(err: unknown): boolean {
  const e = err as { errno?: number; driverError?: { errno?: number } };
  return (
    (e?.driverError?.errno ?? e?.errno) === WSREP_NOT_READY || driverCode(err) === 'ER_UNKNOWN_COM_ERROR'
  );
}

/** The duplicate-key message names the key, e.g. "... for key 'uq_1'". */
export function duplicateKeyName(err: unknown): string | undefined {
  const msg =
    (err as { driverError?: { sqlMessage?: string }; message?: string })?.driverError?.sqlMessage ?? '';
  return /for key '([^']+)'/.exec(msg)?.[1]?.split('.').pop();
}
