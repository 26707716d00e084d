import { createSign, randomUUID } from 'node:crypto';
import { PayoutSettleService } from '../src/payment/payout/payout-settle.service';
import { WalletService } from '../src/wallet';
import { eventually, newUserId } from './factories/order.factory';
import { expectLedgerBalanced, seedWallet } from './ledger-helpers';
import { createTestApp, TestApp } from './utils/test-app';

const ROUTE = '/v1/callbacks/alipay/transfers';
const APP_ID = '2021000000000001';

/**
 * Alipay's transfer notify `alipay.fund.trans.order.changed` (issue 26) at POST /v1/callbacks/alipay/transfers,
 * on two instances sharing one database and Redis. Notifies come from the sandbox (its notify modes) or are
 * built here and signed with the sandbox gateway's key from sandbox_key (what Alipay's own key would sign),
 * so copies can be sent at once to both instances and fields can be tampered with. No scheduled query and
 * no sweep runs inside the test: a payout settles here by its transfer answer, by a notify, or by a query the
 * test makes. Money is asserted on the rows: balance, PAYOUT_REVERSAL journals, the PAYOUT_REVERSED marker,
 * the outbox, the simulator's transfer row (calls, queries, notifies delivered).
 */
describe('Alipay transfer notify (real MySQL + Redis, two instances, sandbox gateway)', () => {
  let a: TestApp;
  let b: TestApp;
  let gatewayKey: string;
  const env = {
    PAYMENT_CHANNELS: 'alipay,wechat,wallet',
    ALIPAY_TIMEOUT_MS: '1000',
    WECHAT_TIMEOUT_MS: '1000',
    PAYOUT_QUERY_DELAYS_MS: '600000',
    PAYOUT_STUCK_AFTER_MS: '600000',
  };
  beforeAll(async () => {
    a = await createTestApp({ env });
    b = await createTestApp({ env, dbName: a.dbName, redisPrefix: a.redisPrefix, keepDb: true });
    // the sandbox's gateway key pair is made at start (INSERT IGNORE, read back): the one both instances use
    gatewayKey = (await a.dataSource.query("SELECT private_pem FROM sandbox_key WHERE name = 'gateway'"))[0]
      .private_pem;
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  const count = async (sql: string, p: unknown[]) => Number((await a.dataSource.query(sql, p))[0].n);
  const balance = async (u: string) => (await a.app.get(WalletService).getAccount(u)).balance;
  const entries = (kind: string, no: string) =>
    count('SELECT COUNT(*) AS n FROM t_ledger_entry WHERE kind = ? AND ref_id = ?', [kind, no]);
  const outbox = (topic: string, no: string) =>
    count('SELECT COUNT(*) AS n FROM t_outbox WHERE topic = ? AND event_key = ?', [topic, no]);
  const markers = (no: string) =>
    count("SELECT COUNT(*) AS n FROM t_uq_dipose WHERE ref_type = 'PAYOUT_REVERSED' AND ref_id = ?", [no]);
  const simRow = async (no: string) =>
    (
      await a.dataSource.query("SELECT * FROM sandbox_transfer WHERE protocol = 'alipay' AND out_no = ?", [
        no,
      ])
    )[0];
  const status = async (no: string) =>
    (await a.dataSource.query('SELECT status FROM t_payout WHERE payout_no = ?', [no]))[0].status as string;
  const settled = (no: string, want: string) => eventually(async () => (await status(no)) === want, 20000);
  /** Money side of a payout: [balance, reversal journals, markers, payout.succeeded, payout.failed]. */
  const money = async (u: string, no: string) => [
    await balance(u),
    await entries('PAYOUT_REVERSAL', no),
    await markers(no),
    await outbox('payout.succeeded', no),
    await outbox('payout.failed', no),
  ];

  async function user(amount: number): Promise<string> {
    const u = newUserId();
    await seedWallet(a, u, amount);
    return u;
  }

  /** A payee (an Alipay user id; WeChat an openid) with a fault and a notify mode, then a payout to it. */
  async function payout(
    u: string,
    amount: number,
    fault?: { mode: string; param?: number },
    notify: { mode: string; delayMs?: number } = { mode: 'normal' },
    channel: 'alipay' | 'wechat' = 'alipay',
  ): Promise<string> {
    const identity =
      channel === 'wechat'
        ? `o${randomUUID().replace(/-/g, '')}`
        : `2088${String(Math.floor(Math.random() * 1e12)).padStart(12, '0')}`;
    await a
      .http()
      .put(`/sandbox/payouts/payees/${channel}/${identity}`)
      .send({ ...(fault ? { fault } : {}), notify })
      .expect(200);
    const res = await a
      .http()
      .post('/v1/payouts')
      .set('Authorization', a.bearer(u))
      .set('Idempotency-Key', randomUUID())
      .send({ channel, account: { identity }, amount })
      .expect(201);
    return res.body.payoutNo as string;
  }

  /** PENDING after its transfer call was made and answered (or timed out). */
  const pendingAfterCall = async (no: string) => {
    await eventually(async () => {
      const r = await a.dataSource.query('SELECT status, attempts FROM t_payout WHERE payout_no = ?', [no]);
      return r[0].attempts > 0 && !!(await simRow(no));
    });
    expect(await status(no)).toBe('PENDING');
  };

  /** An order.changed message as Alipay signs it: sorted k=v of every field but sign and sign_type, RSA2. */
  function signed(
    biz: Record<string, unknown>,
    over: { appId?: string; tamper?: (f: Record<string, string>) => void } = {},
  ): string {
    const f: Record<string, string> = {
      notify_id: randomUUID().replace(/-/g, ''),
      utc_timestamp: String(Date.now()),
      msg_method: 'alipay.fund.trans.order.changed',
      app_id: over.appId ?? APP_ID,
      version: '1.1',
      charset: 'utf-8',
      sign_type: 'RSA2',
      biz_content: JSON.stringify({
        product_code: 'TRANS_ACCOUNT_NO_PWD',
        biz_scene: 'DIRECT_TRANSFER',
        order_id: `2026${Date.now()}`,
        ...biz,
      }),
    };
    const content = Object.keys(f)
      .filter((k) => k !== 'sign_type')
      .sort()
      .map((k) => `${k}=${f[k]}`)
      .join('&');
    f.sign = createSign('RSA-SHA256').update(content, 'utf8').sign(gatewayKey, 'base64');
    over.tamper?.(f);
    return new URLSearchParams(f).toString();
  }
  const send = async (t: TestApp, body: string, type = 'application/x-www-form-urlencoded') => {
    const res = await t.http().post(ROUTE).set('Content-Type', type).send(body);
    expect(res.status).toBe(200);
    return res.text;
  };
  const fen = (n: number) => (n / 100).toFixed(2);

  it('a notify alone settles a PENDING payout (answer timed out, queries would say ORDER_NOT_EXIST) → SUCCEEDED once', async () => {
    const u = await user(100000);
    const no = await payout(u, 4321, { mode: 'order_not_exist', param: 1000 });
    await settled(no, 'SUCCEEDED');
    const row = await eventually(async () => {
      const r = await simRow(no);
      return r.notifies >= 1 ? r : null;
    });
    // one call (its answer held past the timeout), no query: only the notify could settle it
    expect([row.calls, row.queries, row.status]).toEqual([1, 0, 'SUCCESS']);
    expect(await money(u, no)).toEqual([100000 - 4321, 0, 0, 1, 0]);
    const channelOrderId = (
      await a.dataSource.query('SELECT channel_order_id FROM t_payout WHERE payout_no = ?', [no])
    )[0].channel_order_id;
    expect(channelOrderId).toBe(row.order_id);
  });

  it('FAIL notified 10 times at once over both instances while two queries report it → the money back once', async () => {
    const u = await user(100000);
    const no = await payout(u, 2500, { mode: 'fail' }, { mode: 'drop' });
    await pendingAfterCall(no);
    const fail = {
      out_biz_no: no,
      status: 'FAIL',
      trans_amount: fen(2500),
      error_code: 'PAYEE_ACCOUNT_ABNORMAL',
    };
    const answers = await Promise.all([
      ...Array.from({ length: 10 }, (_, i) => send(i % 2 ? b : a, signed(fail))),
      a.app.get(PayoutSettleService).query(no, null, 'query'),
      b.app.get(PayoutSettleService).query(no, null, 'query'),
    ]);
    expect(answers.slice(0, 10)).toEqual(Array(10).fill('success'));
    expect(await status(no)).toBe('FAILED');
    expect(await money(u, no)).toEqual([100000, 2, 1, 0, 1]);
  });

  it("the sandbox's own notifies: FAIL sent twice at once (duplicate) → FAILED, the money back once", async () => {
    const u = await user(100000);
    const no = await payout(u, 1800, { mode: 'fail' }, { mode: 'duplicate' });
    await settled(no, 'FAILED');
    await eventually(async () => (await simRow(no)).notifies >= 2);
    const p = (await a.dataSource.query('SELECT failed_reason FROM t_payout WHERE payout_no = ?', [no]))[0];
    expect(p.failed_reason).toMatch(/^PAYEE_ACCOUNT_ABNORMAL/);
    expect(await money(u, no)).toEqual([100000, 2, 1, 0, 1]);
  });

  it('a bank bounce after success: the REFUND notify → FAILED (bounced), the money back once, copies on both instances too', async () => {
    const u = await user(100000);
    const no = await payout(u, 6000);
    await settled(no, 'SUCCEEDED');
    await a.http().post(`/sandbox/payouts/alipay/${no}/bounce`).expect(200);
    await settled(no, 'FAILED');
    const refund = { out_biz_no: no, status: 'REFUND', trans_amount: fen(6000), fail_reason: '银行退票' };
    expect(await Promise.all([send(a, signed(refund)), send(b, signed(refund))])).toEqual([
      'success',
      'success',
    ]);
    expect(await money(u, no)).toEqual([100000, 2, 1, 1, 1]);
    const ev = await a.dataSource.query(
      "SELECT payload FROM t_outbox WHERE topic = 'payout.failed' AND event_key = ?",
      [no],
    );
    const payload = typeof ev[0].payload === 'string' ? JSON.parse(ev[0].payload) : ev[0].payload;
    expect(payload.bounced).toBe(true);
  });

  it('late notifies after the answer settled it → answered success, no second effect; a later FAIL never undoes SUCCEEDED', async () => {
    const u = await user(100000);
    const no = await payout(u, 700, undefined, { mode: 'late', delayMs: 1500 });
    await settled(no, 'SUCCEEDED');
    await eventually(async () => (await simRow(no)).notifies >= 1, 10000);
    const ok = { out_biz_no: no, status: 'SUCCESS', trans_amount: fen(700), pay_date: '2026-12-08 09:00:00' };
    const fail = { out_biz_no: no, status: 'FAIL', trans_amount: fen(700) };
    expect([await send(b, signed(ok)), await send(a, signed(fail))]).toEqual(['success', 'success']);
    expect(await status(no)).toBe('SUCCEEDED');
    expect(await money(u, no)).toEqual([100000 - 700, 0, 0, 1, 0]);
  });

  it('refused, nothing changes: forged, tampered, another app, another amount, an unknown number, a WeChat payout, not a form', async () => {
    const u = await user(100000);
    const no = await payout(u, 3000, { mode: 'order_not_exist', param: 1000 }, { mode: 'drop' });
    const wx = await payout(u, 3100, { mode: 'order_not_exist', param: 1000 }, { mode: 'drop' }, 'wechat');
    await pendingAfterCall(no);
    const ok = { out_biz_no: no, status: 'SUCCESS', trans_amount: fen(3000) };
    const refusals = [
      signed(ok, { tamper: (f) => (f.sign = f.sign.replace(/^.{8}/, 'AAAAAAAA')) }),
      signed(ok, { tamper: (f) => (f.biz_content = f.biz_content.replace('"30.00"', '"0.01"')) }),
      signed({ ...ok, trans_amount: '0.01' }),
      signed(ok, { appId: '2021999999999999' }),
      signed({ ...ok, out_biz_no: `P${Date.now()}000000000000` }),
      signed({ ...ok, out_biz_no: wx, trans_amount: fen(3100) }),
    ];
    expect(await Promise.all(refusals.map((r, i) => send(i % 2 ? b : a, r)))).toEqual(
      Array(refusals.length).fill('fail'),
    );
    expect(await send(a, JSON.stringify(ok), 'application/json')).toBe('fail');
    expect([await status(no), await status(wx)]).toEqual(['PENDING', 'PENDING']);
    expect(await money(u, no)).toEqual([100000 - 6100, 0, 0, 0, 0]);
    // the control: the same message, signed and unchanged, is taken
    expect(await send(b, signed(ok))).toBe('success');
    expect(await status(no)).toBe('SUCCEEDED');
    expect(await money(u, no)).toEqual([100000 - 6100, 0, 0, 1, 0]);
  });

  it('database down → fail (Alipay sends it again), nothing half-done; the re-send is applied once', async () => {
    const u = await user(100000);
    const no = await payout(u, 1500, { mode: 'fail' }, { mode: 'drop' });
    await pendingAfterCall(no);
    const fail = signed({ out_biz_no: no, status: 'FAIL', trans_amount: fen(1500) });
    /** The notify sent to both instances while `table` is renamed away (the database fails there). */
    const whileAway = async (table: string) => {
      await a.dataSource.query(`RENAME TABLE ${table} TO ${table}_away`);
      try {
        return [await send(a, fail), await send(b, fail)];
      } finally {
        await a.dataSource.query(`RENAME TABLE ${table}_away TO ${table}`);
      }
    };
    // the payout cannot be read
    const unread = await whileAway('t_payout');
    // the money cannot be returned: the transaction (marker, CAS, journal) rolls back whole
    const unapplied = await whileAway('t_ledger_entry');
    expect([...unread, ...unapplied]).toEqual(['fail', 'fail', 'fail', 'fail']);
    expect(await status(no)).toBe('PENDING');
    expect(await money(u, no)).toEqual([100000 - 1500, 0, 0, 0, 0]);
    expect(await Promise.all([send(a, fail), send(b, fail)])).toEqual(['success', 'success']);
    expect(await status(no)).toBe('FAILED');
    expect(await money(u, no)).toEqual([100000, 2, 1, 0, 1]);
  });

  it('the ledger is balanced after all of it', async () => {
    await expectLedgerBalanced(a);
  });
});
