import { randomUUID } from 'node:crypto';
import { WalletService } from '../src/wallet';
import { PayoutSettleService } from '../src/payment/payout/payout-settle.service';
import { PayoutSweeper } from '../src/payment/payout/payout-jobs';
import { eventually, newUserId } from './factories/order.factory';
import { expectLedgerBalanced, seedWallet } from './ledger-helpers';
import { createTestApp, TestApp } from './utils/test-app';
import { payoutInvariants, Query } from '../bench/lib/payout-invariants';

const query =
  (db: { query: (sql: string, params?: unknown[]) => Promise<any> }): Query =>
  (sql, params) =>
    db.query(sql, params);

/**
 * Payouts (issue 26) on two instances sharing one database and Redis, against the sandbox's simulated
 * Alipay and WeChat transfers. Money is asserted on the rows: balances, PAYOUT / PAYOUT_REVERSAL journals,
 * the PAYOUT_REVERSED marker, the outbox, and the simulator's own transfer rows (one per number: "one
 * transfer at the gateway"; calls and inconsistent calls counted).
 */
describe('payouts (real MySQL + Redis, two instances, sandbox gateways)', () => {
  let a: TestApp;
  let b: TestApp;
  const env = {
    PAYMENT_CHANNELS: 'alipay,wechat,unionpay,wallet',
    ALIPAY_TIMEOUT_MS: '1000',
    WECHAT_TIMEOUT_MS: '1000',
    // the first query 1.5 s after the call: the race tests act before it
    PAYOUT_QUERY_DELAYS_MS: '1500,2500,3500',
    PAYOUT_MAX_AMOUNT: '500000',
    PAYOUT_DAILY_LIMIT: '600000',
    PAYOUT_REVIEW_ABOVE: '200000',
    PAYOUT_STUCK_AFTER_MS: '60000',
  };
  beforeAll(async () => {
    a = await createTestApp({ env });
    b = await createTestApp({ env, dbName: a.dbName, redisPrefix: a.redisPrefix, keepDb: true });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  async function user(amount: number): Promise<string> {
    const u = newUserId();
    await seedWallet(a, u, amount);
    return u;
  }
  const balance = async (u: string) => (await a.app.get(WalletService).getAccount(u)).balance;
  const count = async (sql: string, p: unknown[]) => Number((await a.dataSource.query(sql, p))[0].n);
  const entries = (kind: string, no: string) =>
    count('SELECT COUNT(*) AS n FROM t_ledger_entry WHERE kind = ? AND ref_id = ?', [kind, no]);
  const outbox = (topic: string, no: string) =>
    count('SELECT COUNT(*) AS n FROM t_outbox WHERE topic = ? AND event_key = ?', [topic, no]);
  const markers = (no: string) =>
    count("SELECT COUNT(*) AS n FROM t_uq_dipose WHERE ref_type = 'PAYOUT_REVERSED' AND ref_id = ?", [no]);
  const transfers = (protocol: string, no: string) =>
    count('SELECT COUNT(*) AS n FROM sandbox_transfer WHERE protocol = ? AND out_no = ?', [protocol, no]);
  const simRow = async (protocol: string, no: string) =>
    (
      await a.dataSource.query('SELECT * FROM sandbox_transfer WHERE protocol = ? AND out_no = ?', [
        protocol,
        no,
      ])
    )[0];

  /** A payee the simulator knows, with an optional fault for its next transfer calls. */
  async function payee(
    protocol: 'alipay' | 'wechat',
    name: string | null,
    fault?: { mode: string; times?: number; param?: number },
    notify?: { mode: string; delayMs?: number },
  ): Promise<string> {
    // Alipay: a logon id (needs the name) or, without a name, a user id (2088 + 12 digits)
    const digits = () => String(Math.floor(Math.random() * 1e12)).padStart(12, '0');
    const identity =
      protocol === 'wechat'
        ? `o${randomUUID().replace(/-/g, '')}`
        : name
          ? `p${randomUUID().slice(0, 8)}@example.com`
          : `2088${digits()}`;
    await a
      .http()
      .put(`/sandbox/payouts/payees/${protocol}/${identity}`)
      .send({ ...(name ? { name } : {}), ...(fault ? { fault } : {}), ...(notify ? { notify } : {}) })
      .expect(200);
    return identity;
  }
  const create = (t: TestApp, u: string, body: object, key: string = randomUUID()) =>
    t.http().post('/v1/payouts').set('Authorization', t.bearer(u)).set('Idempotency-Key', key).send(body);
  const read = async (no: string) =>
    (await a.http().get(`/v1/payouts/${no}`).set('Authorization', a.bearer('ops', 'admin')).expect(200)).body;
  const settled = (no: string, status = 'SUCCEEDED', ms = 20000) =>
    eventually(async () => {
      const p = await read(no);
      return p.status === status ? p : p.status !== 'PENDING' && p.status !== 'REVIEW' ? fail(p) : null;
    }, ms);
  const fail = (p: unknown) => {
    throw new Error(`unexpected payout state ${JSON.stringify(p)}`);
  };
  async function payout(u: string, body: object): Promise<string> {
    const res = await create(a, u, body);
    if (res.status !== 201) throw new Error(`create: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.payoutNo as string;
  }

  it('Alipay: 201 PENDING with its number, the wallet debited in the same commit; SUCCEEDED once the transfer answers', async () => {
    const u = await user(50000);
    const id = await payee('alipay', '张三');
    const res = await create(a, u, {
      channel: 'alipay',
      account: { identity: id, name: '张三' },
      amount: 12345,
    }).expect(201);
    expect(res.body).toEqual({
      payoutNo: expect.stringMatching(/^P\d{29}$/),
      channel: 'alipay',
      account: { identity: id, name: '张三' },
      amount: 12345,
      status: 'PENDING',
      failedReason: null,
      createdAt: expect.any(String),
      succeededAt: null,
      failedAt: null,
    });
    const no = res.body.payoutNo;
    expect(await balance(u)).toBe(50000 - 12345);
    expect(await entries('PAYOUT', no)).toBe(2);
    const done = await settled(no);
    expect(done.succeededAt).toEqual(expect.any(String));
    expect([await transfers('alipay', no), Number((await simRow('alipay', no)).amount)]).toEqual([1, 12345]);
    expect([await outbox('payout.succeeded', no), await entries('PAYOUT_REVERSAL', no)]).toEqual([1, 0]);
    // the owner reads it, a stranger gets 404, the list has it
    await a.http().get(`/v1/payouts/${no}`).set('Authorization', a.bearer(u)).expect(200);
    await a.http().get(`/v1/payouts/${no}`).set('Authorization', a.bearer(newUserId())).expect(404);
    const list = await a.http().get('/v1/payouts?limit=1').set('Authorization', a.bearer(u)).expect(200);
    expect(list.body.items.map((p: { payoutNo: string }) => p.payoutNo)).toEqual([no]);
  });

  it('10 copies of one keyed request over two instances: one payout, one debit, one transfer', async () => {
    const u = await user(100000);
    const id = await payee('alipay', '李四');
    const body = { channel: 'alipay', account: { identity: id, name: '李四' }, amount: 30000 };
    const key = randomUUID();
    const first = await Promise.all(
      Array.from({ length: 10 }, (_, i) => create(i % 2 ? b : a, u, body, key)),
    );
    for (const r of first) expect([201, 409]).toContain(r.status);
    // the ones that met the first still running (409 REQUEST_IN_PROGRESS) ask again and get its answer
    const nos = new Set<string>();
    for (const r of first) {
      const again =
        r.status === 201
          ? r
          : await eventually(async () => {
              const x = await create(b, u, body, key);
              return x.status === 201 ? x : null;
            });
      nos.add(again.body.payoutNo);
    }
    expect(nos.size).toBe(1);
    const [no] = [...nos];
    await settled(no);
    expect(await count('SELECT COUNT(*) AS n FROM t_payout WHERE user_id = ?', [u])).toBe(1);
    expect([await balance(u), await entries('PAYOUT', no), await transfers('alipay', no)]).toEqual([
      70000, 2, 1,
    ]);
    // the same key with another body: 422
    const other = await create(a, u, { ...body, amount: 1 }, key).expect(422);
    expect(other.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('a balance too low: 409 INSUFFICIENT_BALANCE and nothing stored (no row, no journal, no day total)', async () => {
    const u = await user(1000);
    const id = await payee('alipay', '王五');
    const res = await create(a, u, {
      channel: 'alipay',
      account: { identity: id, name: '王五' },
      amount: 1001,
    }).expect(409);
    expect(res.body.code).toBe('INSUFFICIENT_BALANCE');
    expect(await count('SELECT COUNT(*) AS n FROM t_payout WHERE user_id = ?', [u])).toBe(0);
    expect(
      await count('SELECT COALESCE(SUM(total), 0) AS n FROM t_payout_daily WHERE user_id = ?', [u]),
    ).toBe(0);
    expect(
      await count(
        "SELECT COUNT(*) AS n FROM t_ledger_entry WHERE kind = 'PAYOUT' AND balance_after IS NOT NULL AND account_id IN (SELECT id FROM t_ledger_account WHERE owner = ?)",
        [u],
      ),
    ).toBe(0);
    expect(await balance(u)).toBe(1000);
  });

  it('bad input: 400 VALIDATION_FAILED with nothing stored', async () => {
    const u = await user(100000);
    const bad = [
      { channel: 'bank', account: { identity: 'x@example.com', name: 'n' }, amount: 100 },
      { channel: 'alipay', account: { identity: 'x@example.com', name: 'n' }, amount: 0 },
      { channel: 'alipay', account: { identity: 'x@example.com', name: 'n' }, amount: 1.5 },
      { channel: 'alipay', account: { identity: 'x@example.com', name: 'n' }, amount: 500001 },
      { channel: 'alipay', account: { identity: 'x@example.com' }, amount: 100 },
      { channel: 'wechat', account: { identity: 'bad openid!' }, amount: 100 },
      { channel: 'alipay', amount: 100 },
    ];
    for (const body of bad) {
      const res = await create(a, u, body);
      expect([res.status, res.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    }
    expect(await count('SELECT COUNT(*) AS n FROM t_payout WHERE user_id = ?', [u])).toBe(0);
    expect(await balance(u)).toBe(100000);
    await a.http().get('/v1/payouts/nope').set('Authorization', a.bearer(u)).expect(404);
    await a.http().get('/v1/payouts?cursor=zzz').set('Authorization', a.bearer(u)).expect(400);
    await a.http().get('/v1/admin/payouts').set('Authorization', a.bearer(u)).expect(403);
    await a
      .http()
      .get('/v1/admin/payouts?status=NOPE')
      .set('Authorization', a.bearer('ops', 'admin'))
      .expect(400);
  });

  it('payee checks: an unknown account and a name mismatch → FAILED with the reason, the money back once, no transfer', async () => {
    const u = await user(100000);
    const known = await payee('alipay', '赵六');
    const wx = await payee('wechat', '钱七');
    const cases: Array<[string, object]> = [
      [
        'alipay',
        { channel: 'alipay', account: { identity: 'nobody@example.com', name: '赵六' }, amount: 1000 },
      ],
      ['alipay', { channel: 'alipay', account: { identity: known, name: '别人' }, amount: 1000 }],
      ['wechat', { channel: 'wechat', account: { identity: 'o_unknown_openid' }, amount: 1000 }],
      ['wechat', { channel: 'wechat', account: { identity: wx, name: '别人' }, amount: 1000 }],
    ];
    for (const [protocol, body] of cases) {
      const no = await payout(u, body);
      const p = await settled(no, 'FAILED');
      expect(p.failedReason).toMatch(/PAYEE_NOT_EXIST|PAYEE_USER_INFO_ERROR|OPENID_INVALID|PARAM_ERROR/);
      expect([
        await entries('PAYOUT_REVERSAL', no),
        await markers(no),
        await transfers(protocol, no),
      ]).toEqual([2, 1, 0]);
      expect(await outbox('payout.failed', no)).toBe(1);
    }
    expect(await balance(u)).toBe(100000);
  });

  it('Alipay timeout after the transfer was made → PENDING, then SUCCEEDED by query; the same number, never a second transfer', async () => {
    const u = await user(100000);
    // no notify: only the query may settle it here (the notify's own tests: payout-alipay-notify.e2e-spec.ts)
    const id = await payee('alipay', '孙八', { mode: 'timeout_after' }, { mode: 'drop' });
    const no = await payout(u, { channel: 'alipay', account: { identity: id, name: '孙八' }, amount: 5000 });
    await eventually(async () => (await simRow('alipay', no)) ?? null);
    expect((await read(no)).status).toBe('PENDING');
    await settled(no);
    const row = await simRow('alipay', no);
    expect([await transfers('alipay', no), row.calls, row.queries >= 1]).toEqual([1, 1, true]);
    expect(await count('SELECT COUNT(*) AS n FROM t_payout WHERE user_id = ?', [u])).toBe(1);
    expect(await balance(u)).toBe(95000);
  });

  it.each([
    ['alipay', 'timeout_before', undefined, 1],
    ['alipay', 'system_error', undefined, 2],
    ['alipay', 'order_not_exist', 3, 1],
    ['wechat', 'timeout_after', undefined, 1],
    ['wechat', 'timeout_before', undefined, 1],
    ['wechat', 'system_error', undefined, 2],
    ['wechat', 'order_not_exist', 2, 1],
  ] as const)(
    '%s %s → one transfer at the gateway, SUCCEEDED under the same number',
    async (protocol, mode, param, times) => {
      const u = await user(100000);
      const id = await payee(protocol, null, { mode, times, ...(param ? { param } : {}) });
      const no = await payout(u, { channel: protocol, account: { identity: id }, amount: 777 });
      await settled(no, 'SUCCEEDED', 30000);
      expect(await transfers(protocol, no)).toBe(1);
      expect((await simRow(protocol, no)).inconsistent_calls).toBe(0);
      expect([await balance(u), await entries('PAYOUT_REVERSAL', no)]).toEqual([100000 - 777, 0]);
    },
  );

  it('a transfer that ends FAIL, reported by queries, the sweeper and rechecks on both instances at once → the money back once', async () => {
    const u = await user(100000);
    const id = await payee('alipay', null, { mode: 'fail' }, { mode: 'drop' });
    const no = await payout(u, { channel: 'alipay', account: { identity: id }, amount: 4000 });
    await eventually(async () => (await simRow('alipay', no)) ?? null);
    await eventually(
      async () =>
        (await a.dataSource.query('SELECT attempts FROM t_payout WHERE payout_no = ?', [no]))[0].attempts > 0,
    );
    expect((await read(no)).status).toBe('PENDING');
    const admin = a.bearer('ops', 'admin');
    await Promise.all([
      a.app.get(PayoutSettleService).query(no, null, 'query'),
      b.app.get(PayoutSettleService).query(no, null, 'query'),
      a.app.get(PayoutSweeper).sweep(100, 0),
      b.app.get(PayoutSweeper).sweep(100, 0),
      a.http().post(`/v1/admin/payouts/${no}/recheck`).set('Authorization', admin).expect(200),
      b.http().post(`/v1/admin/payouts/${no}/recheck`).set('Authorization', admin).expect(200),
    ]);
    const p = await read(no);
    expect([p.status, p.failedReason]).toEqual(['FAILED', expect.stringContaining('PAYEE_ACCOUNT_ABNORMAL')]);
    expect([
      await entries('PAYOUT_REVERSAL', no),
      await markers(no),
      await outbox('payout.failed', no),
    ]).toEqual([2, 1, 1]);
    expect([await balance(u), await transfers('alipay', no)]).toEqual([100000, 1]);
  });

  it('WeChat: ACCEPTED, then SUCCESS by query; a bill left unconfirmed until it closes → FAILED, money back once', async () => {
    const u = await user(100000);
    const ok = await payee('wechat', '周九');
    const no1 = await payout(u, { channel: 'wechat', account: { identity: ok, name: '周九' }, amount: 2000 });
    await settled(no1);
    const slow = await payee('wechat', null, { mode: 'unconfirmed', param: 2000 });
    const no2 = await payout(u, { channel: 'wechat', account: { identity: slow }, amount: 3000 });
    const p = await settled(no2, 'FAILED', 30000);
    expect(p.failedReason).toMatch(/CANCELLED/);
    expect([await transfers('wechat', no1), await transfers('wechat', no2)]).toEqual([1, 1]);
    expect([
      await balance(u),
      await entries('PAYOUT_REVERSAL', no2),
      await entries('PAYOUT_REVERSAL', no1),
    ]).toEqual([98000, 2, 0]);
  });

  it('a bank bounce after success (Alipay SUCCESS → REFUND), found by two rechecks at once → FAILED (bounced), money back once', async () => {
    const u = await user(100000);
    const id = await payee('alipay', '吴十', undefined, { mode: 'drop' });
    const no = await payout(u, { channel: 'alipay', account: { identity: id, name: '吴十' }, amount: 6000 });
    await settled(no);
    expect(await balance(u)).toBe(94000);
    await a.http().post(`/sandbox/payouts/alipay/${no}/bounce`).expect(200);
    const admin = a.bearer('ops', 'admin');
    await Promise.all([
      a.http().post(`/v1/admin/payouts/${no}/recheck`).set('Authorization', admin).expect(200),
      b.http().post(`/v1/admin/payouts/${no}/recheck`).set('Authorization', admin).expect(200),
    ]);
    const p = await read(no);
    expect([p.status, p.failedReason, p.succeededAt]).toEqual([
      'FAILED',
      expect.stringMatching(/^BOUNCED/),
      expect.any(String),
    ]);
    expect([await balance(u), await entries('PAYOUT_REVERSAL', no), await markers(no)]).toEqual([
      100000, 2, 1,
    ]);
    const ev = await a.dataSource.query(
      "SELECT payload FROM t_outbox WHERE topic = 'payout.failed' AND event_key = ?",
      [no],
    );
    expect(
      ev.map(
        (e: { payload: unknown }) =>
          (typeof e.payload === 'string' ? JSON.parse(e.payload) : e.payload).bounced,
      ),
    ).toEqual([true]);
  });

  it('the same number sent again with other parameters is refused by the gateway (PAYMENT_INFO_INCONSISTENCY) and never read as failed', async () => {
    const u = await user(100000);
    // three hidden queries: after the first refused re-send at least two more rounds of query + re-send pass
    // before the gateway shows the transfer, so the payout is still PENDING when it is read below (with one,
    // the next query could settle it first)
    const id = await payee('alipay', '郑一', { mode: 'order_not_exist', param: 3 }, { mode: 'drop' });
    const no = await payout(u, { channel: 'alipay', account: { identity: id, name: '郑一' }, amount: 888 });
    await eventually(async () => (await simRow('alipay', no)) ?? null);
    // a bug that changed the stored payee would send other parameters under the number on the resend
    await a.dataSource.query("UPDATE t_payout SET payee_name = '郑二' WHERE payout_no = ?", [no]);
    await eventually(async () => (await simRow('alipay', no)).inconsistent_calls >= 1, 20000);
    expect(await count('SELECT COUNT(*) AS n FROM sandbox_transfer_call WHERE out_no = ?', [no])).toBe(2);
    expect((await read(no)).status).toBe('PENDING');
    await a.dataSource.query("UPDATE t_payout SET payee_name = '郑一' WHERE payout_no = ?", [no]);
    await settled(no, 'SUCCEEDED', 30000);
    expect([await transfers('alipay', no), await entries('PAYOUT_REVERSAL', no)]).toEqual([1, 0]);
  });

  it('review: above PAYOUT_REVIEW_ABOVE waits in REVIEW (money taken); approve racing reject on two instances → one decision', async () => {
    const admin = (t: TestApp) => t.bearer(`admin-${t.port}`, 'admin');
    for (let round = 0; round < 4; round++) {
      const u = await user(300000);
      const id = await payee('alipay', '冯二');
      const res = await create(a, u, {
        channel: 'alipay',
        account: { identity: id, name: '冯二' },
        amount: 250000,
      }).expect(201);
      expect(res.body.status).toBe('REVIEW');
      const no = res.body.payoutNo;
      expect(await balance(u)).toBe(50000);
      const queue = await a
        .http()
        .get('/v1/admin/payouts?status=REVIEW&limit=100')
        .set('Authorization', admin(a))
        .expect(200);
      expect(queue.body.items.map((p: { payoutNo: string }) => p.payoutNo)).toContain(no);
      const [x, y] = round % 2 ? [a, b] : [b, a];
      const [ap, rj] = await Promise.all([
        x.http().post(`/v1/admin/payouts/${no}/approve`).set('Authorization', admin(x)),
        y
          .http()
          .post(`/v1/admin/payouts/${no}/reject`)
          .set('Authorization', admin(y))
          .send({ reason: 'kyc' }),
      ]);
      expect([ap.status, rj.status].sort()).toEqual([200, 409]);
      const loser = ap.status === 409 ? ap : rj;
      expect(loser.body.code).toBe('PAYOUT_NOT_REVIEWABLE');
      if (ap.status === 200) {
        await settled(no);
        expect([await balance(u), await transfers('alipay', no), await markers(no)]).toEqual([50000, 1, 0]);
        // approving again answers the payout; rejecting now is refused
        await a.http().post(`/v1/admin/payouts/${no}/approve`).set('Authorization', admin(a)).expect(200);
        await a
          .http()
          .post(`/v1/admin/payouts/${no}/reject`)
          .set('Authorization', admin(a))
          .send({ reason: 'x' })
          .expect(409);
      } else {
        expect((await read(no)).status).toBe('FAILED');
        expect([
          await balance(u),
          await transfers('alipay', no),
          await entries('PAYOUT_REVERSAL', no),
        ]).toEqual([300000, 0, 2]);
        await a
          .http()
          .post(`/v1/admin/payouts/${no}/reject`)
          .set('Authorization', admin(a))
          .send({ reason: 'x' })
          .expect(200);
        await a.http().post(`/v1/admin/payouts/${no}/approve`).set('Authorization', admin(a)).expect(409);
        expect(await entries('PAYOUT_REVERSAL', no)).toBe(2);
      }
    }
  });

  it("the daily limit: two payouts at once that together pass it → one 201, one 409; a failed payout's amount counts no more", async () => {
    const u = await user(2000000);
    const id = await payee('alipay', '陈三');
    const body = (n: number) => ({ channel: 'alipay', account: { identity: id, name: '陈三' }, amount: n });
    const [x, y] = await Promise.all([create(a, u, body(190000)), create(b, u, body(190000))]);
    expect([x.status, y.status].sort()).toEqual([201, 201]);
    const [p, q] = await Promise.all([create(a, u, body(190000)), create(b, u, body(190000))]);
    expect([p.status, q.status].sort()).toEqual([201, 409]);
    expect((p.status === 409 ? p : q).body.code).toBe('PAYOUT_LIMIT_EXCEEDED');
    expect(await count('SELECT total AS n FROM t_payout_daily WHERE user_id = ?', [u])).toBe(570000);
    const gone = await payout(u, {
      channel: 'alipay',
      account: { identity: 'nobody@example.com', name: '陈三' },
      amount: 1,
    });
    await settled(gone, 'FAILED');
    expect(await count('SELECT total AS n FROM t_payout_daily WHERE user_id = ?', [u])).toBe(570000);
    await create(a, u, body(30000)).expect(201);
    await create(a, u, body(1)).expect(409);
  });

  it('WeChat notifies: a FAIL notified twice at once while queries and sweeps on both instances report it → the money back once', async () => {
    const u = await user(100000);
    const id = await payee('wechat', null, { mode: 'fail' }, { mode: 'duplicate' });
    const no = await payout(u, { channel: 'wechat', account: { identity: id }, amount: 2500 });
    await Promise.all([
      a.app.get(PayoutSettleService).query(no, null, 'query'),
      b.app.get(PayoutSettleService).query(no, null, 'query'),
      a.app.get(PayoutSweeper).sweep(100, 0),
      b.app.get(PayoutSweeper).sweep(100, 0),
    ]);
    await eventually(async () => (await simRow('wechat', no)).notifies >= 2);
    const p = await settled(no, 'FAILED');
    expect(p.failedReason).toMatch(/FAIL/);
    expect([
      await entries('PAYOUT_REVERSAL', no),
      await markers(no),
      await outbox('payout.failed', no),
    ]).toEqual([2, 1, 1]);
    expect([await balance(u), await transfers('wechat', no)]).toEqual([100000, 1]);
  });

  it('WeChat notifies: a SUCCESS notified late, after the query settled it, and a dropped one → SUCCEEDED once; a forged notify changes nothing', async () => {
    const u = await user(100000);
    const late = await payee('wechat', null, undefined, { mode: 'late', delayMs: 2500 });
    const dropped = await payee('wechat', null, undefined, { mode: 'drop' });
    const no1 = await payout(u, { channel: 'wechat', account: { identity: late }, amount: 100 });
    const no2 = await payout(u, { channel: 'wechat', account: { identity: dropped }, amount: 200 });
    await settled(no1);
    await settled(no2);
    await eventually(async () => (await simRow('wechat', no1)).notifies >= 1, 10000);
    expect([
      (await read(no1)).status,
      await outbox('payout.succeeded', no1),
      await outbox('payout.succeeded', no2),
    ]).toEqual(['SUCCEEDED', 1, 1]);
    expect((await simRow('wechat', no2)).notifies).toBe(0);
    const forged = await a
      .http()
      .post('/v1/callbacks/wechat/transfers')
      .set('Wechatpay-Timestamp', String(Math.floor(Date.now() / 1000)))
      .set('Wechatpay-Nonce', 'n')
      .set('Wechatpay-Signature', 'AAAA')
      .set('Wechatpay-Serial', 'PUB_KEY_ID_0')
      .send({ id: 'x', event_type: 'MCHTRANSFER.BILL.FINISHED', resource: {} });
    expect([forged.status, forged.body.code]).toEqual([401, 'FAIL']);
    expect(await balance(u)).toBe(100000 - 300);
  });

  it('a send job that was never added (Redis lost it at the commit) → the sweeper finds it NOT_FOUND and sends it, under its number', async () => {
    const u = await user(100000);
    const id = await payee('alipay', '褚四');
    const lost = [a, b].map((t) =>
      jest.spyOn(t.app.get(PayoutSettleService), 'dispatch').mockResolvedValue(),
    );
    let no: string;
    try {
      no = await payout(u, { channel: 'alipay', account: { identity: id, name: '褚四' }, amount: 1500 });
    } finally {
      lost.forEach((m) => m.mockRestore());
    }
    const row = (
      await a.dataSource.query('SELECT status, attempts FROM t_payout WHERE payout_no = ?', [no])
    )[0];
    expect([row.status, row.attempts, await transfers('alipay', no)]).toEqual(['PENDING', 0, 0]);
    await Promise.all([a.app.get(PayoutSweeper).sweep(100, 0), b.app.get(PayoutSweeper).sweep(100, 0)]);
    await settled(no);
    expect([await transfers('alipay', no), await balance(u)]).toEqual([1, 98500]);
  });

  it('a storm: 40 payouts with every fault mode over both instances and sweeps on both → the invariants hold', async () => {
    const modes = [
      undefined,
      'timeout_after',
      'timeout_before',
      'system_error',
      'order_not_exist',
      'fail',
    ] as const;
    const u = await user(5000000);
    const jobs = Array.from({ length: 40 }, async (_, i) => {
      const protocol = i % 2 ? 'wechat' : 'alipay';
      const mode = modes[i % modes.length];
      const id = await payee(protocol, null, mode ? { mode, param: 2 } : undefined, {
        mode: i % 3 ? 'duplicate' : 'drop',
      });
      const res = await create(i % 4 < 2 ? a : b, u, {
        channel: protocol,
        account: { identity: id },
        amount: 100 + i,
      });
      if (res.status !== 201) throw new Error(`create: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.payoutNo as string;
    });
    const nos = await Promise.all(jobs);
    await Promise.all([a.app.get(PayoutSweeper).sweep(100, 0), b.app.get(PayoutSweeper).sweep(100, 0)]);
    const finals = await Promise.all(
      nos.map((no) =>
        eventually(async () => {
          const p = await read(no);
          return p.status === 'SUCCEEDED' || p.status === 'FAILED' ? p : null;
        }, 40000),
      ),
    );
    const expectFailed = nos.filter((_, i) => modes[i % modes.length] === 'fail');
    expect(
      finals
        .filter((p) => p.status === 'FAILED')
        .map((p) => p.payoutNo)
        .sort(),
    ).toEqual(expectFailed.sort());
    // the payout invariants npm run chaos checks too (bench/lib/payout-invariants.ts): the simulator's SUCCESS
    // transfers = the SUCCEEDED payouts, to the fen; no number sent with two parameter sets; a FAILED one's
    // money back once; payouts:<channel> = the payouts not FAILED; none PENDING
    // the simulator's call log has the calls that made nothing too (a system_error, then the transfer)
    const errored = nos.filter((_, i) => modes[i % modes.length] === 'system_error');
    const logged = await a.dataSource.query(
      `SELECT out_no, SUM(calls) AS calls FROM sandbox_transfer_call WHERE out_no IN (${errored.map(() => '?').join(', ')}) GROUP BY out_no`,
      errored,
    );
    expect(logged.map((r: { calls: unknown }) => Number(r.calls) >= 2)).toEqual(errored.map(() => true));
    const held = await payoutInvariants(query(a.dataSource), nos);
    expect(held.filter((r) => r.violations > 0)).toEqual([]);
    expect(held).toHaveLength(6);
    expect(await balance(u)).toBe(
      5000000 - finals.filter((p) => p.status === 'SUCCEEDED').reduce((x, p) => x + p.amount, 0),
    );
    // and each of them reports a broken copy of this storm (broken in a transaction, rolled back after)
    const pickOne = (ch: string, st: string) =>
      finals.find((p) => p.channel === ch && p.status === st).payoutNo;
    const [ali, wx, gone] = [pickOne('alipay', 'SUCCEEDED'), pickOne('wechat', 'SUCCEEDED'), expectFailed[0]];
    const qr = a.dataSource.createQueryRunner();
    await qr.startTransaction();
    try {
      await qr.query('UPDATE sandbox_transfer SET amount = amount + 1 WHERE out_no = ?', [ali]);
      await qr.query('UPDATE sandbox_transfer SET inconsistent_calls = 1 WHERE out_no = ?', [wx]);
      await qr.query("UPDATE t_payout SET status = 'PENDING' WHERE payout_no = ?", [wx]);
      await qr.query("DELETE FROM t_uq_dipose WHERE ref_type = 'PAYOUT_REVERSED' AND ref_id = ?", [gone]);
      await qr.query(
        'INSERT INTO sandbox_transfer_call (protocol, out_no, params_hash, first_at) SELECT protocol, out_no, ?, NOW(3) FROM sandbox_transfer WHERE out_no = ?',
        ['f'.repeat(64), gone],
      );
      await qr.query(
        `UPDATE t_ledger_entry e JOIN t_ledger_account la ON la.id = e.account_id SET e.amount = e.amount + 1
          WHERE la.owner = 'payouts:alipay' AND e.kind = 'PAYOUT' AND e.ref_id = ?`,
        [ali],
      );
      const broken = await payoutInvariants(query(qr), nos);
      // alipay: the amount; wechat: a SUCCESS transfer not SUCCEEDED here; the amount, the refused call and
      // a second parameter set in the call log (3 numbers); the missing marker; payouts:alipay; the PENDING one
      expect(broken.map((r) => r.violations)).toEqual([1, 1, 3, 1, 1, 1]);
    } finally {
      await qr.rollbackTransaction();
      await qr.release();
    }
    expect((await payoutInvariants(query(a.dataSource), nos)).every((r) => r.violations === 0)).toBe(true);
  });

  it('the ledger is balanced after all of it (payouts:<channel> included)', async () => {
    await expectLedgerBalanced(a);
  });
});
