import { createHash, sign } from 'node:crypto';
import type { BenchContext } from '../lib/context';
import type { Instance } from '../lib/instances';
import { blastOnce } from '../lib/load';
import { fmt } from '../lib/table';
import { applyStats, makeTrades } from '../lib/trades';

const PATH = '/v1/callbacks/unionpay';
const FORM = { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' };

/** One pending UnionPay consume, named as UnionPay names it (merId + orderId + txnTime), with its queryId. */
interface UpTrade {
  paymentNo: string;
  merId: string;
  txnTime: string;
  queryId: string;
  txnAmt: number;
}

/**
 * UnionPay notifies (issue 23): the two measurements the Alipay and WeChat rows make — distinct consume
 * notifies, each once, and one notify's duplicate storm over two instances — with what UnionPay adds on
 * the way in: the signing certificate in the notify (`signPubKeyCert`) checked against the configured
 * root and intermediate, then the RSA-SHA256 signature over the SHA-256 of the sorted fields.
 */
export async function unionpayCallbackRows(ctx: BenchContext, a: Instance): Promise<void> {
  const api = ctx.api(a);
  if (!(await api.routeExists('POST', PATH))) {
    for (const row of [
      'unionpay callback apply (distinct trades)',
      'unionpay callback duplicate storm, 2 instances',
    ]) {
      ctx.rows.push({ row, work: `POST ${PATH}`, result: 'n/a (route missing)' });
    }
    return;
  }
  const nDistinct = ctx.quick ? 200 : 1000;
  const copies = 1000;
  ctx.log(`making ${nDistinct + 1} pending unionpay payments`);
  const made = await makeTrades(ctx, api, nDistinct + 1, 'up', 50, 'unionpay');
  const trades = await unionpayTrades(
    ctx,
    made.map((t) => t.paymentNo),
  );
  const signer = await gatewaySigner(ctx);
  const request = (t: UpTrade, inst: Instance) => ({
    url: `${inst.url}${PATH}`,
    body: signedConsumeNotify(t, signer),
    headers: FORM,
  });

  // ---- distinct applies, one instance ----------------------------------------------------------------
  ctx.log('unionpay callback apply (distinct trades)');
  const distinct = trades.slice(0, nDistinct);
  const d = await blastOnce(
    distinct.map((t) => request(t, a)),
    ctx.connections,
  );
  const dStats = await applyStats(
    ctx,
    distinct.map((t) => t.paymentNo),
  );
  const other = Object.entries(d.status)
    .filter(([c]) => c !== '200')
    .map(([c, n]) => `${c}×${n}`)
    .concat(d.errors ? [`socket errors×${d.errors}`] : []);
  ctx.rows.push({
    row: 'unionpay callback apply (distinct trades)',
    work: `${fmt(nDistinct)} signed consume notifies (signMethod=01, certificate chain checked), each once, ${ctx.connections} connections`,
    result: `${fmt(dStats.paid / d.wallS)} applies/s, p99 ${fmt(d.p99, 1)} ms; 200 answers ${d.status[200] ?? 0}/${nDistinct}; paid ${dStats.paid}/${nDistinct}, double applies ${dStats.doubleApplied}, other ${other.length ? other.join(', ') : 'none'}`,
    target: 'all paid once (compare the Alipay and WeChat rows)',
    pass: dStats.paid === nDistinct && dStats.doubleApplied === 0,
  });

  // ---- duplicate storm over two instances --------------------------------------------------------------
  ctx.log('unionpay callback duplicate storm (2 instances)');
  const b = await ctx.startInstance('UB');
  try {
    const t = trades[nDistinct];
    const one = request(t, a);
    const insts = [a, b];
    const s = await blastOnce(
      Array.from({ length: copies }, (_, i) => ({ ...one, url: `${insts[i % 2].url}${PATH}` })),
      200,
    );
    const st = await applyStats(ctx, [t.paymentNo]);
    ctx.rows.push({
      row: 'unionpay callback duplicate storm, 2 instances',
      work: `1 trade × ${fmt(copies)} copies of one notify, 200 connections`,
      result: `applies: ${st.applied} (payment version ${st.versionOver1 ? '> 1' : '1'}), ${fmt(copies / s.wallS)} answers/s, p99 ${fmt(s.p99, 1)} ms, 200 answers ${s.status[200] ?? 0}/${copies}`,
      target: 'applies = 1',
      pass: st.applied === 1 && st.paid === 1,
    });
  } finally {
    await ctx.stopInstance(b);
  }
}

/** The UnionPay sandbox's consume of each payment (precreated by pre-pay), in the payments' order. */
async function unionpayTrades(ctx: BenchContext, paymentNos: string[]): Promise<UpTrade[]> {
  const rows = await ctx.sql<{
    order_id: string;
    mer_id: string;
    txn_time: string;
    query_id: string;
    txn_amt: number;
  }>(
    `SELECT order_id, mer_id, txn_time, query_id, txn_amt FROM sandbox_unionpay_txn
      WHERE txn_type = '01' AND order_id IN (${paymentNos.map(() => '?').join(',')})`,
    paymentNos,
  );
  const byNo = new Map(rows.map((r) => [r.order_id, r]));
  return paymentNos.map((no) => {
    const r = byNo.get(no);
    if (!r) throw new Error(`no UnionPay sandbox consume for ${no}`);
    return {
      paymentNo: no,
      merId: r.mer_id,
      txnTime: r.txn_time,
      queryId: r.query_id,
      txnAmt: Number(r.txn_amt),
    };
  });
}

/** The sandbox's gateway signing key and certificate (sandbox mode only, never in production). */
async function gatewaySigner(ctx: BenchContext): Promise<{ privatePem: string; certPem: string }> {
  const rows = await ctx.sql<{ private_pem: string; cert_pem: string }>(
    "SELECT private_pem, cert_pem FROM sandbox_unionpay_key WHERE name = 'gateway'",
  );
  if (!rows[0]?.private_pem) throw new Error('sandbox_unionpay_key.gateway not found');
  return { privatePem: rows[0].private_pem, certPem: rows[0].cert_pem };
}

/**
 * A consume-success notify as UnionPay sends it, signed here with the bench's own signMethod=01 code
 * (sorted `k=v&…`, lowercase hex SHA-256, RSA-SHA256, base64) — neither the service's nor the sandbox's.
 */
function signedConsumeNotify(t: UpTrade, signer: { privatePem: string; certPem: string }): string {
  const f: Record<string, string> = {
    version: '5.1.0',
    encoding: 'UTF-8',
    signMethod: '01',
    txnType: '01',
    txnSubType: '07',
    bizType: '000000',
    accessType: '0',
    merId: t.merId,
    orderId: t.paymentNo,
    txnTime: t.txnTime,
    txnAmt: String(t.txnAmt),
    currencyCode: '156',
    queryId: t.queryId,
    respCode: '00',
    respMsg: 'success',
    settleAmt: String(t.txnAmt),
    settleCurrencyCode: '156',
    settleDate: t.txnTime.slice(4, 8),
    traceNo: t.queryId.slice(-6),
    traceTime: t.txnTime.slice(4),
    signPubKeyCert: signer.certPem,
  };
  const text = Object.keys(f)
    .sort()
    .map((k) => `${k}=${f[k]}`)
    .join('&');
  const hex = createHash('sha256').update(text, 'utf8').digest('hex');
  f.signature = sign('sha256', Buffer.from(hex), signer.privatePem).toString('base64');
  return new URLSearchParams(f).toString();
}
