import { createServer, Server } from 'node:http';
import { publicTopics } from '../../src/common/events/public-events';
import type { BenchContext } from '../lib/context';
import { sleep } from '../lib/infra';
import type { Instance } from '../lib/instances';
import { blastOnce } from '../lib/load';
import { fmt, pct } from '../lib/table';
import { applyStats, gatewayKey, makeTrades, signedNotify, Trade } from '../lib/trades';

const FORM = { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' };

/** A receiver that answers every delivery 204 at once and notes when each event id first arrived. */
class FastReceiver {
  readonly firstAt = new Map<string, number>();
  requests = 0;
  private server?: Server;
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        this.requests++;
        const id = String(req.headers['oncepay-event-id']);
        if (!this.firstAt.has(id)) this.firstAt.set(id, Date.now());
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => (this.server ? this.server.close(r) : r(undefined)));
  }
}

/**
 * Events out (issue 25), on an instance of its own:
 * - what a registered endpoint costs the callback apply: distinct signed notifies applied per second
 *   without an endpoint and with one subscribed to every event, interleaved (without, with, without,
 *   with) in the same run, so the ratio holds on a busy machine;
 * - events delivered per second to a receiver that answers 204 at once: the deliveries the "with" loads
 *   queued, drained by the instance's delivery worker (first to last arrival), each id once.
 */
export async function eventRows(ctx: BenchContext, a: Instance): Promise<void> {
  const api = ctx.api(a);
  const probe = await api.token(`probe-ev-${ctx.runId}`);
  if (!(await api.routeExists('POST', '/v1/admin/webhook-endpoints', probe))) {
    for (const row of ['events: callback apply with an endpoint', 'events delivered (fast receiver)'])
      ctx.rows.push({ row, work: 'POST /v1/admin/webhook-endpoints', result: 'n/a (route missing)' });
    return;
  }
  const n = ctx.quick ? 150 : 1000;
  const ev = await ctx.startInstance('EV');
  const evApi = ctx.api(ev);
  const admin = await evApi.token(`bench-ev-admin-${ctx.runId}`, 'admin');
  const receiver = await new FastReceiver().start();
  try {
    ctx.log(`events: making ${4 * n} pending alipay payments`);
    const all = await makeTrades(ctx, evApi, 4 * n, 'ev');
    const key = await gatewayKey(ctx);
    // the payments' own outbox events drain first: the loads below measure applies, not that backlog
    await drained(ctx);
    const rates: Record<'without' | 'with', number[]> = { without: [], with: [] };
    let endpointId: string | undefined;
    let deliveryStart = 0;
    let paidWith: Trade[] = [];
    for (const [i, mode] of (['without', 'with', 'without', 'with'] as const).entries()) {
      if (mode === 'with' && !endpointId) {
        const r = await evApi.call<{ id: string }>(
          'POST',
          '/v1/admin/webhook-endpoints',
          { url: receiver.url },
          { token: admin },
        );
        if (r.status !== 201) throw new Error(`register endpoint: ${r.status} ${JSON.stringify(r.body)}`);
        endpointId = r.body.id;
      }
      if (mode === 'without' && endpointId) {
        // the first "with" load's deliveries finish before the endpoint goes, so none are cut off
        await deliveredAll(ctx, endpointId, 120_000);
        await evApi.call('DELETE', `/v1/admin/webhook-endpoints/${endpointId}`, undefined, { token: admin });
        endpointId = undefined;
      }
      const trades = all.slice(i * n, (i + 1) * n);
      if (mode === 'with') {
        paidWith = trades;
        deliveryStart = receiver.firstAt.size;
      }
      const r = await blastOnce(
        trades.map((t) => ({
          url: `${ev.url}/v1/callbacks/alipay`,
          body: signedNotify(t, key),
          headers: FORM,
        })),
        ctx.connections,
      );
      const st = await applyStats(
        ctx,
        trades.map((t) => t.paymentNo),
      );
      if (st.paid !== n || st.doubleApplied)
        throw new Error(`${mode}: paid ${st.paid}/${n}, double ${st.doubleApplied}`);
      rates[mode].push(n / r.wallS);
      await drained(ctx);
    }
    const without = Math.min(...rates.without);
    const withEp = Math.min(...rates.with);
    ctx.rows.push({
      row: 'events: callback apply with an endpoint',
      work: `${fmt(n)} distinct signed notifies × 4 loads, ${ctx.connections} connections, one instance: without, with, without, with an endpoint subscribed to every event`,
      result:
        `without ${rates.without.map((x) => fmt(x)).join(' / ')} applies/s, with ${rates.with.map((x) => fmt(x)).join(' / ')} applies/s; ` +
        `with = ${pct(withEp, without)} of without (the slower load of each)`,
      target: 'every notify applied once',
      pass: true,
    });

    // the last "with" load's deliveries: from the first to the last new id the receiver saw
    const delivered = await deliveredAll(ctx, endpointId!, 180_000);
    const times = [...receiver.firstAt.values()].slice(deliveryStart).sort((x, y) => x - y);
    const spanS = times.length > 1 ? (times[times.length - 1] - times[0]) / 1000 : NaN;
    const events = await ctx.scalar('SELECT COUNT(*) FROM t_webhook_delivery WHERE endpoint_id = ?', [
      endpointId,
    ]);
    const dupes = receiver.requests - receiver.firstAt.size;
    ctx.rows.push({
      row: 'events delivered (fast receiver)',
      work: `the ${fmt(events)} deliveries of ${fmt(paidWith.length)} paid payments (payment.succeeded, order.paid), one instance, a receiver answering 204 at once`,
      result: `${fmt(times.length / spanS)} deliveries/s (${fmt(times.length)} ids over ${fmt(spanS, 1)} s); ${delivered ? 'all DELIVERED' : 'NOT all delivered'}, ${dupes} sent again`,
      target: 'every event delivered, each id once',
      pass: delivered && times.length === events,
    });
  } finally {
    await receiver.stop();
    await ctx.stopInstance(ev);
  }
}

/** Waits (bounded) until the outbox has nothing pending and every outbox row has been sequenced. */
async function drained(ctx: BenchContext): Promise<void> {
  const by = Date.now() + 60_000;
  while (Date.now() < by) {
    const pending = await ctx.scalar("SELECT COUNT(*) FROM t_outbox WHERE status = 'PENDING'");
    if (pending === 0) return;
    await sleep(200);
  }
}

/** Waits (bounded) until every delivery of the endpoint is DELIVERED; false when the bound ran out. */
async function deliveredAll(ctx: BenchContext, endpointId: string, limitMs: number): Promise<boolean> {
  const by = Date.now() + limitMs;
  while (Date.now() < by) {
    const [r] = await ctx.sql<{ total: number; done: number }>(
      `SELECT COUNT(*) AS total, COALESCE(SUM(status = 'DELIVERED'), 0) AS done
         FROM t_webhook_delivery WHERE endpoint_id = ?`,
      [endpointId],
    );
    // the sequencer may still be fanning out: the total has to stop growing as well
    const unsequenced = await ctx.scalar(
      'SELECT COUNT(*) FROM t_outbox o WHERE NOT EXISTS (SELECT 1 FROM t_event e WHERE e.outbox_id = o.id) AND o.topic IN (?)',
      [publicTopics()],
    );
    if (Number(r.total) > 0 && Number(r.done) === Number(r.total) && unsequenced === 0) return true;
    await sleep(200);
  }
  return false;
}
