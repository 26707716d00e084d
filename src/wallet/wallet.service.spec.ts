import { EntityManager } from 'typeorm';
import { WalletRepository } from './wallet.repository';
import { WalletService } from './wallet.service';

/**
 * WalletService keeps the amount rule and leaves the SQL to WalletRepository: the repository's
 * statements run on a fake manager here, so the one statement per call is visible.
 */
function setup(affectedRows = 1, account: unknown[] = []) {
  const sql: string[] = [];
  const m = {
    query: jest.fn(async (q: string) => {
      sql.push(q.replace(/\s+/g, ' ').trim());
      return q.startsWith('SELECT') ? account : { affectedRows };
    }),
  } as unknown as EntityManager;
  const repo = new WalletRepository({ manager: m } as never);
  return { svc: new WalletService(repo), m, sql };
}

describe('WalletService (repository on a fake manager)', () => {
  it('credit is one upsert; debit one conditional UPDATE whose row count is the answer', async () => {
    const s = setup();
    await s.svc.credit(s.m, 'u1', 300);
    expect(await s.svc.debit(s.m, 'u1', 100)).toBe(true);
    expect(s.sql).toHaveLength(2);
    expect(s.sql[0]).toMatch(
      /^INSERT INTO t_user_account .* ON DUPLICATE KEY UPDATE balance = balance \+ VALUES/,
    );
    expect(s.sql[1]).toMatch(/^UPDATE t_user_account SET balance = balance - \?.* AND balance >= \?$/);
    const short = setup(0);
    expect(await short.svc.debit(short.m, 'u1', 100)).toBe(false);
  });

  it('refuses an amount that is not a positive integer of fen before any statement', async () => {
    const s = setup();
    for (const bad of [0, -5, 1.5, Number.NaN]) {
      await expect(s.svc.credit(s.m, 'u1', bad)).rejects.toThrow(/positive integer/);
      await expect(s.svc.debit(s.m, 'u1', bad)).rejects.toThrow(/positive integer/);
    }
    expect(s.sql).toEqual([]);
  });

  it('creditRecharge is one INSERT … SELECT from the order; false when it wrote nothing (GOODS)', async () => {
    const s = setup(0);
    expect(await s.svc.creditRecharge(s.m, 'O1')).toBe(false);
    expect(s.sql).toHaveLength(1);
    expect(s.sql[0]).toMatch(/SELECT o\.user_id, o\.total_amount,.* o\.type = 'RECHARGE'/);
  });

  it('getAccount reads without a transaction; no row is an empty wallet', async () => {
    expect(await setup().svc.getAccount('u1')).toEqual({ balance: 0, currency: 'CNY' });
    expect(await setup(1, [{ balance: '1200', currency: 'CNY' }]).svc.getAccount('u1')).toEqual({
      balance: 1200,
      currency: 'CNY',
    });
  });
});
