import { randomUUID } from 'node:crypto';
import { toCst } from '../src/common/china-time';
import { AlipayTransferClient } from '../src/payment/channels/alipay/alipay-transfer';
import { WalletService } from '../src/wallet';
import { eventually, newUserId } from './factories/order.factory';
import { expectLedgerBalanced, seedWallet } from './ledger-helpers';
import { createTestApp, TestApp } from './utils/test-app';

/**
 * Payouts reconciled against the gateways' fund bills (issue 26): the sandbox serves Alipay's signcustomer
 * account bill and WeChat's fund-flow bill from its transfer rows; differences are injected at the
 * simulator (a transfer left PENDING here, its rows changed or removed, a transfer under a number we never
 * issued, a bank bounce) and reconciliation runs on two instances at once. Asserted on the rows: payout
 * states, PAYOUT_REVERSED markers, journals, outbox, anomalies, the stored runs, the simulator's calls.
 */
describe('payout reconciliation against the fund bills (real MySQL + Redis, two instances)', () => {
  let a: TestApp;
  let b: TestApp;
  const env = {
    PAYMENT_CHANNELS: 'alipay,wechat,wallet',
    ALIPAY_TIMEOUT_MS: '1000',
    WECHAT_TIMEOUT_MS: '1000',
    // no scheduled query or sweep inside the test: what settles a PENDING payout here is the reconciliation
    PAYOUT_QUERY_DELAYS_MS: '600000',
    PAYOUT_STUCK_AFTER_MS: '600000',
  };
  beforeAll(async () => {
    a = await createTestApp({ env });
    b = await createTestApp({ env, dbName: a.dbName, redisPrefix: a.redisPrefix, keepDb: true });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  const admin = () => a.bearer('ops', 'admin');
  const q = (sql: string, p: unknown[] = []) => a.dataSource.query(sql, p);
  const count = async (sql: string, p: unknown[]) => Number((await q(sql, p))[0].n);
  const balance = async (u: string) => (await a.app.get(WalletService).getAccount(u)).balance;
  const anomalies = (kind: string, no: string) =>
    count('SELECT COUNT(*) AS n FROM t_payment_anomaly WHERE kind = ? AND payment_no = ?', [kind, no]);
  const markers = (no: string) =>
    count("SELECT COUNT(*) AS n FROM t_uq_dipose WHERE ref_type = 'PAYOUT_REVERSED' AND ref_id = ?", [no]);
  const sim = async (protocol: string, no: string) =>
    (await q('SELECT * FROM sandbox_transfer WHERE protocol = ? AND out_no = ?', [protocol, no]))[0];
  const read = async (no: string) =>
    (await a.http().get(`/v1/payouts/${no}`).set('Authorization', admin()).expect(200)).body;

  async function payee(protocol: 'alipay' | 'wechat', fault?: { mode: string }): Promise<string> {
    const identity =
      protocol === 'wechat'
        ? `o${randomUUID().replace(/-/g, '')}`
        : `2088${String(Math.floor(Math.random() * 1e12)).padStart(12, '0')}`;
    await a
      .http()
      .put(`/sandbox/payouts/payees/${protocol}/${identity}`)
      // no Alipay notify: what settles an Alipay payout here is its answer or the reconciliation's query
      // (WeChat answers ACCEPTED: its bills settle by their notify)
      .send({ ...(fault ? { fault } : {}), ...(protocol === 'alipay' ? { notify: { mode: 'drop' } } : {}) })
      .expect(200);
    return identity;
  }
  async function payout(u: string, channel: 'alipay' | 'wechat', amount: number, fault?: { mode: string }) {
    const res = await a
      .http()
      .post('/v1/payouts')
      .set('Authorization', a.bearer(u))
      .set('Idempotency-Key', randomUUID())
      .send({ channel, account: { identity: await payee(channel, fault) }, amount })
      .expect(201);
    return res.body.payoutNo as string;
  }
  const settled = (no: string, status: string) =>
    eventually(async () => (await read(no)).status === status, 20000);
  /** The bill days (China time) of these transfers at the simulator (one, unless a test crosses midnight). */
  async function days(nos: string[]): Promise<string[]> {
    const rows = await q(`SELECT created_at FROM sandbox_transfer WHERE out_no IN (?)`, [nos]);
    return [
      ...new Set(rows.map((r: { created_at: Date }) => toCst(new Date(r.created_at)).slice(0, 10))),
    ] as string[];
  }
  async function reconcile(t: TestApp, dates: string[]) {
    const runs = [];
    for (const date of dates) {
      runs.push(
        (
          await t
            .http()
            .post('/v1/admin/reconciliations')
            .set('Authorization', admin())
            .send({ date })
            .expect(200)
        ).body,
      );
    }
    return { runIds: runs.map((r) => r.runId as string), mismatches: runs.flatMap((r) => r.mismatches) };
  }
  const about = (ms: Array<{ payoutNo?: string }>, no: string) => ms.filter((m) => m.payoutNo === no);

  it('bills that match: an Alipay and a WeChat payout SUCCEEDED, the run OK with nothing about them', async () => {
    const u = newUserId();
    await seedWallet(a, u, 10000);
    const p1 = await payout(u, 'alipay', 1200);
    const p2 = await payout(u, 'wechat', 1300); // settled by its MCHTRANSFER.BILL.FINISHED notify
    await settled(p1, 'SUCCEEDED');
    await settled(p2, 'SUCCEEDED');
    const dates = await days([p1, p2]);
    const run = await reconcile(a, dates);
    expect([...about(run.mismatches, p1), ...about(run.mismatches, p2)]).toEqual([]);
    const stored = await a
      .http()
      .get(`/v1/admin/reconciliations/${run.runIds[0]}`)
      .set('Authorization', admin())
      .expect(200);
    expect(stored.body).toEqual(expect.objectContaining({ status: 'OK', mismatchCount: 0 }));
    expect(stored.body.checked).toBeGreaterThanOrEqual(dates.length === 1 ? 2 : 1);
  });

  it('injected differences, two runs at once on two instances: the PENDING and the bounced one settled by the query, the rest reported once', async () => {
    const u = newUserId();
    await seedWallet(a, u, 100000);
    // 1. made at the gateway, the answer lost (timeout): PENDING here, SUCCESS on the bill
    const pending = await payout(u, 'alipay', 1001, { mode: 'timeout_after' });
    await eventually(
      async () => (await sim('alipay', pending)) && (await read(pending)).status === 'PENDING',
    );
    // 2. FAILED here (money back), while the gateway's record says it was paid
    const failed = await payout(u, 'alipay', 1002, { mode: 'fail' });
    await eventually(async () => Boolean(await sim('alipay', failed)));
    await a.http().post(`/v1/admin/payouts/${failed}/recheck`).set('Authorization', admin()).expect(200);
    await settled(failed, 'FAILED');
    await q("UPDATE sandbox_transfer SET status = 'SUCCESS' WHERE protocol = 'alipay' AND out_no = ?", [
      failed,
    ]);
    // 3. another amount on the bill; 4. SUCCEEDED here, absent from the gateway; 6. bounced at the bank
    const amount = await payout(u, 'wechat', 1003);
    const missing = await payout(u, 'alipay', 1004);
    const bounced = await payout(u, 'alipay', 1006);
    for (const no of [amount, missing, bounced]) await settled(no, 'SUCCEEDED');
    const dates = await days([pending, failed, amount, missing, bounced]);
    await q("UPDATE sandbox_transfer SET amount = amount + 1 WHERE protocol = 'wechat' AND out_no = ?", [
      amount,
    ]);
    await q("DELETE FROM sandbox_transfer WHERE protocol = 'alipay' AND out_no = ?", [missing]);
    await a.http().post(`/sandbox/payouts/alipay/${bounced}/bounce`).expect(200);
    // 5. a transfer under a number oncepay never issued
    const stranger = `P${Date.now()}${String(Math.floor(Math.random() * 1e12)).padStart(12, '0')}`;
    const made = await a.app.get(AlipayTransferClient).transfer({
      payoutNo: stranger,
      amount: 1005,
      payeeIdentity: await payee('alipay'),
      payeeName: null,
      title: '钱包提现',
    });
    expect(made.status).toBe('SUCCEEDED');
    const before = await balance(u);

    const runs = await Promise.all([reconcile(a, dates), reconcile(b, dates)]);
    for (const run of runs) {
      expect(about(run.mismatches, pending)).toEqual([
        { payoutNo: pending, channel: 'alipay', kind: 'payout_status', repaired: true },
      ]);
      expect(about(run.mismatches, failed)).toEqual([
        { payoutNo: failed, channel: 'alipay', kind: 'payout_status', repaired: false },
      ]);
      expect(about(run.mismatches, amount)).toEqual([
        { payoutNo: amount, channel: 'wechat', kind: 'payout_amount', repaired: false },
      ]);
      expect(about(run.mismatches, missing)).toEqual([
        { payoutNo: missing, channel: 'alipay', kind: 'payout_missing_remote', repaired: false },
      ]);
      expect(about(run.mismatches, stranger)).toEqual([
        { payoutNo: stranger, channel: 'alipay', kind: 'payout_missing_local', repaired: false },
      ]);
      expect(about(run.mismatches, bounced)).toEqual([
        { payoutNo: bounced, channel: 'alipay', kind: 'payout_status', repaired: true },
      ]);
    }
    // the PENDING one: SUCCEEDED by the transfer query, one transfer call, one event, money not moved again
    expect((await read(pending)).status).toBe('SUCCEEDED');
    expect(Number((await sim('alipay', pending)).calls)).toBe(1);
    expect(
      await count("SELECT COUNT(*) AS n FROM t_outbox WHERE topic = 'payout.succeeded' AND event_key = ?", [
        pending,
      ]),
    ).toBe(1);
    // the bounced one: FAILED (bounced), its money back once
    const back = await read(bounced);
    expect([back.status, back.failedReason.startsWith('BOUNCED'), await markers(bounced)]).toEqual([
      'FAILED',
      true,
      1,
    ]);
    expect(await balance(u)).toBe(before + 1006);
    // the FAILED one stays FAILED, its money back once (not twice, not taken again): a person decides
    expect([(await read(failed)).status, await markers(failed)]).toEqual(['FAILED', 1]);
    // one anomaly per payout and kind, however many runs found it
    expect(
      await Promise.all([
        anomalies('PAYOUT_STATUS', failed),
        anomalies('PAYOUT_AMOUNT', amount),
        anomalies('PAYOUT_MISSING_REMOTE', missing),
        anomalies('PAYOUT_MISSING_LOCAL', stranger),
        anomalies('PAYOUT_STATUS', pending),
        anomalies('PAYOUT_STATUS', bounced),
      ]),
    ).toEqual([1, 1, 1, 1, 0, 0]);
    const open = await a
      .http()
      .get('/v1/admin/anomalies?status=OPEN&kind=PAYOUT_STATUS')
      .set('Authorization', admin())
      .expect(200);
    expect(open.body.items.map((x: { paymentNo: string }) => x.paymentNo)).toContain(failed);
    // the runs are stored where reconciliation runs are listed
    const list = await a
      .http()
      .get(`/v1/admin/reconciliations?date=${dates[0]}`)
      .set('Authorization', admin())
      .expect(200);
    const ids = list.body.items.map((r: { id: string }) => r.id);
    for (const run of runs) expect(ids).toEqual(expect.arrayContaining(run.runIds));
    const stored = list.body.items.find((r: { id: string }) => r.id === runs[0].runIds[0]);
    expect(stored.status).toBe('MISMATCHES');
    expect(stored.mismatches).toContainEqual({
      payoutNo: stranger,
      channel: 'alipay',
      kind: 'payout_missing_local',
      repaired: false,
    });
    // a later run: the repaired ones match now, nothing recorded twice
    const again = await reconcile(a, dates);
    expect([...about(again.mismatches, pending), ...about(again.mismatches, bounced)]).toEqual([]);
    expect(about(again.mismatches, failed)).toHaveLength(1);
    expect(await anomalies('PAYOUT_STATUS', failed)).toBe(1);
    expect(await balance(u)).toBe(before + 1006);
    await expectLedgerBalanced(a);
  });
});
