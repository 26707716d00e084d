import { Ledger1734200000000, OPENING_JOURNAL_ID } from '../src/migrations/1734200000000-ledger';
import { newUserId } from './factories/order.factory';
import { expectLedgerBalanced, seedWallet } from './ledger-helpers';
import { newOrder, prepay } from './payment-helpers';
import { createTestApp, TestApp } from './utils/test-app';

/** The ledger itself: the opening migration, the check (and its drift report / metrics), the entries API. */
describe('ledger (real MySQL + Redis)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t?.close());

  const admin = () => t.bearer('auditor', 'admin');
  const check = async () =>
    (await t.http().get('/v1/admin/ledger').set('Authorization', admin()).expect(200)).body;

  it('an old database upgrades: one opening journal of the existing balances, balanced, every wallet = its entries', async () => {
    const qr = t.dataSource.createQueryRunner();
    const migration = new Ledger1734200000000();
    try {
      await migration.down(qr); // the database as it was before the ledger
      const users = [newUserId(), newUserId(), newUserId()];
      for (const [i, u] of users.entries()) {
        await qr.query(
          `INSERT INTO t_user_account (user_id, balance, currency, version, created_at, updated_at)
           VALUES (?, ?, 'CNY', 1, NOW(3), NOW(3))`,
          [u, [5000, 0, 123][i]],
        );
      }
      await migration.up(qr);
      const rows: Array<{ owner: string; amount: string }> = await qr.query(
        `SELECT la.owner, e.amount FROM t_ledger_entry e JOIN t_ledger_account la ON la.id = e.account_id
          WHERE e.journal_id = ? ORDER BY e.amount`,
        [OPENING_JOURNAL_ID],
      );
      expect(rows.map((r) => [r.owner, Number(r.amount)])).toEqual([
        ['opening', -5123],
        [users[2], 123],
        [users[0], 5000],
      ]);
    } finally {
      await qr.release();
    }
    const report = await check();
    expect(report).toMatchObject({ balanced: true, journals: 1, drift: [], unbalancedJournals: [] });
    expect(report.systemAccounts).toEqual(expect.arrayContaining([{ account: 'opening', balance: -5123 }]));
  });

  it('money moved by the flows is on the ledger: GET /v1/account/entries pages newest first with the balance after', async () => {
    const { userId, orderNo, amount } = await newOrder(t, 700);
    await seedWallet(t, userId, 1000);
    await prepay(t, userId, orderNo, 'wallet').expect(201);
    const page1 = await t
      .http()
      .get('/v1/account/entries?limit=1')
      .set('Authorization', t.bearer(userId))
      .expect(200);
    expect(page1.body.items).toEqual([
      {
        amount: -amount,
        kind: 'WALLET_PAYMENT',
        refType: 'PAYMENT',
        refId: expect.stringMatching(new RegExp(`^${orderNo}P\\d\\d$`)),
        balanceAfter: 300,
        createdAt: expect.any(String),
      },
    ]);
    const page2 = await t
      .http()
      .get(`/v1/account/entries?limit=5&cursor=${page1.body.nextCursor}`)
      .set('Authorization', t.bearer(userId))
      .expect(200);
    expect(page2.body).toEqual({
      items: [
        expect.objectContaining({ amount: 1000, kind: 'ADJUSTMENT', refType: 'MANUAL', balanceAfter: 1000 }),
      ],
      nextCursor: null,
    });
    // someone else sees none of it; a bad cursor or limit is 400 VALIDATION_FAILED
    const other = await t
      .http()
      .get('/v1/account/entries')
      .set('Authorization', t.bearer(newUserId()))
      .expect(200);
    expect(other.body).toEqual({ items: [], nextCursor: null });
    for (const q of ['cursor=eyJpZCI6LTF9', 'limit=0', 'limit=101', 'cursor=***']) {
      const bad = await t.http().get(`/v1/account/entries?${q}`).set('Authorization', t.bearer(userId));
      expect([q, bad.status, bad.body.code]).toEqual([q, 400, 'VALIDATION_FAILED']);
    }
    await expectLedgerBalanced(t);
  });

  it('a balance changed outside the wallet module is drift: reported, in /metrics, and gone once repaired', async () => {
    const u = newUserId();
    await seedWallet(t, u, 400);
    await t.dataSource.query('UPDATE t_user_account SET balance = balance + 250 WHERE user_id = ?', [u]);
    const report = await check();
    expect(report.balanced).toBe(false);
    expect(report.drift).toEqual([{ userId: u, balance: 650, entries: 400, drift: 250 }]);
    const metrics = await t.http().get('/metrics').expect(200);
    expect(metrics.text).toMatch(/oncepay_ledger_drift_fen\{scope="wallets"\} 250/);
    expect(metrics.text).toMatch(/oncepay_ledger_balanced 0/);
    expect(metrics.text).toMatch(/oncepay_ledger_journals_checked \d+/);
    await t.dataSource.query('UPDATE t_user_account SET balance = balance - 250 WHERE user_id = ?', [u]);
    await expectLedgerBalanced(t);
    expect((await t.http().get('/metrics').expect(200)).text).toMatch(
      /oncepay_ledger_drift_fen\{scope="wallets"\} 0/,
    );
  });

  it('the ledger report is for admins only', async () => {
    await t.http().get('/v1/admin/ledger').set('Authorization', t.bearer(newUserId())).expect(403);
    await t.http().get('/v1/admin/ledger').expect(401);
  });
});
