import { Api } from './api';
import { sleep } from './infra';
import { RetryProbe } from './retry-probe';

/** An order the load paid (or asked the sandbox to pay), a candidate for a refund. */
export interface PaidOrder {
  orderNo: string;
  total: number;
  token: string;
  at: number;
}

/**
 * An admin refunds a paid order, in one of four ways that each try to refund too much or twice:
 * a full refund sent to two instances at once with one Idempotency-Key (one refund); two concurrent
 * partials of 60 % each (one wins, one 409 REFUND_EXCEEDS_PAID); a partial, then the rest with a restock;
 * the buyer's refund request, approved twice at once on two instances (one refund) or approved and
 * rejected at once (one decision). Every answer is counted; the invariants judge the outcome.
 */
export async function refundFlow(
  pick: () => Api,
  admin: string,
  o: PaidOrder,
  stats: { inc(k: string): void },
  probe: RetryProbe,
): Promise<void> {
  const r = Math.random();
  // a refusal is counted with its code (409/REFUND_EXCEEDS_PAID, 409/REQUEST_IN_PROGRESS, ...)
  const answer = (x: { status: number; body: unknown }) => {
    const code = (x.body as { code?: unknown } | null)?.code;
    return x.status >= 400 && typeof code === 'string' ? `${x.status}/${code}` : String(x.status);
  };
  const refund = (body: object, key?: string) =>
    pick().call('POST', `/v1/orders/${o.orderNo}/refunds`, body, {
      token: admin,
      timeoutMs: 8000,
      headers: key ? { 'idempotency-key': key } : undefined,
    });
  if (r < 0.3) {
    const key = `chaos-refund-${o.orderNo}`;
    const body = { amount: o.total, reason: 'full, sent twice' };
    const res = await Promise.all([refund(body, key), refund(body, key)]);
    res.forEach((x) => stats.inc(`refund-full-x2:${answer(x)}`));
  } else if (r < 0.55) {
    const part = Math.max(1, Math.ceil(o.total * 0.6));
    const res = await Promise.all([
      refund({ amount: part, reason: 'partial a' }),
      refund({ amount: part, reason: 'partial b' }),
    ]);
    res.forEach((x) => stats.inc(`refund-partial-race:${answer(x)}`));
  } else if (r < 0.75) {
    const part = Math.max(1, Math.floor(o.total * 0.4));
    // a partial asking for a restock is refused (409 PARTIAL_RESTOCK): only the last refund may restock
    // each step retried on 503 as told (same body); its rows are counted: never two refunds of one step
    const step = (n: number, body: { amount: number; reason: string; restock: boolean }) =>
      probe.retrying(
        `refund-partial-${n}`,
        (k) => stats.inc(k),
        () => refund(body),
        {
          table: 't_refund',
          where: 'order_no = ? AND reason = ?',
          params: [o.orderNo, body.reason],
        },
      );
    const first = await step(1, { amount: part, reason: 'partial 1', restock: part >= o.total });
    if (first?.status !== 201 || part >= o.total) return;
    await sleep(200);
    await step(2, { amount: o.total - part, reason: 'partial 2', restock: true });
  } else {
    const asked = await pick().call<{ requestNo: string }>(
      'POST',
      `/v1/orders/${o.orderNo}/refund-requests`,
      { reason: 'buyer asks' },
      { token: o.token, timeoutMs: 8000 },
    );
    stats.inc(`refund-request:${answer(asked)}`);
    if (asked.status !== 201) return;
    const decide = (what: 'approve' | 'reject') =>
      pick().call(
        'POST',
        `/v1/refund-requests/${asked.body.requestNo}/${what}`,
        what === 'reject' ? { reason: 'chaos says no' } : {},
        { token: admin, timeoutMs: 8000 },
      );
    const both = Math.random() < 0.7 ? (['approve', 'approve'] as const) : (['approve', 'reject'] as const);
    const res = await Promise.all(both.map((w) => decide(w)));
    res.forEach((x, i) => stats.inc(`refund-${both[i]}:${answer(x)}`));
  }
}
