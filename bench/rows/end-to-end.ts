import { Api, pool } from '../lib/api';
import type { BenchContext } from '../lib/context';
import { sleep } from '../lib/infra';
import type { Instance } from '../lib/instances';
import { fmt } from '../lib/table';
import { makeCatalog } from './orders';

/** One storefront flow: submit → pre-pay (alipay) → sandbox pay (normal notify) → poll until PAID. */
async function flow(api: Api, token: string, productId: number, tag: string): Promise<number> {
  const t0 = Date.now();
  const order = await api.call<{ orderNo: string }>(
    'POST',
    '/v1/orders',
    { items: [{ productId, quantity: 1 }], remark: tag },
    { token },
  );
  if (order.status !== 201) throw new Error(`submit ${order.status} ${JSON.stringify(order.body)}`);
  const no = order.body.orderNo;
  const pay = await api.call<{ paymentNo: string }>(
    'POST',
    `/v1/orders/${no}/payments`,
    { channel: 'alipay' },
    { token },
  );
  if (pay.status !== 201 && pay.status !== 200)
    throw new Error(`pre-pay ${pay.status} ${JSON.stringify(pay.body)}`);
  const paid = await api.call('POST', `/sandbox/alipay/trades/${pay.body.paymentNo}/pay`, {
    notify: { mode: 'normal' },
  });
  if (paid.status !== 200 && paid.status !== 201)
    throw new Error(`sandbox pay ${paid.status} ${JSON.stringify(paid.body)}`);
  for (let i = 0; i < 600; i++) {
    const o = await api.call<{ status: string }>('GET', `/v1/orders/${no}`, undefined, { token });
    if (o.body.status === 'PAID') return Date.now() - t0;
    await sleep(50);
  }
  throw new Error(`order ${no} not PAID after 30 s`);
}

export async function endToEndRow(ctx: BenchContext, a: Instance): Promise<void> {
  const api = ctx.api(a);
  const token = await api.token(`probe-${ctx.runId}`);
  const routes = [
    ['POST', '/v1/orders'],
    ['POST', '/v1/orders/x/payments'],
    ['POST', '/sandbox/alipay/trades/x/pay'],
  ];
  for (const [m, p] of routes) {
    if (!(await api.routeExists(m, p, token))) {
      ctx.rows.push({
        row: 'end-to-end',
        work: 'submit → pre-pay → sandbox pay → PAID',
        result: `n/a (route missing: ${m} ${p})`,
      });
      return;
    }
  }
  ctx.log('end-to-end');
  const cat = await makeCatalog(ctx, api, 20, 40, 'E');
  const conc = 20;
  const seconds = ctx.duration;
  const times: number[] = [];
  let failures = 0;
  let firstError = '';
  const t0 = Date.now();
  let n = 0;
  await pool(
    Array.from({ length: conc }, (_, i) => i),
    conc,
    async (w) => {
      while (Date.now() - t0 < seconds * 1000) {
        const i = n++;
        try {
          times.push(
            await flow(
              api,
              cat.tokens[(w + i) % cat.tokens.length],
              cat.productIds[i % cat.productIds.length],
              `e2e${ctx.runId}-${i}`,
            ),
          );
        } catch (err) {
          failures++;
          firstError ||= (err as Error).message;
        }
      }
    },
  );
  const elapsed = (Date.now() - t0) / 1000;
  times.sort((x, y) => x - y);
  const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))] ?? NaN;
  const dupPaid = await ctx.scalar(
    "SELECT COUNT(*) FROM (SELECT order_no FROM t_payment WHERE status = 'SUCCESS' GROUP BY order_no HAVING COUNT(*) > 1) x",
  );
  ctx.rows.push({
    row: 'end-to-end',
    work: `submit → pre-pay → sandbox pay → poll until PAID, ${conc} concurrent flows for ${seconds} s`,
    result: `${fmt(times.length / elapsed, 1)} orders/s, time to PAID p50 ${fmt(q(0.5))} ms, p99 ${fmt(q(0.99))} ms; failures ${failures}${firstError ? ` (${firstError.slice(0, 80)})` : ''}; orders paid twice: ${dupPaid}`,
    target: 'no failure, none paid twice',
    pass: failures === 0 && dupPaid === 0 && times.length > 0,
  });
}
