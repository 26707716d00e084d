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
  return e?.driverError?.fatal === true || e?.fatal === true || (!!code && UNAVAILABLE.has(code));
}

export function isDuplicateKey(err: unknown): boolean {
  return driverCode(err) === 'ER_DUP_ENTRY';
}

/** Deadlock and lock-wait timeout: the transaction was rolled back and may simply be run again. */
export function isRetryableTxError(err: unknown): boolean {
  const c = driverCode(err);
  return c === 'ER_LOCK_DEADLOCK' || c === 'ER_LOCK_WAIT_TIMEOUT';
}

/** The duplicate-key message names the key, e.g. "... for key 'uq_1'". */
export function duplicateKeyName(err: unknown): string | undefined {
  const msg =
    (err as { driverError?: { sqlMessage?: string }; message?: string })?.driverError?.sqlMessage ?? '';
  return /for key '([^']+)'/.exec(msg)?.[1]?.split('.').pop();
}
