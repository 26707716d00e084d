import type { Connection } from 'mysql2/promise';
import { Api, ApiResponse } from './api';
import { mysqlConn, sleep } from './infra';
import type { Invariant } from './invariants';

/** One logical request that was answered 503 at least once and retried: where its rows are. */
interface Retried {
  label: string;
  table: 't_order' | 't_refund';
  where: string;
  params: unknown[];
}

type Inc = (k: string) => void;

/**
 * Issue 21 item 1, under chaos: "no request answered 503 was executed twice". While a loop KILLs the
 * app's MySQL connections one after another (so some die at COMMIT, some at the re-read after it),
 * clients retry every 503 exactly as told — the same body, the same Idempotency-Key, the same one-time
 * token — and every logical request that saw a 503 is remembered with a way to count its rows (an
 * order by its unique `remark`, a refund by its order and unique `reason`). The invariant: at most one
 * row each.
 */
export class RetryProbe {
  readonly retried: Retried[] = [];
  kills = 0;
  requests = 0;

  /**
   * Sends `send` until it is answered with something other than 503 (at most 8 times, waiting what
   * `Retry-After` says, or 0.5 s for an OUTCOME_UNKNOWN that names none), counting every answer.
   */
  async retrying<T>(
    label: string,
    stats: Inc,
    send: () => Promise<ApiResponse<T>>,
    rowsOf: Omit<Retried, 'label'>,
  ): Promise<ApiResponse<T> | null> {
    let saw503 = false;
    let res: ApiResponse<T> | null = null;
    for (let i = 0; i < 8; i++) {
      try {
        res = await send();
      } catch {
        // a timeout or a dead instance is not a 503: not retried here (the content guard only holds for
        // its window, which a client that never heard back may outlast)
        stats(`${label}:error`);
        break;
      }
      const code = (res.body as { code?: string } | null)?.code;
      stats(`${label}:${res.status}${res.status >= 400 && code ? `/${code}` : ''}`);
      if (res.status !== 503) break;
      saw503 = true;
      await sleep(Number(res.headers.get('retry-after') ?? '0.5') * 1000);
    }
    if (saw503) this.retried.push({ label, ...rowsOf });
    return res;
  }

  /** Orders (no key, a key, a token, in turn) retried on 503, then cancelled (the unpaid cap). */
  async orders(
    pick: () => Api,
    users: string[],
    products: number[],
    stats: Inc,
    goesOn: () => boolean,
    worker = 0,
  ) {
    for (let i = 0; goesOn(); i++) {
      const token = users[(i + worker) % users.length];
      const remark = `retry-${process.pid}-${worker}-${i}`;
      const mode = (['none', 'key', 'token'] as const)[i % 3];
      const headers: Record<string, string> = {};
      if (mode === 'key') headers['idempotency-key'] = remark;
      if (mode === 'token') {
        const tok = await pick()
          .call<{ token: string }>('POST', '/v1/idempotency-tokens', {}, { token, timeoutMs: 5000 })
          .catch(() => null);
        if (tok?.status !== 201) continue;
        headers['idempotency-token'] = tok.body.token;
      }
      this.requests++;
      const body = { items: [{ productId: products[i % products.length], quantity: 1 }], remark };
      const res = await this.retrying(
        `retry-order-${mode}`,
        stats,
        () =>
          pick().call<{ orderNo: string }>('POST', '/v1/orders', body, { token, headers, timeoutMs: 8000 }),
        { table: 't_order', where: 'remark = ?', params: [remark] },
      );
      if (res?.status === 201) {
        await pick()
          .call('POST', `/v1/orders/${res.body.orderNo}/cancel`, {}, { token, timeoutMs: 5000 })
          .catch(() => undefined);
      }
    }
  }

  /** KILLs one of the app's MySQL connections every `everyMs` until `until`. */
  async killLoop(dbName: string, until: number, everyMs = 60): Promise<void> {
    const c = await mysqlConn();
    try {
      while (Date.now() < until) {
        const [ids] = await c.query(
          'SELECT id FROM information_schema.processlist WHERE db = ? AND id <> CONNECTION_ID()',
          [dbName],
        );
        const list = ids as Array<{ id: number }>;
        if (list.length) {
          const victim = list[Math.floor(Math.random() * list.length)].id;
          await c.query(`KILL ${Number(victim)}`).then(
            () => this.kills++,
            () => undefined,
          );
        }
        await sleep(everyMs);
      }
    } finally {
      await c.end();
    }
  }

  async invariant(c: Connection): Promise<Invariant> {
    const twice: Array<{ label: string; rows: number; params: unknown[] }> = [];
    for (const r of this.retried) {
      const [rows] = await c.query(`SELECT COUNT(*) AS n FROM ${r.table} WHERE ${r.where}`, r.params);
      const n = Number((rows as Array<{ n: number }>)[0].n);
      if (n > 1) twice.push({ label: r.label, rows: n, params: r.params });
    }
    return {
      name: 'no request answered 503 was executed twice',
      violations: twice.length,
      detail:
        `${this.retried.length} retried requests (of ${this.requests} probe orders and the refunds), ` +
        `${this.kills} connections killed by the loop` +
        (twice.length ? `; e.g. ${JSON.stringify(twice.slice(0, 3))}` : ''),
    };
  }
}
