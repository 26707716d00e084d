import { CommitHorizon, parseAddresses, splitHostPort } from './commit-horizon';

/** CommitHorizon on one server (its DataSource stubbed): the horizon, and the PROCESS fallback. */
function oneServer(answer: (sql: string) => unknown) {
  const ds = { query: jest.fn(async (sql: string) => answer(sql)) };
  const tx = { isGalera: jest.fn(async () => false) };
  return { h: new CommitHorizon(ds as never, tx as never, { port: 3306 } as never), ds };
}

describe('CommitHorizon', () => {
  it('one server: its own horizon, asked with INNODB_TRX', async () => {
    const { h, ds } = oneServer(() => [{ t: '2026-12-07 10:00:00.123000' }]);
    expect(await h.horizon()).toBe('2026-12-07 10:00:00.123000');
    expect(ds.query.mock.calls[0][0]).toContain('information_schema.INNODB_TRX');
  });

  it('INNODB_TRX unreadable (no PROCESS privilege): the time-bound fallback, not an error', async () => {
    const { h, ds } = oneServer((sql) => {
      if (sql.includes('INNODB_TRX')) throw new Error('Access denied; you need the PROCESS privilege');
      return [{ t: '2026-12-07 09:50:00.000000' }];
    });
    expect(await h.horizon()).toBe('2026-12-07 09:50:00.000000');
    expect(ds.query.mock.calls[1][0]).toContain('INTERVAL');
  });

  it('any other error is not swallowed', async () => {
    const { h } = oneServer(() => {
      throw new Error('Lost connection');
    });
    await expect(h.horizon()).rejects.toThrow('Lost connection');
  });

  it('reads wsrep_incoming_addresses', () => {
    expect(parseAddresses('127.0.0.1:3311,127.0.0.1:3312, AUTO,')).toEqual([
      '127.0.0.1:3311',
      '127.0.0.1:3312',
    ]);
    expect(splitHostPort('10.0.0.5:3307', 3306)).toEqual(['10.0.0.5', 3307]);
    expect(splitHostPort('[::1]:3312', 3306)).toEqual(['::1', 3312]);
    expect(splitHostPort('db1', 3306)).toEqual(['db1', 3306]);
  });
});
