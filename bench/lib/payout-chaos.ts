import { randomInt, randomUUID } from 'node:crypto';
import type { Connection } from 'mysql2/promise';
import type { Api, ApiResponse } from './api';
import type { Stats } from './chaos-support';
import { sleep } from './infra';
import type { Invariant } from './invariants';

/**
 * Payouts in the chaos run (issue 26, docs/payouts.md): each payout goes to a payee account of its own at
 * the payout simulator, armed with one of the fault modes below, and is POSTed with one Idempotency-Key as
 * two copies at once to two instances, then retried under that key until answered (409 REQUEST_IN_PROGRESS,
 * 503 and lost answers while instances are killed). Some Alipay ones are bounced by the bank after success
 * and found by an admin's recheck. The invariants are bench/lib/payout-invariants.ts'; this adds that each
 * payout ended as its fault says and that one key never answered two payout numbers. The payees' notify
 * modes (normal, duplicate, drop, late) go with the faults: a payout is settled by its answer, a query, the
 * sweeper or a notify, whichever comes first.
 */
interface PayoutCase {
  protocol: 'alipay' | 'wechat';
  /** the payee exists at the simulator (else PAYEE_NOT_EXIST / OPENID_INVALID: FAILED at once) */
  known: boolean;
  fault?: { mode: string; times?: number; param?: number };
  /** how the transfer's notify goes (WeChat MCHTRANSFER.BILL.FINISHED, Alipay alipay.fund.trans.order.changed) */
  notify?: { mode: string; delayMs?: number };
  /** Alipay: the bank sends it back after SUCCESS (SUCCESS → REFUND), an admin's recheck finds it */
  bounce?: boolean;
  ends: 'SUCCEEDED' | 'FAILED';
}

const ok = (protocol: 'alipay' | 'wechat', extra: Partial<PayoutCase> = {}): PayoutCase => ({
  protocol,
  known: true,
  ends: 'SUCCEEDED',
  ...extra,
});

export const PAYOUT_CASES: PayoutCase[] = [
  ok('alipay', { notify: { mode: 'normal' } }),
  ok('alipay', { fault: { mode: 'timeout_after' }, notify: { mode: 'duplicate' } }),
  ok('alipay', { fault: { mode: 'timeout_before' }, notify: { mode: 'drop' } }),
  ok('alipay', { fault: { mode: 'system_error', times: 2 }, notify: { mode: 'late', delayMs: 1500 } }),
  ok('alipay', { fault: { mode: 'order_not_exist', param: 2 }, notify: { mode: 'drop' } }),
  ok('alipay', { fault: { mode: 'fail' }, notify: { mode: 'duplicate' }, ends: 'FAILED' }),
  ok('alipay', { known: false, ends: 'FAILED' }),
  // the bounce's own notify dropped or not: the recheck, or the notify, finds it
  ok('alipay', { bounce: true, notify: { mode: 'drop' }, ends: 'FAILED' }),
  ok('alipay', { bounce: true, notify: { mode: 'normal' }, ends: 'FAILED' }),
  ok('wechat', { notify: { mode: 'normal' } }),
  ok('wechat', { fault: { mode: 'timeout_after' }, notify: { mode: 'duplicate' } }),
  ok('wechat', { fault: { mode: 'system_error', times: 2 }, notify: { mode: 'drop' } }),
  ok('wechat', { fault: { mode: 'order_not_exist', param: 2 }, notify: { mode: 'late', delayMs: 1500 } }),
  ok('wechat', { fault: { mode: 'fail' }, notify: { mode: 'duplicate' }, ends: 'FAILED' }),
  ok('wechat', { fault: { mode: 'unconfirmed', param: 3000 }, ends: 'FAILED' }),
  ok('wechat', { known: false, ends: 'FAILED' }),
];

interface Tracked {
  payoutNo: string;
  c: PayoutCase;
  token: string;
  /** the simulator moved it SUCCESS → REFUND (as the simulator says, read by recheck()) */
  bounced: boolean;
}

/** Answers worth asking again under the same key: the first copy still running, an instance gone, 5xx. */
const again = (r: ApiResponse | undefined) =>
  !r ||
  r.status >= 500 ||
  (r.status === 409 && ['REQUEST_IN_PROGRESS', 'DUPLICATE_SUBMIT'].includes(String(r.body?.code)));

export class PayoutChaos {
  readonly tracked: Tracked[] = [];
  /** keys answered with two different payout numbers */
  readonly split: string[] = [];
  private next = 0;

  constructor(
    private readonly pick: () => Api,
    private readonly stats: Stats,
    private readonly admin: string,
  ) {}

  private async call<T = any>(...args: Parameters<Api['call']>): Promise<ApiResponse<T> | undefined> {
    try {
      return await this.pick().call<T>(...args);
    } catch {
      return undefined; // an instance killed under the call, a timeout: asked again by the caller
    }
  }

  /**
   * Fills the payout users' wallets before the chaos starts: a recharge each, paid at the Alipay sandbox,
   * until the balance shows it.
   */
  async fund(tokens: string[], amount: number): Promise<void> {
    for (const token of tokens) {
      const o = await this.pick().call<{ orderNo: string }>('POST', '/v1/recharges', { amount }, { token });
      const pay = await this.pick().call<{ paymentNo: string }>(
        'POST',
        `/v1/orders/${o.body.orderNo}/payments`,
        { channel: 'alipay' },
        { token },
      );
      const paid = await this.pick().call('POST', `/sandbox/alipay/trades/${pay.body.paymentNo}/pay`, {
        notify: { mode: 'normal' },
      });
      if (paid.status !== 200)
        throw new Error(`payout user funding: ${paid.status} ${JSON.stringify(paid.body)}`);
      for (let i = 0; ; i++) {
        const acc = await this.pick().call<{ balance: number }>('GET', '/v1/account', undefined, { token });
        if (acc.body.balance >= amount) break;
        if (i > 100) throw new Error(`payout user funding: balance ${acc.body.balance} after the recharge`);
        await sleep(200);
      }
    }
  }

  /** One payout of the next case (round robin: a short run still has each), to a payee of its own. */
  async flow(token: string, tag: string): Promise<void> {
    const c = PAYOUT_CASES[this.next++ % PAYOUT_CASES.length];
    const identity =
      c.protocol === 'wechat'
        ? `o${randomUUID().replace(/-/g, '')}`
        : `2088${String(randomInt(0, 1e12)).padStart(12, '0')}`;
    if (c.known) {
      let put: ApiResponse | undefined;
      for (let i = 0; i < 10 && put?.status !== 200; i++) {
        if (i) await sleep(300);
        put = await this.call('PUT', `/sandbox/payouts/payees/${c.protocol}/${identity}`, {
          ...(c.fault ? { fault: c.fault } : {}),
          ...(c.notify ? { notify: c.notify } : {}),
        });
      }
      if (put?.status !== 200) return this.stats.inc('payout-payee:error');
    }
    const body = { channel: c.protocol, account: { identity }, amount: 100 + randomInt(1900) };
    const key = `chaos-payout-${tag}-${Date.now()}`;
    const post = () =>
      this.call('POST', '/v1/payouts', body, {
        token,
        headers: { 'Idempotency-Key': key },
        timeoutMs: 8000,
      });
    const nos = new Set<string>();
    let answers: Array<ApiResponse | undefined> = await Promise.all([post(), post()]);
    for (let i = 0; i < 60; i++) {
      for (const r of answers) {
        this.stats.inc(
          `payout-create:${r ? `${r.status}${r.status === 409 ? `/${String(r.body?.code)}` : ''}` : 'error'}`,
        );
        if (r?.status === 201) nos.add(r.body.payoutNo);
      }
      // asked again under the key until a 201 (an instance may have died holding the first copy)
      if (nos.size || !answers.every(again)) break;
      await sleep(500);
      answers = [await post()];
    }
    if (nos.size > 1) this.split.push(key);
    const [payoutNo] = [...nos];
    if (!payoutNo) return;
    const t: Tracked = { payoutNo, c, token, bounced: false };
    this.tracked.push(t);
    if (c.bounce) await this.bounce(t);
  }

  private async status(t: Tracked): Promise<string | undefined> {
    const r = await this.call<{ status: string }>('GET', `/v1/payouts/${t.payoutNo}`, undefined, {
      token: t.token,
    });
    return r?.status === 200 ? r.body.status : undefined;
  }

  /** Once SUCCEEDED: the bank sends it back (the simulator's REFUND), then an admin rechecks it. */
  private async bounce(t: Tracked): Promise<void> {
    for (let i = 0; i < 40 && (await this.status(t)) !== 'SUCCEEDED'; i++) await sleep(500);
    for (let i = 0; i < 10; i++) {
      const r = await this.call('POST', `/sandbox/payouts/alipay/${t.payoutNo}/bounce`);
      if (r?.status === 200 || r?.status === 409) break; // 409: bounced already, or not SUCCESS there
      await sleep(300);
    }
    await this.recheck();
  }

  /**
   * Bounced payouts (the simulator says REFUND: read there, so a lost answer to the bounce call misleads
   * nothing) still SUCCEEDED here: an admin asks the gateway (POST …/recheck), as the daily reconciliation
   * would. Called after each bounce and on every pass of the settle.
   */
  async recheck(): Promise<void> {
    for (const t of this.tracked.filter((x) => x.c.bounce)) {
      if (!t.bounced) {
        const sim = await this.call<{ status: string }>('GET', `/sandbox/payouts/alipay/${t.payoutNo}`);
        // counted once: the workers' and the settle's rechecks may read it at once
        if (!t.bounced && sim?.body?.status === 'REFUND') {
          t.bounced = true;
          this.stats.inc('payout-bounced');
        }
      }
      if (!t.bounced || (await this.status(t)) !== 'SUCCEEDED') continue;
      const r = await this.call('POST', `/v1/admin/payouts/${t.payoutNo}/recheck`, undefined, {
        token: this.admin,
        timeoutMs: 8000,
      });
      this.stats.inc(`payout-recheck:${r?.status ?? 'error'}`);
    }
  }

  /** Every payout the load got a number for ended as its case says; no key answered two numbers. */
  async invariant(c: Connection): Promise<Invariant> {
    const byNo = new Map<string, string>();
    if (this.tracked.length) {
      const [rows] = await c.query('SELECT payout_no, status FROM t_payout WHERE payout_no IN (?)', [
        this.tracked.map((t) => t.payoutNo),
      ]);
      for (const r of rows as Array<{ payout_no: string; status: string }>) byNo.set(r.payout_no, r.status);
    }
    const wrong = this.tracked
      .map((t) => ({
        no: t.payoutNo,
        case: `${t.c.protocol} ${t.c.known ? (t.c.fault?.mode ?? (t.c.bounce ? 'bounce' : 'plain')) : 'no payee'}`,
        want: t.c.bounce && !t.bounced ? 'SUCCEEDED' : t.c.ends,
        is: byNo.get(t.payoutNo) ?? null,
      }))
      .filter((x) => x.want !== x.is);
    const kinds = new Map<string, number>();
    for (const t of this.tracked) {
      const k = `${t.c.protocol}/${t.c.known ? (t.c.fault?.mode ?? (t.c.bounce ? (t.bounced ? 'bounced' : 'bounce-not-done') : 'plain')) : 'no-payee'}`;
      kinds.set(k, (kinds.get(k) ?? 0) + 1);
    }
    return {
      name: 'every payout ended as its fault says; one Idempotency-Key, one payout number',
      violations: wrong.length + this.split.length,
      detail:
        `${this.tracked.length} payouts: ${[...kinds.entries()]
          .sort()
          .map(([k, n]) => `${k} ${n}`)
          .join(', ')}` +
        (wrong.length ? `; e.g. ${JSON.stringify(wrong.slice(0, 3))}` : '') +
        (this.split.length ? `; keys answered two numbers: ${this.split.slice(0, 3).join(', ')}` : ''),
    };
  }
}
