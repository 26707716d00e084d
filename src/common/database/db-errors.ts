/** MySQL/MariaDB error classification, read from the driver error TypeORM wraps. */
function driverCode(err: unknown): string | undefined {
  const e = err as { code?: string; driverError?: { code?: string } };
  return e?.driverError?.code ?? e?.code;
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
