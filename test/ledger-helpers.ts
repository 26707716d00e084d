import { randomUUID } from 'node:crypto';
import { TransactionService } from '../src/common/database/transaction.service';
import { WalletService } from '../src/wallet';
import { TestApp } from './utils/test-app';

/**
 * The ledger check (GET /v1/admin/ledger, as an admin) after a suite that moves money: every journal
 * sums to 0 and every wallet's balance equals the sum of its entries. Fails with the report otherwise.
 */
export async function expectLedgerBalanced(t: TestApp): Promise<void> {
  const res = await t
    .http()
    .get('/v1/admin/ledger')
    .set('Authorization', t.bearer('ledger-auditor', 'admin'));
  expect([res.status, res.body]).toEqual([
    200,
    expect.objectContaining({ balanced: true, drift: [], unbalancedJournals: [] }),
  ]);
}

/**
 * Gives a wallet money the way support would: an ADJUSTMENT journal from `opening`, so the ledger stays
 * balanced (a bare `UPDATE t_user_account` would show up as drift).
 */
export async function seedWallet(t: TestApp, userId: string, amount: number): Promise<void> {
  await t.app
    .get(TransactionService)
    .run((m) => t.app.get(WalletService).adjust(m, { userId, amount, ref: `seed-${randomUUID()}` }));
}
