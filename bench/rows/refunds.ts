import { randomUUID } from 'node:crypto';
import { pool } from '../lib/api';
import type { BenchContext } from '../lib/context';
import type { Instance } from '../lib/instances';
import { blastOnce } from '../lib/load';
import { fmt } from '../lib/table';
import { gatewayKey, makeTrades, signedNotify, signedRefundNotify } from '../lib/trades';

const FORM = { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' };
const ROW = 'refund notify apply (duplicates, 2 instances)';

/**
 * Refunds (issue 12): `n` paid trades are refunded in full by the admin API; the sandbox refunds each at
 * once but answers `fund_change: N` and sends no notify (faults armed per trade), so every refund stays
 * PENDING here (its refund query is 10 min away). Then each refund's signed notify is sent `copies`
 * times, shuffled, round-robin over two instances: applies/s of distinct refunds, and the proof that each
 * was applied exactly once (one REFUND_SUCCEEDED marker, one REFUND_APPLIED log row, the reservation and
 * the recharge's wallet debit untouched by the duplicates).
 */
export async function refundRows(ctx: BenchContext): Promise<void> {
  // two fresh instances of its own: the rows before it leave the shared one busy (or worse)
  const [a, b] = await Promise.all([ctx.startInstance('R1'), ctx.startInstance('R2')]);
  try {
    await refundRow(ctx, a, b);
  } finally {
    await Promise.all([ctx.stopInstance(a), ctx.stopInstance(b)]);
  }
}

async function refundRow(ctx: BenchContext, a: Instance, b: Instance): Promise<void> {
  const api = ctx.api(a);
  const admin = await api.token(`bench-admin-${ctx.runId}`, 'admin');
  if (!(await api.routeExists('POST', '/v1/orders/x/refunds', admin))) {
    ctx.rows.push({ row: ROW, work: 'POST /v1/orders/{no}/refunds', result: 'n/a (route missing)' });
    return;
  }
  const n = ctx.quick ? 100 : 1000;
  const copies = 5;
  ctx.log(`refunds: ${n} paid trades`);
  const trades = await makeTrades(ctx, api, n, 'rf');
  await pool(trades, 16, async (t) => {
    // generous timeouts: this group runs after the callback rows, on a machine the bench keeps busy
    const r = await api.call(
      'POST',
      `/sandbox/alipay/trades/${t.paymentNo}/pay`,
      { notify: { mode: 'drop' } },
      { timeoutMs: 60000 },
    );
    if (r.status !== 200) throw new Error(`sandbox pay: ${r.status} ${JSON.stringify(r.body)}`);
    const f = await api.call(
      'POST',
      `/sandbox/alipay/trades/${t.paymentNo}/faults`,
      { refund: 'fund_change_n', refundNotify: { mode: 'drop' } },
      { timeoutMs: 60000 },
    );
    if (f.status !== 200) throw new Error(`faults: ${f.status} ${JSON.stringify(f.body)}`);
  });
  // paid at the sandbox without its notify (the sandbox's notify queue is shared with the other rows'
  // instances); the payment notifies are sent here, signed as the sandbox signs them
  const key = await gatewayKey(ctx);
  await blastOnce(
    trades.map((t) => ({ url: `${a.url}/v1/callbacks/alipay`, body: signedNotify(t, key), headers: FORM })),
    16,
  );
  const marks = trades.map(() => '?').join(',');
  const paymentNos = trades.map((t) => t.paymentNo);
  for (let i = 0; ; i++) {
    const paid = await ctx.scalar(
      `SELECT COUNT(*) FROM t_payment WHERE status = 'SUCCESS' AND payment_no IN (${marks})`,
      paymentNos,
    );
    if (paid === n) break;
    if (i > 600) throw new Error(`only ${paid}/${n} trades paid after 60 s`);
    await new Promise((r) => setTimeout(r, 100));
  }

  ctx.log(`refunds: ${n} full refunds through the admin API`);
  const t0 = Date.now();
  const refundNos = await pool(trades, 16, async (t) => {
    const r = await api.call<{ refundNo: string; status: string }>(
      'POST',
      `/v1/orders/${t.orderNo}/refunds`,
      { amount: t.amount, reason: 'bench' },
      { token: admin, headers: { 'idempotency-key': `rf-${t.paymentNo}` }, timeoutMs: 60000 },
    );
    if (r.status !== 201 || r.body.status !== 'PENDING') {
      throw new Error(`refund: ${r.status} ${JSON.stringify(r.body)}`);
    }
    return r.body.refundNo;
  });
  const createdPerS = n / ((Date.now() - t0) / 1000);
  const atGateway = await ctx.scalar(
    `SELECT COUNT(*) FROM sandbox_refund WHERE status = 'SUCCESS' AND out_trade_no IN (${marks})`,
    paymentNos,
  );

  ctx.log(`refunds: ${n} × ${copies} signed refund notifies over two instances`);
  const insts = [a, b];
  const bodies = trades.flatMap((t, i) => {
    const body = signedRefundNotify(t, key, refundNos[i], randomUUID().replace(/-/g, ''));
    return Array.from({ length: copies }, () => body);
  });
  for (let i = bodies.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [bodies[i], bodies[j]] = [bodies[j], bodies[i]];
  }
  const r = await blastOnce(
    bodies.map((body, i) => ({ url: `${insts[i % 2].url}/v1/callbacks/alipay`, body, headers: FORM })),
    ctx.connections,
  );

  const rMarks = refundNos.map(() => '?').join(',');
  const succeeded = await ctx.scalar(
    `SELECT COUNT(*) FROM t_refund WHERE status = 'SUCCEEDED' AND refund_no IN (${rMarks})`,
    refundNos,
  );
  const markers = await ctx.scalar(
    `SELECT COUNT(*) FROM t_uq_dipose WHERE ref_type = 'REFUND_SUCCEEDED' AND ref_id IN (${rMarks})`,
    refundNos,
  );
  const appliedLogs = await ctx.scalar(
    `SELECT COUNT(*) FROM t_callback_log WHERE outcome = 'REFUND_APPLIED' AND out_trade_no IN (${marks})`,
    paymentNos,
  );
  const refunded = await ctx.scalar(
    `SELECT COUNT(*) FROM t_payment WHERE refunded_amount = amount AND payment_no IN (${marks})`,
    paymentNos,
  );
  const orders = await ctx.scalar(
    `SELECT COUNT(*) FROM t_order o JOIN t_payment p ON p.order_no = o.order_no
      WHERE o.status = 'REFUNDED' AND p.payment_no IN (${marks})`,
    paymentNos,
  );
  // the recharges credited their users and their refunds took it back: every balance is 0 again
  const users = [...new Set(trades.map((t) => t.userId))];
  const balance = await ctx.scalar(
    `SELECT COALESCE(SUM(balance), 0) FROM t_user_account WHERE user_id IN (${users.map(() => '?').join(',')})`,
    users,
  );
  const ok = r.status[200] ?? 0;
  const appliesPerS = succeeded / r.wallS;
  const others = Object.entries(r.status)
    .filter(([c]) => c !== '200')
    .map(([c, k]) => `${c}×${k}`)
    .concat(r.errors ? [`socket errors×${r.errors}`] : [])
    .join(', ');
  ctx.rows.push({
    row: ROW,
    work: `${fmt(n)} full refunds of paid recharges (created by the admin API, PENDING: the gateway refunded but answered fund_change N), then each refund's signed notify × ${copies}, shuffled, ${ctx.connections} connections over 2 instances`,
    result: `${fmt(appliesPerS)} refunds applied/s (${fmt(bodies.length / r.wallS)} notifies/s), p99 ${fmt(r.p99, 1)} ms; applied ${succeeded}/${n}, markers ${markers}, REFUND_APPLIED log rows ${appliedLogs}, orders REFUNDED ${orders}, payments refunded exactly ${refunded}, wallets left ${balance} fen; 'success' answers ${ok}/${bodies.length}${others ? `, other ${others}` : ''}; refunds at the sandbox ${atGateway}/${n}; creating them: ${fmt(createdPerS)} refunds/s (16 at a time, gateway call included)`,
    target: 'every refund applied exactly once (markers = log rows = refunds); every copy answered success',
    pass:
      succeeded === n &&
      markers === n &&
      appliedLogs === n &&
      refunded === n &&
      orders === n &&
      balance === 0 &&
      atGateway === n &&
      ok === bodies.length,
  });
}
