import {
  isDatabaseUnavailable,
  isDuplicateKey,
  isRetryableTxError,
  isWsrepNotReady,
  retryReason,
} from './db-errors';

const driver = (code: string | undefined, errno: number) =>
  Object.assign(new Error(code ?? String(errno)), { driverError: { code, errno } });

describe('db-errors on Galera', () => {
  it('a certification conflict (ER_LOCK_DEADLOCK at commit) and a lock-wait timeout are retried as a whole', () => {
    expect(retryReason(driver('ER_LOCK_DEADLOCK', 1213))).toBe('conflict');
    expect(retryReason(driver('ER_LOCK_WAIT_TIMEOUT', 1205))).toBe('lock_wait');
    expect(isRetryableTxError(driver('ER_LOCK_DEADLOCK', 1213))).toBe(true);
  });

  it('a duplicate key, a node not ready or a lost connection is not retried inside the transaction service', () => {
    for (const e of [
      driver('ER_DUP_ENTRY', 1062),
      driver('ER_UNKNOWN_COM_ERROR', 1047),
      driver('PROTOCOL_CONNECTION_LOST', 0),
    ]) {
      expect(retryReason(e)).toBeUndefined();
    }
  });

  it('1047 (WSREP has not yet prepared node) is recognised by code or by errno, and is unavailable', () => {
    expect(isWsrepNotReady(driver('ER_UNKNOWN_COM_ERROR', 1047))).toBe(true);
    expect(isWsrepNotReady(driver(undefined, 1047))).toBe(true);
    expect(isWsrepNotReady(driver('ER_DUP_ENTRY', 1062))).toBe(false);
    expect(isDatabaseUnavailable(driver(undefined, 1047))).toBe(true);
    expect(isDatabaseUnavailable(driver('ER_ERROR_DURING_COMMIT', 1180))).toBe(true);
    expect(isDatabaseUnavailable(driver('ER_LOCK_DEADLOCK', 1213))).toBe(true);
    expect(isDatabaseUnavailable(driver('ER_DUP_ENTRY', 1062))).toBe(false);
    expect(isDuplicateKey(driver('ER_DUP_ENTRY', 1062))).toBe(true);
  });
});
