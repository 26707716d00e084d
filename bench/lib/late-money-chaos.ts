import type { Connection } from 'mysql2/promise';
import { Api } from './api';
import { PAY_PATH } from './chaos-support';
import { sleep } from './infra';
import type { Invariant } from './invariants';

/**
 * Late money in `npm run chaos` (issue 24): a few of the load's sessions make money oncepay cannot keep,
 * as a buyer would — they pay at the sandbox after their order was cancelled (`allowAfterClose`), or they
 * pay a second time on the other gateway channel after the order is PAID by the first — and the
 * invariant below checks, in MySQL, that every such payment was refunded in full once, none twice (or,
 * with AUTO_REFUND=false, waits OPEN with no refund).
 */

/** The anomaly kinds that are late money (src/payment/anomaly/late-money.ts: action `refund`). */
export const LATE_MONEY_KINDS = ['PAID_AFTER_CANCEL', 'PAID_AFTER_CLOSE_UNFULFILLABLE', 'DUPLICATE_PAYMENT'];
const KINDS_SQL = LATE_MONEY_KINDS.map((k) => `'${k}'`).join(', ');

/** SQL: payment `p` is late money (an anomaly of a late-money kind names it). */
export const IS_LATE_MONEY = `EXISTS (SELECT 1 FROM t_payment_anomaly la
  WHERE la.payment_no = p.payment_no AND la.kind IN (${KINDS_SQL}))`;

/** What a late session asked for (the gateway's truth is read from the sandbox tables afterwards). */
export interface LateOrder {
  orderNo: string;
  kind: 'after-cancel' | 'duplicate';
}

/** Notify modes for late money: each delivers (a dropped one is found only by a reconciliation). */
const LATE_MODES = ['normal', 'normal', 'duplicate', 'delay', 'out_of_order'];
const mode = () => LATE_MODES[Math.floor(Math.random() * LATE_MODES.length)];
const gatewayChannel = (): 'alipay' | 'wechat' => (Math.random() < 0.5 ? 'alipay' : 'wechat');

/**
 * One late session: a goods order, pre-paid on Alipay or WeChat; then either cancelled and paid anyway
 * (the closed trade, `allowAfterClose`), or switched to the other channel, paid there, and — once the
 * order is PAID (polled, ≤ 10 s) — the first, closed trade paid too.
 */
export async function lateMoneyFlow(
  pick: () => Api,
  token: string,
  productId: number,
  stats: { inc(k: string): void },
  tag: string,
  onLate: (o: LateOrder) => void,
): Promise<void> {
  const created = await pick().call<{ orderNo: string }>(
    'POST',
    '/v1/orders',
    { items: [{ productId, quantity: 1 }], remark: `late-${tag}` },
    { token, timeoutMs: 5000 },
  );
  stats.inc(`late-submit:${created.status}`);
  if (created.status !== 201) return;
  const orderNo = created.body.orderNo;
  const prepay = async (channel: string) => {
    const r = await pick().call<{ paymentNo: string }>(
      'POST',
      `/v1/orders/${orderNo}/payments`,
      { channel },
      { token, timeoutMs: 8000 },
    );
    stats.inc(`late-prepay:${r.status}`);
    return r.status === 200 || r.status === 201 ? r.body.paymentNo : null;
  };
  const pay = async (channel: 'alipay' | 'wechat', paymentNo: string, afterClose: boolean) => {
    const r = await pick().call(
      'POST',
      PAY_PATH[channel](paymentNo),
      { notify: { mode: mode() }, ...(afterClose ? { allowAfterClose: true } : {}) },
      { timeoutMs: 5000 },
    );
    stats.inc(`late-pay-${afterClose ? 'after-close' : 'first'}:${r.status}`);
    return r.status === 200;
  };
  const first = gatewayChannel();
  const firstNo = await prepay(first);
  if (!firstNo) return;
  if (Math.random() < 0.5) {
    const c = await pick().call('POST', `/v1/orders/${orderNo}/cancel`, {}, { token, timeoutMs: 5000 });
    stats.inc(`late-cancel:${c.status}`);
    if (c.status !== 200) return;
    onLate({ orderNo, kind: 'after-cancel' }); // before the pay: a pay whose answer is lost may have paid
    await pay(first, firstNo, true);
    return;
  }
  const second = first === 'alipay' ? 'wechat' : 'alipay';
  const secondNo = await prepay(second); // closes the first trade at its gateway
  if (!secondNo || !(await pay(second, secondNo, false))) return;
  for (const until = Date.now() + 10_000; Date.now() < until;) {
    const o = await pick()
      .call<{ status: string }>('GET', `/v1/orders/${orderNo}`, undefined, { token, timeoutMs: 5000 })
      .catch(() => null);
    if (o?.body.status === 'PAID') break;
    await sleep(300);
  }
  onLate({ orderNo, kind: 'duplicate' });
  await pay(first, firstNo, true);
}

async function rows<T>(c: Connection, sql: string, params: unknown[] = []): Promise<T[]> {
  const [r] = await c.query(sql, params);
  return r as T[];
}

interface LateRow {
  payment_no: string;
  order_no: string;
  amount: number;
  status: string;
  refunds: number;
  ra_ok: number;
  gateway_refunds: number;
  gateway_fen: number;
  open_anomalies: number;
  auto_refunded: number;
}

/**
 * "Every late payment refunded once, none twice", from MySQL. Every payment an anomaly of a late-money
 * kind names (whoever found it) must have, with AUTO_REFUND on: exactly one refund here, `RA<paymentNo>`,
 * SUCCEEDED for the full amount, exactly one refund at its sandbox of the full amount, and its anomaly
 * AUTO_REFUNDED; with AUTO_REFUND off: no refund at all and its anomaly OPEN. And every late order the
 * load made: each payment paid at its sandbox is SUCCESS here, and all of them are late money except the
 * one that PAID the order (none for a cancelled order).
 */
export async function lateMoneyInvariant(
  c: Connection,
  made: LateOrder[],
  autoRefund: boolean,
): Promise<Invariant> {
  const wechat =
    Number(
      (
        await rows<{ n: number }>(
          c,
          "SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'sandbox_wechat_refund'",
        )
      )[0].n,
    ) > 0;
  const gw = (what: 'COUNT(*)' | 'SUM(x)') => {
    const ali = `SELECT ${what.replace('x', 'refund_amount')} FROM sandbox_refund s WHERE s.out_trade_no = p.payment_no AND s.status = 'SUCCESS'`;
    const wx = `SELECT ${what.replace('x', 'refund')} FROM sandbox_wechat_refund s WHERE s.out_trade_no = p.payment_no AND s.status = 'SUCCESS'`;
    return wechat ? `COALESCE((${ali}), 0) + COALESCE((${wx}), 0)` : `COALESCE((${ali}), 0)`;
  };
  const late = await rows<LateRow>(
    c,
    `SELECT p.payment_no, p.order_no, p.amount, p.status,
            (SELECT COUNT(*) FROM t_refund r WHERE r.payment_no = p.payment_no) AS refunds,
            (SELECT COUNT(*) FROM t_refund r WHERE r.payment_no = p.payment_no AND r.refund_no = CONCAT('RA', p.payment_no)
                AND r.status = 'SUCCEEDED' AND r.amount = p.amount) AS ra_ok,
            ${gw('COUNT(*)')} AS gateway_refunds,
            ${gw('SUM(x)')} AS gateway_fen,
            (SELECT COUNT(*) FROM t_payment_anomaly a WHERE a.payment_no = p.payment_no AND a.kind IN (${KINDS_SQL})
                AND a.status = 'OPEN') AS open_anomalies,
            (SELECT COUNT(*) FROM t_payment_anomaly a WHERE a.payment_no = p.payment_no AND a.kind IN (${KINDS_SQL})
                AND a.status = 'AUTO_REFUNDED') AS auto_refunded
       FROM t_payment p WHERE ${IS_LATE_MONEY}`,
  );
  const bad: Array<Record<string, unknown>> = [];
  let refundedOnce = 0;
  let twice = 0;
  let waiting = 0;
  for (const l of late) {
    const [refunds, gateway] = [Number(l.refunds), Number(l.gateway_refunds)];
    if (refunds > 1 || gateway > 1) twice++;
    const ok = autoRefund
      ? l.status === 'SUCCESS' &&
        refunds === 1 &&
        Number(l.ra_ok) === 1 &&
        gateway === 1 &&
        Number(l.gateway_fen) === Number(l.amount) &&
        Number(l.open_anomalies) === 0 &&
        Number(l.auto_refunded) >= 1
      : l.status === 'SUCCESS' && refunds === 0 && gateway === 0 && Number(l.open_anomalies) >= 1;
    if (!ok) bad.push({ ...l, why: 'late money not settled as the rule says' });
    else if (autoRefund) refundedOnce++;
    else waiting++;
  }
  // the load's late orders: every payment paid at a sandbox is SUCCESS here; all but the one that paid
  // the order are late money
  const lateNos = new Set(late.map((l) => l.payment_no));
  let madePaid = 0;
  const byKind = { 'after-cancel': 0, duplicate: 0 };
  for (const o of made) {
    const pays = await rows<{
      payment_no: string;
      status: string;
      paid_by: string | null;
      order_status: string;
    }>(
      c,
      `SELECT p.payment_no, p.status, o.paid_by, o.status AS order_status
         FROM t_payment p JOIN t_order o ON o.order_no = p.order_no
        WHERE p.order_no = ?
          AND (EXISTS (SELECT 1 FROM sandbox_trade st WHERE st.out_trade_no = p.payment_no AND st.gmt_payment IS NOT NULL)
               ${wechat ? 'OR EXISTS (SELECT 1 FROM sandbox_wechat_transaction sw WHERE sw.out_trade_no = p.payment_no AND sw.success_time IS NOT NULL)' : ''})`,
      [o.orderNo],
    );
    const paidOrder = pays[0] && ['PAID', 'PARTIALLY_REFUNDED', 'REFUNDED'].includes(pays[0].order_status);
    const kept = pays.filter((p) => !lateNos.has(p.payment_no));
    const expectKept = paidOrder ? 1 : 0;
    const lateHere = pays.length - kept.length;
    if (
      pays.some((p) => p.status !== 'SUCCESS') ||
      kept.length !== expectKept ||
      (paidOrder && kept[0]?.payment_no !== pays[0].paid_by)
    ) {
      bad.push({
        orderNo: o.orderNo,
        kind: o.kind,
        payments: pays,
        why: 'late order: not each payment found once',
      });
    }
    if (lateHere > 0) byKind[o.kind]++;
    madePaid += lateHere;
  }
  const outcome = autoRefund
    ? `${refundedOnce} refunded once (RA…, SUCCEEDED, one full gateway refund)`
    : `${waiting} OPEN with no refund (AUTO_REFUND=false)`;
  return {
    name: 'every late payment refunded once, none twice',
    violations: bad.length,
    detail:
      `${made.length} late orders made (${made.filter((o) => o.kind === 'after-cancel').length} paid after cancel, ` +
      `${made.filter((o) => o.kind === 'duplicate').length} paid twice), ${madePaid} late payments of them paid at the ` +
      `sandbox (after cancel ${byKind['after-cancel']}, second channel ${byKind.duplicate}); ${late.length} late-money ` +
      `payments in all: ${outcome}; ${twice} refunded twice` +
      (bad.length
        ? `; e.g. ${bad
            .slice(0, 3)
            .map((b) => JSON.stringify(b))
            .join('; ')}`
        : ''),
  };
}

/**
 * The load's late payments paid at a sandbox but not SUCCESS here. A late payment's trade is closed, so
 * no active query or sweep asks about it: only its notify (the sandbox re-sends it) or a reconciliation
 * finds it. The chaos's Redis wipe and restart take the sandbox's queued re-sends with them (a real
 * gateway's re-sends are not in our Redis), so such a payment is left for the daily reconciliation.
 */
export async function unfoundLatePayments(c: Connection, made: LateOrder[]): Promise<string[]> {
  if (!made.length) return [];
  const wechat =
    Number(
      (
        await rows<{ n: number }>(
          c,
          "SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'sandbox_wechat_transaction'",
        )
      )[0].n,
    ) > 0;
  const found = await rows<{ payment_no: string }>(
    c,
    `SELECT p.payment_no FROM t_payment p
      WHERE p.order_no IN (?) AND p.status <> 'SUCCESS'
        AND (EXISTS (SELECT 1 FROM sandbox_trade st WHERE st.out_trade_no = p.payment_no AND st.gmt_payment IS NOT NULL)
             ${wechat ? 'OR EXISTS (SELECT 1 FROM sandbox_wechat_transaction sw WHERE sw.out_trade_no = p.payment_no AND sw.success_time IS NOT NULL)' : ''})`,
    [made.map((o) => o.orderNo)],
  );
  return found.map((f) => f.payment_no);
}

/** Today's bill date in the gateways' time zone (China, UTC+8). */
export const billDateToday = () => new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);

/** What the sandbox's notifier did for these trades (sandbox_notify_attempt), one line, for the log. */
export async function notifyAttempts(c: Connection, paymentNos: string[]): Promise<string> {
  if (!paymentNos.length) return 'none';
  const r = await rows<{
    out_trade_no: string;
    outcome: string;
    http_status: number | null;
    error: string | null;
    created_at: Date;
  }>(
    c,
    `SELECT out_trade_no, outcome, http_status, error, created_at FROM sandbox_notify_attempt
      WHERE out_trade_no IN (?) ORDER BY id`,
    [paymentNos],
  ).catch(() => []);
  return paymentNos
    .map((no) => {
      const list = r
        .filter((x) => x.out_trade_no === no)
        .map(
          (x) =>
            `${new Date(x.created_at).toISOString().slice(11, 19)} ${x.outcome}` +
            `${x.http_status ? ` ${x.http_status}` : ''}${x.error ? ` (${x.error.slice(0, 60)})` : ''}`,
        )
        .join(', ');
      return `${no}: ${list || 'no attempt recorded'}`;
    })
    .join('; ');
}
