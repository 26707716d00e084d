import type { BenchContext } from '../lib/context';
import type { Instance } from '../lib/instances';
import { load } from '../lib/load';
import { fmt } from '../lib/table';

/** Wallets the payouts spread over (each user's wallet and day rows are their own). */
const USERS = 50;

/**
 * Payouts (issue 26): distinct payouts created per second — each one transaction: the t_payout row with its
 * number, the conditional wallet debit and its PAYOUT journal, the day's total — then the time until every
 * one is SUCCEEDED through the sandbox's Alipay transfer (the Bull send job, the signed fund call), and the
 * invariant "the gateway's transfers = local SUCCEEDED payouts, to the fen". Wallets (with their ADJUSTMENT
 * journals) and the payee are written in SQL first.
 */
export async function payoutRows(ctx: BenchContext, a: Instance): Promise<void> {
  const { connections, quick } = ctx;
  const run = ctx.runId;
  const n = quick ? 500 : 2000;
  const user = (k: number) => `bp${run}u${k}`;
  const per = Math.ceil(n / USERS);
  const payee = `2088${String(Date.now()).slice(-12)}`;

  ctx.log(`payouts: ${USERS} wallets of ${per} fen (SQL), payee ${payee}`);
  const now = new Date();
  await ctx.sql(
    `INSERT INTO t_user_account (user_id, balance, currency, version, created_at, updated_at) VALUES ${Array.from(
      { length: USERS },
      () => "(?, ?, 'CNY', 1, ?, ?)",
    ).join(', ')}`,
    Array.from({ length: USERS }, (_, k) => [user(k), per, now, now]).flat(),
  );
  await ctx.sql(
    `INSERT INTO t_ledger_account (kind, owner) VALUES ${Array.from({ length: USERS }, () => "('WALLET', ?)").join(', ')}`,
    Array.from({ length: USERS }, (_, k) => user(k)),
  );
  await ctx.sql(
    `INSERT INTO t_ledger_entry (journal_id, account_id, amount, kind, ref_type, ref_id, balance_after, created_at)
     SELECT CONCAT('Jp', la.owner), la.id, ?, 'ADJUSTMENT', 'MANUAL', CONCAT('bench-', la.owner), ?, NOW(3)
       FROM t_ledger_account la WHERE la.kind = 'WALLET' AND la.owner LIKE ?
     UNION ALL
     SELECT CONCAT('Jp', la.owner), o.id, ?, 'ADJUSTMENT', 'MANUAL', CONCAT('bench-', la.owner), NULL, NOW(3)
       FROM t_ledger_account la JOIN t_ledger_account o ON o.kind = 'SYSTEM' AND o.owner = 'opening'
      WHERE la.kind = 'WALLET' AND la.owner LIKE ?`,
    [per, per, `bp${run}u%`, -per, `bp${run}u%`],
  );
  await ctx.sql("INSERT IGNORE INTO sandbox_payee (protocol, identity) VALUES ('alipay', ?)", [payee]);
  const api = ctx.api(a);
  const tokens = await Promise.all(Array.from({ length: USERS }, (_, k) => api.token(user(k))));

  ctx.log(`payouts: POST /v1/payouts × ${n} (1 fen each, keyed)`);
  const t0 = Date.now();
  const res = await load(
    a.url,
    {
      method: 'POST',
      path: '/v1/payouts',
      body: { channel: 'alipay', account: { identity: payee }, amount: 1 },
      headersFn: (i) => ({
        authorization: `Bearer ${tokens[i % USERS]}`,
        'idempotency-key': `bench-${run}-${i}`,
      }),
    },
    { connections, amount: n },
  );
  const mine = ['SELECT COUNT(*) FROM t_payout WHERE user_id LIKE ?', [`bp${run}u%`]] as const;
  const created = await ctx.scalar(mine[0], [...mine[1]]);
  let succeeded = 0;
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    succeeded = await ctx.scalar(
      "SELECT COUNT(*) FROM t_payout WHERE user_id LIKE ? AND status = 'SUCCEEDED'",
      [`bp${run}u%`],
    );
    if (succeeded >= created) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const settleS = (Date.now() - t0) / 1000;
  const gateway = await ctx.scalar(
    `SELECT COALESCE(SUM(t.amount), 0) FROM sandbox_transfer t JOIN t_payout p
       ON BINARY p.payout_no = BINARY t.out_no AND t.protocol = 'alipay' WHERE p.user_id LIKE ? AND t.status = 'SUCCESS'`,
    [`bp${run}u%`],
  );
  const local = await ctx.scalar(
    "SELECT COALESCE(SUM(amount), 0) FROM t_payout WHERE user_id LIKE ? AND status = 'SUCCEEDED'",
    [`bp${run}u%`],
  );
  ctx.rows.push({
    row: 'payout create (distinct payouts) and settle',
    work: `POST /v1/payouts × ${fmt(n)} over ${USERS} wallets: row + number, debit, journal, day total; then the transfer job`,
    result:
      `${fmt(res.rps)} creates/s, p50 ${fmt(res.p50, 1)} ms, p99 ${fmt(res.p99, 1)} ms (201: ${fmt(res.status[201] ?? 0)}); ` +
      `all ${fmt(succeeded)} SUCCEEDED ${fmt(settleS, 1)} s after the first create; gateway ${fmt(gateway)} fen = local ${fmt(local)} fen`,
    target: 'every payout created once and SUCCEEDED; gateway transfers = local SUCCEEDED, to the fen',
    pass: created === n && succeeded === n && gateway === local,
  });
}
