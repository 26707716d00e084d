import type { Connection } from 'mysql2/promise';
import type { Invariant } from './invariants';

/**
 * The payout invariants (issue 26, docs/payouts.md), read straight from the tables — oncepay's t_payout,
 * ledger and markers, and the payout simulator's own `sandbox_transfer` (one row per protocol and number;
 * `inconsistent_calls` counts the calls refused for other parameters under the number) and
 * `sandbox_transfer_call` (every call's parameter set under its number, made or not). Shared by
 * `npm run chaos` and the e2e storm (test/payout.e2e-spec.ts); each row's violations count payouts
 * (numbers), not findings.
 */

/** Runs one SQL statement and gives its rows (mysql2's Connection or a TypeORM DataSource / QueryRunner). */
export type Query = (sql: string, params?: unknown[]) => Promise<Array<Record<string, unknown>>>;

export const mysqlQuery =
  (c: Connection): Query =>
  async (sql, params = []) =>
    (await c.query(sql, params))[0] as Array<Record<string, unknown>>;

const CHANNELS = ['alipay', 'wechat'] as const;

const sample = (xs: unknown[]) =>
  xs
    .slice(0, 3)
    .map((x) => JSON.stringify(x))
    .join('; ');

/**
 * `nos`: only these payout numbers (and their transfers, entries and markers) — the e2e storm, whose file
 * also corrupts a payout on purpose; without it, every payout and every transfer the simulator holds (the
 * chaos run: a transfer under a number oncepay never issued is then a violation too).
 */
export async function payoutInvariants(q: Query, nos?: string[]): Promise<Invariant[]> {
  const only = (col: string) =>
    nos ? ` AND ${col} IN (${nos.length ? nos.map(() => '?').join(', ') : 'NULL'})` : '';
  const p = nos ?? [];
  const local = (
    await q(
      `SELECT payout_no, channel, payee_identity, amount, status, failed_reason FROM t_payout WHERE 1 = 1${only('payout_no')}`,
      p,
    )
  ).map((r) => ({
    no: String(r.payout_no),
    channel: String(r.channel),
    payee: String(r.payee_identity),
    amount: Number(r.amount),
    status: String(r.status),
    failedReason: String(r.failed_reason),
  }));
  const sim = (
    await q(
      `SELECT protocol, out_no, payee_identity, amount, status, inconsistent_calls FROM sandbox_transfer WHERE 1 = 1${only('out_no')}`,
      p,
    )
  ).map((r) => ({
    no: String(r.out_no),
    protocol: String(r.protocol),
    payee: String(r.payee_identity),
    amount: Number(r.amount),
    status: String(r.status),
    inconsistent: Number(r.inconsistent_calls),
  }));
  const localByNo = new Map(local.map((l) => [l.no, l]));
  const sum = (xs: Array<{ amount: number }>) => xs.reduce((s, x) => s + x.amount, 0);
  const out: Invariant[] = [];

  // 1. per channel: the simulator's SUCCESS transfers are exactly the SUCCEEDED payouts here, number by
  //    number and to the fen (a bounced transfer is REFUND there and FAILED here, its money back)
  for (const ch of CHANNELS) {
    const gateway = sim.filter((s) => s.protocol === ch && s.status === 'SUCCESS');
    const here = local.filter((l) => l.channel === ch && l.status === 'SUCCEEDED');
    const gatewayNos = new Set(gateway.map((g) => g.no));
    const bad = new Map<string, unknown>();
    for (const g of gateway) {
      const l = localByNo.get(g.no);
      if (!l || l.channel !== ch || l.status !== 'SUCCEEDED' || l.amount !== g.amount)
        bad.set(g.no, { no: g.no, gateway: g.amount, here: l ? `${l.status} ${l.amount}` : null });
    }
    for (const l of here) {
      const at = sim.find((x) => x.no === l.no);
      if (!gatewayNos.has(l.no))
        bad.set(l.no, { no: l.no, gateway: at ? `${at.status} ${at.amount}` : null, here: l.amount });
    }
    out.push({
      name: `${ch} payouts: Σ SUCCESS transfers at the sandbox = Σ SUCCEEDED payouts (to the fen, number by number)`,
      violations: bad.size,
      detail:
        `${gateway.length} SUCCESS transfers at the sandbox (${sum(gateway)} fen), ${here.length} SUCCEEDED here (${sum(here)} fen)` +
        (bad.size ? `; e.g. ${sample([...bad.values()])}` : ''),
    });
  }

  // 2. one number, one transfer, one parameter set: no call under a number with other parameters (the
  //    simulator refuses and counts it), no number made twice, nothing made under a number we never
  //    issued or on another channel, and what was made is what the payout says (payee, amount)
  const seen = new Map<string, number>();
  for (const s of sim) seen.set(s.no, (seen.get(s.no) ?? 0) + 1);
  const twice = new Map<string, unknown>();
  for (const s of sim) {
    const l = localByNo.get(s.no);
    const why =
      s.inconsistent > 0
        ? `${s.inconsistent} calls with other parameters`
        : seen.get(s.no)! > 1
          ? 'made twice'
          : !l
            ? 'no such payout'
            : l.channel !== s.protocol
              ? `made on ${s.protocol}, a ${l.channel} payout`
              : l.amount !== s.amount || l.payee !== s.payee
                ? `made with ${s.amount} fen to ${s.payee}, the payout says ${l.amount} to ${l.payee}`
                : null;
    if (why) twice.set(s.no, { no: s.no, why });
  }
  // …and the simulator's call log, which holds every call's parameter set under its number, also of calls
  // that made nothing (SYSTEM_ERROR, a timeout before, a refused payee): one set per number (the same number
  // called on both protocols is two)
  const called = await q(
    `SELECT out_no, COUNT(*) AS sets, SUM(calls) AS calls FROM sandbox_transfer_call
      WHERE 1 = 1${only('out_no')} GROUP BY out_no`,
    p,
  );
  for (const k of called) {
    const no = String(k.out_no);
    if (Number(k.sets) > 1) twice.set(no, { no, why: `called with ${Number(k.sets)} parameter sets` });
    else if (!localByNo.has(no)) twice.set(no, { no, why: 'called, no such payout' });
  }
  const calls = called.reduce((n, k) => n + Number(k.calls), 0);
  const refused = sim.reduce((n, s) => n + s.inconsistent, 0);
  out.push({
    name: 'no payout number sent with two parameter sets (one transfer per number, as stored)',
    violations: twice.size,
    detail:
      `${sim.length} transfers at the sandbox for ${local.length} payouts; ${calls} transfer calls under ${called.length} numbers, ${called.filter((k) => Number(k.sets) > 1).length} with two parameter sets, ${refused} refused for other parameters` +
      (twice.size ? `; e.g. ${sample([...twice.values()])}` : ''),
  });

  // 3. every payout debited once (its PAYOUT journal); a FAILED one's money back exactly once (one
  //    PAYOUT_REVERSED marker, one PAYOUT_REVERSAL journal, the wallet net 0), any other none of it
  const money = await q(
    `SELECT p.payout_no, p.status, p.amount,
            (SELECT COUNT(*) FROM t_uq_dipose d WHERE d.ref_type = 'PAYOUT_REVERSED' AND d.ref_id = p.payout_no) AS markers,
            (SELECT COUNT(*) FROM t_ledger_entry e WHERE e.ref_type = 'PAYOUT' AND e.ref_id = p.payout_no AND e.kind = 'PAYOUT') AS debits,
            (SELECT COUNT(*) FROM t_ledger_entry e WHERE e.ref_type = 'PAYOUT' AND e.ref_id = p.payout_no AND e.kind = 'PAYOUT_REVERSAL') AS reversals,
            (SELECT COALESCE(SUM(e.amount), 0) FROM t_ledger_entry e JOIN t_ledger_account la ON la.id = e.account_id
              WHERE la.kind = 'WALLET' AND e.ref_type = 'PAYOUT' AND e.ref_id = p.payout_no) AS wallet
       FROM t_payout p WHERE 1 = 1${only('p.payout_no')}
     HAVING debits <> 2
         OR (p.status = 'FAILED' AND (markers <> 1 OR reversals <> 2 OR wallet <> 0))
         OR (p.status <> 'FAILED' AND (markers <> 0 OR reversals <> 0 OR wallet <> -p.amount))`,
    p,
  );
  const failed = local.filter((l) => l.status === 'FAILED');
  out.push({
    name: "every FAILED payout's money back exactly once (one PAYOUT_REVERSED marker, one reversal), no other's",
    violations: money.length,
    detail: money.length
      ? sample(money)
      : `${local.length} payouts debited once; ${failed.length} FAILED (${failed.filter((l) => /^BOUNCED/.test(l.failedReason)).length} bounced after success), each given back once`,
  });

  // 4. the ledger: each payouts:<channel> account holds exactly the payouts not FAILED (once none is
  //    PENDING: the SUCCEEDED ones), to the fen
  const accounts = await q(
    `SELECT la.owner, COALESCE(SUM(e.amount), 0) AS balance
       FROM t_ledger_account la
       LEFT JOIN t_ledger_entry e ON e.account_id = la.id${nos ? ` AND e.ref_type = 'PAYOUT'${only('e.ref_id')}` : ''}
      WHERE la.kind = 'SYSTEM' AND la.owner IN (${CHANNELS.map(() => '?').join(', ')})
      GROUP BY la.owner`,
    [...p, ...CHANNELS.map((ch) => `payouts:${ch}`)],
  );
  const ledgerBad: unknown[] = [];
  const ledgerOk: string[] = [];
  for (const ch of CHANNELS) {
    const balance = Number(accounts.find((a) => a.owner === `payouts:${ch}`)?.balance ?? 0);
    const held = sum(local.filter((l) => l.channel === ch && l.status !== 'FAILED'));
    if (balance !== held) ledgerBad.push({ account: `payouts:${ch}`, balance, payoutsNotFailed: held });
    ledgerOk.push(`payouts:${ch} ${balance} fen`);
  }
  out.push({
    name: 'ledger: payouts:<channel> = Σ payouts not FAILED (per channel, to the fen)',
    violations: ledgerBad.length,
    detail: ledgerBad.length ? sample(ledgerBad) : ledgerOk.join(', '),
  });

  // 5. settled: nothing left PENDING (REVIEW waits for an admin, on purpose)
  const pending = local.filter((l) => l.status === 'PENDING');
  const count = (s: string) => local.filter((l) => l.status === s).length;
  out.push({
    name: 'no payout left PENDING after the settle',
    violations: pending.length,
    detail: `${count('SUCCEEDED')} SUCCEEDED, ${count('FAILED')} FAILED, ${pending.length} PENDING, ${count('REVIEW')} REVIEW${pending.length ? `; e.g. ${sample(pending.map((l) => l.no))}` : ''}`,
  });
  return out;
}
