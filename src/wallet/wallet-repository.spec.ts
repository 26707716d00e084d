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
    const m = { query: jest.fn(async () => []) } as unknown as EntityManager;
    await expect(repo.lockForSubmit(m, 'u1')).rejects.toBeInstanceOf(UserRowMissing);
    await repo.ensureRow('u1', new Date());
    expect(ds.query).toHaveBeenCalledTimes(2);
  });
});
