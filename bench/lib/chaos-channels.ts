import type { Connection } from 'mysql2/promise';
import type { Api } from './api';
import type { Invariant } from './invariants';

/**
 * The chaos run's per-channel parts (issue 23): the three gateway sandboxes as the invariants read them,
 * UnionPay's call faults armed on some trades, and the invariants that hold channel by channel — each
 * channel's paid money = its sandbox's, to the fen; no payment paid twice; every channel's notifies
 * acknowledged only once their outcome was durable; UnionPay's callback log rows decided, never applying twice.
 */

async function rows<T>(c: Connection, sql: string, params: unknown[] = []): Promise<T[]> {
  const [r] = await c.query(sql, params);
  return r as T[];
}

const sample = (xs: unknown[]) =>
  xs
    .slice(0, 3)
    .map((x) => JSON.stringify(x))
    .join('; ');

/** Each sandbox's trades that were ever paid, as (payment number, fen) — read from its own tables. */
export const SANDBOX_PAID: Record<'alipay' | 'wechat' | 'unionpay', string> = {
  alipay: 'SELECT out_trade_no AS no, total_amount AS fen FROM sandbox_trade WHERE gmt_payment IS NOT NULL',
  wechat:
    'SELECT out_trade_no AS no, total AS fen FROM sandbox_wechat_transaction WHERE success_time IS NOT NULL',
  unionpay:
    "SELECT order_id AS no, txn_amt AS fen FROM sandbox_unionpay_txn WHERE txn_type = '01' AND status = 'SUCCESS'",
};

/**
 * UnionPay's call faults, armed on one trade in three before it is paid: its active queries answer
 * `05` / `03` / time out for the first 1–3 calls, its refunds `03` or time out, and one trade in twenty
 * has its refunds settle FAIL (the refund is then FAILED here and the money stays).
 */
export async function armUnionpayFaults(api: Api, paymentNo: string): Promise<number | undefined> {
  if (Math.random() >= 1 / 3) return undefined;
  const pickOf = <T>(xs: T[]) => xs[Math.floor(Math.random() * xs.length)];
  const body: Record<string, unknown> = {
    query: pickOf(['in_process', 'system_error', 'timeout', 'none']),
    refund: pickOf(['system_error', 'timeout', 'none', 'none']),
    times: 1 + Math.floor(Math.random() * 3),
  };
  if (Math.random() < 0.05) body.refundOutcome = 'FAIL';
  const r = await api.call('POST', `/sandbox/unionpay/trades/${paymentNo}/faults`, body, { timeoutMs: 5000 });
  return r.status;
}

/** Money per channel: oncepay's SUCCESS payments = the payments its sandbox took, count and fen. */
export async function channelMoneyInvariants(c: Connection): Promise<Invariant[]> {
  const out: Invariant[] = [];
  for (const [channel, sql] of Object.entries(SANDBOX_PAID)) {
    const gateway = await rows<{ no: string; fen: number }>(c, sql);
    const local = await rows<{ no: string; fen: number }>(
      c,
      "SELECT payment_no AS no, amount AS fen FROM t_payment WHERE channel = ? AND status = 'SUCCESS'",
      [channel],
    );
    const localByNo = new Map(local.map((l) => [String(l.no), Number(l.fen)]));
    const gatewayNos = new Set(gateway.map((g) => String(g.no)));
    const bad: unknown[] = [];
    for (const g of gateway) {
      const fen = localByNo.get(String(g.no));
      if (fen !== Number(g.fen)) bad.push({ no: g.no, gateway: Number(g.fen), here: fen ?? null });
    }
    for (const l of local)
      if (!gatewayNos.has(String(l.no))) bad.push({ no: l.no, gateway: null, here: l.fen });
    const sum = (xs: Array<{ fen: number }>) => xs.reduce((s, x) => s + Number(x.fen), 0);
    out.push({
      name: `${channel}: Σ SUCCESS payments = Σ paid at its sandbox (to the fen, trade by trade)`,
      violations: bad.length,
      detail:
        `${gateway.length} paid at the sandbox (${sum(gateway)} fen), ${local.length} SUCCESS here (${sum(local)} fen)` +
        (bad.length ? `; e.g. ${sample(bad)}` : ''),
    });
  }

  // a payment is paid once: one success marker, and its order's success counted once per channel
  const twice = await rows<Record<string, unknown>>(
    c,
    `SELECT p.channel, p.payment_no,
            (SELECT COUNT(*) FROM t_uq_dipose d WHERE d.ref_type = 'PAYMENT_SUCCEEDED' AND d.ref_id = p.payment_no) AS markers,
            (SELECT COUNT(*) FROM t_callback_log l WHERE l.out_trade_no = p.payment_no AND l.outcome = 'APPLIED') AS applied
       FROM t_payment p
      WHERE p.channel IN ('alipay', 'wechat', 'unionpay')
     HAVING markers > 1 OR applied > 1 OR (applied = 1 AND markers = 0)`,
  );
  out.push({
    name: 'no payment paid twice (≤ 1 success marker, ≤ 1 APPLIED notify per payment, every channel)',
    violations: twice.length,
    detail: twice.length ? sample(twice) : 'ok',
  });
  out.push(...(await notifyLogInvariants(c)));
  return out;
}

/**
 * Each channel's notifies, read from the sandbox's own attempt log (`sandbox_notify_attempt`, one for the
 * three simulators), against t_callback_log; and UnionPay's log rows.
 */
async function notifyLogInvariants(c: Connection): Promise<Invariant[]> {
  const out: Invariant[] = [];
  // an acknowledged notify (Alipay `success`, WeChat 2xx, UnionPay 200) makes the gateway stop re-sending:
  // it must only come once the outcome is durable — a decided log row of this trade, or the payment's
  // success marker, on record before the answer (1 s: clocks of one MySQL, row times written just before
  // their commits). Payment notifies only (a refund notify names its refund in `ref`).
  for (const channel of ['alipay', 'wechat', 'unionpay']) {
    const early = await rows<Record<string, unknown>>(
      c,
      `SELECT a.out_trade_no, a.notify_id, a.seq, a.copy, a.mode, a.finished_at
         FROM sandbox_notify_attempt a
         JOIN t_payment p ON p.payment_no = a.out_trade_no AND p.channel = a.channel
        WHERE a.channel = ? AND a.ref IS NULL AND a.outcome = 'ACKED'
          AND NOT EXISTS (SELECT 1 FROM t_callback_log l
                           WHERE l.channel = a.channel AND l.out_trade_no = a.out_trade_no
                             AND l.outcome NOT IN ('RECEIVED', 'BUFFERED', 'ERROR', 'BAD_SIGNATURE', 'MALFORMED', 'UNDECRYPTABLE', 'UNKNOWN_TRADE')
                             AND l.received_at <= a.finished_at + INTERVAL 1 SECOND)
          AND NOT EXISTS (SELECT 1 FROM t_uq_dipose d
                           WHERE d.ref_type = 'PAYMENT_SUCCEEDED' AND d.ref_id = a.out_trade_no
                             AND d.created_at <= a.finished_at + INTERVAL 1 SECOND)`,
      [channel],
    );
    const [acked] = await rows<{ n: number }>(
      c,
      `SELECT COUNT(*) AS n FROM sandbox_notify_attempt a JOIN t_payment p ON p.payment_no = a.out_trade_no
        WHERE a.channel = ? AND a.ref IS NULL AND a.outcome = 'ACKED'`,
      [channel],
    );
    out.push({
      name: `${channel}: notify acknowledged ⇒ its outcome was durable first (log row or success marker)`,
      violations: early.length,
      detail:
        `${Number(acked.n)} payment notifies acknowledged at the sandbox` +
        (early.length ? `; e.g. ${sample(early)}` : ''),
    });
  }
  // every row decided (none left RECEIVED/BUFFERED), a refused one never verified, a verified APPLIED
  // row names a SUCCESS UnionPay payment
  const bad = await rows<Record<string, unknown>>(
    c,
    `SELECT l.id, l.outcome, l.verified, l.out_trade_no, p.status, p.channel
       FROM t_callback_log l LEFT JOIN t_payment p ON p.payment_no = l.out_trade_no
      WHERE l.channel = 'unionpay'
        AND (l.outcome IN ('RECEIVED', 'BUFFERED')
             OR (l.outcome IN ('BAD_SIGNATURE', 'MALFORMED') AND l.verified = 1)
             OR (l.outcome = 'APPLIED' AND (l.verified = 0 OR p.status <> 'SUCCESS' OR p.channel <> 'unionpay')))`,
  );
  const byOutcome = await rows<{ outcome: string; n: number }>(
    c,
    "SELECT outcome, COUNT(*) AS n FROM t_callback_log WHERE channel = 'unionpay' GROUP BY outcome ORDER BY n DESC",
  );
  out.push({
    name: 'unionpay callback log: every row decided, refusals unverified, APPLIED ⇒ SUCCESS unionpay payment',
    violations: bad.length,
    detail:
      byOutcome.map((o) => `${o.outcome} ${Number(o.n)}`).join(', ') +
      (bad.length ? `; e.g. ${sample(bad)}` : ''),
  });
  return out;
}
