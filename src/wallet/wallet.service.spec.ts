import { EntityManager } from 'typeorm';
import { LedgerRepository } from './ledger.repository';
import { WalletRepository } from './wallet.repository';
import { WalletService } from './wallet.service';

/**
 * WalletService keeps the amount rule and the journal of each movement, and leaves the SQL to the
 * repositories: their statements run on a fake manager here, so each call's statements are visible.
 */
function setup(affectedRows = 1, account: unknown[] = []) {
  const sql: string[] = [];
  const params: unknown[][] = [];
  const m = {
    query: jest.fn(async (q: string, p: unknown[] = []) => {
      sql.push(q.replace(/\s+/g, ' ').trim());
      params.push(p);
      if (q.startsWith('SELECT')) return account;
      // the entry insert writes one row per journal line
      if (q.includes('INSERT INTO t_ledger_entry'))
        return { affectedRows: (q.match(/UNION ALL/g)?.length ?? 0) + 1 };
      return { affectedRows };
    }),
  } as unknown as EntityManager;
  const ds = { manager: m, query: jest.fn(async () => ({ affectedRows: 0 })) };
  const ledger = new LedgerRepository(ds as never);
  const svc = new WalletService(new WalletRepository(ds as never), ledger);
  return { svc, m, sql, params, ds };
}

describe('WalletService (repositories on a fake manager)', () => {
  it('a recharge credit is the upsert, then one balanced journal clearing:<channel> → wallet', async () => {
    const s = setup();
    await s.svc.onModuleInit(); // system accounts known: no INSERT IGNORE of them in the posting
    await s.svc.creditRecharge(s.m, { userId: 'u1', amount: 300, paymentNo: 'P1', channel: 'alipay' });
    const [upsert, ...rest] = s.sql;
    expect(upsert).toMatch(
      /^INSERT INTO t_user_account .* ON DUPLICATE KEY UPDATE balance = balance \+ VALUES/,
    );
    // the wallet's ledger account is not known to this instance yet: made in the same transaction
    expect(rest[0]).toMatch(/^INSERT IGNORE INTO t_ledger_account/);
    expect(s.params[1]).toEqual(['WALLET', 'u1', expect.any(Date)]);
    expect(rest[1]).toMatch(/^INSERT INTO t_ledger_entry .* UNION ALL /);
    const p = s.params[2];
    // (journal, amount, kind, refType, refId, at, owner) per line; both lines share the journal id
    expect([p[1], p[2], p[3], p[4], p[6]]).toEqual([-300, 'RECHARGE', 'PAYMENT', 'P1', 'clearing:alipay']);
    expect([p[8], p[9], p[10], p[11], p[13]]).toEqual([300, 'RECHARGE', 'PAYMENT', 'P1', 'u1']);
    expect(p[0]).toBe(p[7]);
  });

  it('a wallet payment is the conditional debit, then wallet → revenue; a short balance posts nothing', async () => {
    const s = setup();
    await s.svc.onModuleInit();
    expect(await s.svc.payFromWallet(s.m, { userId: 'u1', amount: 100, paymentNo: 'P2' })).toBe(true);
    expect(s.sql[0]).toMatch(/^UPDATE t_user_account SET balance = balance - \?.* AND balance >= \?$/);
    expect(s.sql.at(-1)).toMatch(/^INSERT INTO t_ledger_entry/);
    const short = setup(0);
    expect(await short.svc.payFromWallet(short.m, { userId: 'u1', amount: 100, paymentNo: 'P3' })).toBe(
      false,
    );
    expect(short.sql).toHaveLength(1);
  });

  it('a journal that did not land whole (an account row missing) throws: the caller rolls back', async () => {
    const s = setup();
    (s.m.query as jest.Mock).mockImplementation(async (q: string) =>
      q.includes('t_ledger_entry') ? { affectedRows: 1 } : { affectedRows: 1 },
    );
    await expect(s.svc.refundToWallet(s.m, { userId: 'u1', amount: 5, refundNo: 'R1' })).rejects.toThrow(
      /1 of 2 entries written/,
    );
  });

  it('a transfer locks the two wallets in user-id order (debit first only when the sender sorts first), then one journal', async () => {
    for (const [from, to, first] of [
      ['a', 'b', /^UPDATE t_user_account SET balance = balance - \?/],
      ['b', 'a', /^INSERT INTO t_user_account/],
    ] as const) {
      const s = setup();
      await s.svc.onModuleInit();
      await s.svc.transfer(s.m, { fromUserId: from, toUserId: to, amount: 50, transferNo: 'T1' });
      const writes = s.sql.filter((q) => !q.startsWith('INSERT IGNORE'));
      expect(writes[0]).toMatch(first);
      expect(writes).toHaveLength(3);
      expect(writes[2]).toMatch(/^INSERT INTO t_ledger_entry/);
    }
    const short = setup(0);
    await expect(
      short.svc.transfer(short.m, { fromUserId: 'a', toUserId: 'b', amount: 50, transferNo: 'T2' }),
    ).rejects.toMatchObject({ code: 'INSUFFICIENT_BALANCE' });
    expect(short.sql).toHaveLength(1); // nothing credited, nothing posted
  });

  it('refuses an amount that is not a positive integer of fen before any statement', async () => {
    const s = setup();
    for (const bad of [0, -5, 1.5, Number.NaN]) {
      await expect(s.svc.adjust(s.m, { userId: 'u1', amount: bad, ref: 'x' })).rejects.toThrow(
        /positive integer/,
      );
      await expect(s.svc.payFromWallet(s.m, { userId: 'u1', amount: bad, paymentNo: 'x' })).rejects.toThrow(
        /positive integer/,
      );
    }
    expect(s.sql).toEqual([]);
  });

  it('getAccount reads without a transaction; no row is an empty wallet', async () => {
    expect(await setup().svc.getAccount('u1')).toEqual({ balance: 0, currency: 'CNY' });
    expect(await setup(1, [{ balance: '1200', currency: 'CNY' }]).svc.getAccount('u1')).toEqual({
      balance: 1200,
      currency: 'CNY',
    });
  });
});
