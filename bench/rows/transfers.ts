import type { BenchContext } from '../lib/context';
import type { Instance } from '../lib/instances';
import { load } from '../lib/load';
import { fmt } from '../lib/table';

/** Wallet pairs the executes spread over (one sender and one receiver row each: no lock is shared). */
const PAIRS = 50;

/**
 * Transfers (issue 22): distinct transfers executed per second (each one transaction: TRANSFER marker,
 * CAS, two wallet rows in user-id order, a two-entry journal, the outbox row) against the same run's
 * SET NX + 1 tx ceiling (target ≥ 50 %); then the ledger check's time on 100,000 entries.
 * The transfers, wallets and opening balances are written in SQL first (the row measures execute, not
 * create); the balances get their ADJUSTMENT journal, so the ledger stays balanced.
 */
export async function transferRows(ctx: BenchContext, a: Instance): Promise<void> {
  const { connections, quick } = ctx;
  const run = ctx.runId;
  const n = quick ? 1000 : 4000;
  const digits = String(run).replace(/\D/g, '').padEnd(4, '0').slice(0, 4);
  const no = (i: number) => `T2099${digits}${String(i).padStart(21, '0')}`; // T + 29 digits
  const sender = (k: number) => `bt${run}s${k}`;
  const receiver = (k: number) => `bt${run}r${k}`;
  const perSender = Math.ceil(n / PAIRS);

  ctx.log(`transfers: ${n} CREATED transfers over ${PAIRS} wallet pairs (SQL)`);
  const now = new Date();
  const wallets = Array.from({ length: PAIRS }, (_, k) => [
    [sender(k), perSender],
    [receiver(k), 0],
  ]).flat() as Array<[string, number]>;
  await ctx.sql(
    `INSERT INTO t_user_account (user_id, balance, currency, version, created_at, updated_at) VALUES ${wallets
      .map(() => "(?, ?, 'CNY', 1, ?, ?)")
      .join(', ')}`,
    wallets.flatMap(([u, b]) => [u, b, now, now]),
  );
  await ctx.sql(
    `INSERT INTO t_ledger_account (kind, owner) VALUES ${wallets.map(() => "('WALLET', ?)").join(', ')}`,
    wallets.map(([u]) => u),
  );
  // the senders' balances: one ADJUSTMENT journal each (opening → wallet)
  await ctx.sql(
    `INSERT INTO t_ledger_entry (journal_id, account_id, amount, kind, ref_type, ref_id, balance_after, created_at)
     SELECT CONCAT('Jb', la.owner), la.id, ?, 'ADJUSTMENT', 'MANUAL', CONCAT('bench-', la.owner), ?, NOW(3)
       FROM t_ledger_account la WHERE la.kind = 'WALLET' AND la.owner LIKE ?
     UNION ALL
     SELECT CONCAT('Jb', la.owner), o.id, ?, 'ADJUSTMENT', 'MANUAL', CONCAT('bench-', la.owner), NULL, NOW(3)
       FROM t_ledger_account la JOIN t_ledger_account o ON o.kind = 'SYSTEM' AND o.owner = 'opening'
      WHERE la.kind = 'WALLET' AND la.owner LIKE ?`,
    [perSender, perSender, `bt${run}s%`, -perSender, `bt${run}s%`],
  );
  const expires = new Date(Date.now() + 3_600_000);
  for (let from = 0; from < n; from += 1000) {
    const ids = Array.from({ length: Math.min(1000, n - from) }, (_, j) => from + j);
    await ctx.sql(
      `INSERT INTO t_transfer (transfer_no, from_user, to_user, amount, currency, status, version, created_at,
         updated_at, expires_at) VALUES ${ids.map(() => "(?, ?, ?, 1, 'CNY', 'CREATED', 0, ?, ?, ?)").join(', ')}`,
      ids.flatMap((i) => [no(i), sender(i % PAIRS), receiver(i % PAIRS), now, now, expires]),
    );
  }
  const api = ctx.api(a);
  const tokens = await Promise.all(Array.from({ length: PAIRS }, (_, k) => api.token(sender(k))));

  ctx.log('transfers: POST /v1/transfers/{no}/execute, each transfer once');
  const res = await load(
    a.url,
    {
      method: 'POST',
      path: '/v1/transfers',
      body: {}, // a JSON content-type with an empty body would be 400 before the route
      pathFn: (i) => `/v1/transfers/${no(i % n)}/execute`,
      headersFn: (i) => ({ authorization: `Bearer ${tokens[i % PAIRS]}` }),
    },
    { connections, amount: n },
  );
  const moved = await ctx.scalar(
    "SELECT COUNT(*) FROM t_transfer WHERE status = 'SUCCEEDED' AND from_user LIKE ?",
    [`bt${run}s%`],
  );
  const journals = await ctx.scalar(
    "SELECT COUNT(*) FROM t_ledger_entry WHERE kind = 'TRANSFER' AND ref_id LIKE ?",
    [`T2099${digits}%`],
  );
  const ceiling = ctx.ceilings.tx?.rps;
  const ratio = ceiling ? res.rps / ceiling : NaN;
  ctx.rows.push({
    row: 'transfer execute (distinct transfers)',
    work: `POST /v1/transfers/{no}/execute × ${fmt(n)}, ${PAIRS} wallet pairs: marker, CAS, 2 wallets, journal, outbox`,
    result:
      `${fmt(res.rps)} transfers/s, p50 ${fmt(res.p50, 1)} ms, p99 ${fmt(res.p99, 1)} ms; ${fmt(moved)} SUCCEEDED, ` +
      `${fmt(journals)} entries (200: ${fmt(res.status[200] ?? 0)})` +
      (ceiling ? `; ${fmt(ratio * 100)} % of SET NX + 1 tx` : ''),
    target: '≥ 50 % of SET NX + 1 tx; every transfer moved once (2 entries)',
    pass: moved === n && journals === 2 * n && (ceiling ? ratio >= 0.5 : undefined),
  });

  // the ledger check on 100,000 entries: fill up with two-entry ADJUSTMENT journals
  const have = await ctx.scalar('SELECT COUNT(*) FROM t_ledger_entry');
  const pairs = Math.max(0, Math.ceil((100_000 - have) / 2));
  ctx.log(`ledger check: ${fmt(have)} entries + ${fmt(pairs * 2)} synthetic`);
  // one statement per side (a recursive row source), journal i crediting receiver i % PAIRS by 1 fen
  await ctx.sql('SET SESSION cte_max_recursion_depth = 1000000').catch(() => undefined); // MySQL
  await ctx.sql('SET SESSION max_recursive_iterations = 1000000').catch(() => undefined); // MariaDB
  const seq = `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${pairs - 1})`;
  if (pairs > 0) {
    await ctx.sql(
      `INSERT INTO t_ledger_entry (journal_id, account_id, amount, kind, ref_type, ref_id, balance_after, created_at)
       ${seq}
       SELECT CONCAT('Jf${run}-', n.i), la.id, 1, 'ADJUSTMENT', 'MANUAL', CONCAT('fill-${run}-', n.i), NULL, NOW(3)
         FROM n JOIN t_ledger_account la ON la.kind = 'WALLET' AND la.owner = CONCAT('bt${run}r', n.i % ${PAIRS})`,
    );
    await ctx.sql(
      `INSERT INTO t_ledger_entry (journal_id, account_id, amount, kind, ref_type, ref_id, balance_after, created_at)
       ${seq}
       SELECT CONCAT('Jf${run}-', n.i), o.id, -1, 'ADJUSTMENT', 'MANUAL', CONCAT('fill-${run}-', n.i), NULL, NOW(3)
         FROM n JOIN t_ledger_account o ON o.kind = 'SYSTEM' AND o.owner = 'opening'`,
    );
  }
  // each fill journal credited a receiver by 1 fen: its balance follows (the check must find no drift)
  for (let k = 0; k < PAIRS; k++) {
    const credited = Math.floor(pairs / PAIRS) + (k < pairs % PAIRS ? 1 : 0);
    if (credited) {
      await ctx.sql('UPDATE t_user_account SET balance = balance + ? WHERE user_id = ?', [
        credited,
        receiver(k),
      ]);
    }
  }
  const admin = await api.token(`bench-auditor-${run}`, 'admin');
  const times: number[] = [];
  let report: { balanced?: boolean; entries?: number } = {};
  for (let i = 0; i < 3; i++) {
    const t0 = Date.now();
    const r = await api.call('GET', '/v1/admin/ledger', undefined, { token: admin, timeoutMs: 60_000 });
    times.push(Date.now() - t0);
    report = r.body;
  }
  ctx.rows.push({
    row: 'ledger check on 100,000 entries',
    work: 'GET /v1/admin/ledger: every journal sums to 0, every wallet = its entries (one snapshot)',
    result: `${times.map((t) => fmt(t)).join(' / ')} ms (3 runs), ${fmt(report.entries ?? 0)} entries, balanced ${report.balanced}`,
    target: 'balanced',
    pass: report.balanced === true,
  });
}
