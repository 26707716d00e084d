import { EntityManager } from 'typeorm';
import { UserRowMissing, WalletRepository } from './wallet.repository';

/** WalletRepository's per-instance memory of wallet rows, with the database stubbed. */
describe('WalletRepository.ensureRow (stubbed)', () => {
  function setup() {
    const ds = { query: jest.fn(async () => ({ affectedRows: 0 })) };
    const repo = new WalletRepository(ds as never);
    return { ds, repo };
  }

  it('writes the row once per user per instance, not once per submit', async () => {
    const { ds, repo } = setup();
    for (let i = 0; i < 3; i++) await repo.ensureRow('u1', new Date());
    await repo.ensureRow('u2', new Date());
    expect(ds.query).toHaveBeenCalledTimes(2);
    expect(ds.query.mock.calls.map((c) => (c as unknown[])[1])).toEqual([
      ['u1', expect.any(Date), expect.any(Date)],
      ['u2', expect.any(Date), expect.any(Date)],
    ]);
  });

  it('a row found missing under the submit lock is forgotten, so the next ensure writes it again', async () => {
    const { ds, repo } = setup();
    await repo.ensureRow('u1', new Date());
    const m = { query: jest.fn(async () => ({ affectedRows: 0 })) } as unknown as EntityManager;
    await expect(repo.lockForSubmit(m, 'u1')).rejects.toBeInstanceOf(UserRowMissing);
    await repo.ensureRow('u1', new Date());
    expect(ds.query).toHaveBeenCalledTimes(2);
  });

  it('the submit lock is a write on the row (certified on multi-primary), not a read lock', async () => {
    const { repo } = setup();
    const m = { query: jest.fn(async () => ({ affectedRows: 1 })) } as unknown as EntityManager;
    await repo.lockForSubmit(m, 'u1');
    const [sql, params] = (m.query as jest.Mock).mock.calls[0] as [string, unknown[]];
    expect(sql).toMatch(/^UPDATE t_user_account SET version = version \+ 1 WHERE user_id = \?$/);
    expect(sql).not.toMatch(/FOR UPDATE|SHARE MODE/);
    expect(params).toEqual(['u1']);
  });
});
