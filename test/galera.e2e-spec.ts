import { ChildProcess } from 'node:child_process';
import type { Response } from 'supertest';
import {
  CALLBACK_ENV,
  balance,
  dedupRows,
  formBody,
  rechargeWithPayment,
  signedNotify,
  yuan,
} from './callback-support';
import { createProduct, eventually, newUserId } from './factories/order.factory';
import {
  badServerAnswers,
  checksums,
  ensureCluster,
  GALERA_PORTS,
  onNode,
  takeLock,
  waitQuiet,
} from './galera-helpers';
import { expectLedgerBalanced, seedWallet } from './ledger-helpers';
import { orderStatus, prepay } from './payment-helpers';
import { WalletService } from '../src/wallet';
import { OutboxService } from '../src/common/outbox/outbox.service';
import { EventSequencer } from '../src/events/event-sequencer.service';
import { TOPICS } from '../src/common/events/payment-events';
import { TransactionService } from '../src/common/database/transaction.service';
import { paidOrder, refundReq } from './refund-helpers';
import { createTestApp, randomSuffix, TestApp } from './utils/test-app';

/**
 * Two instances, each writing to its own node of a 3-node MariaDB Galera cluster (.ci/galera.sh:
 * `a` on node 1, `b` on node 2; node 3 only replicates). Conflicting writes from two nodes are
 * decided at commit by certification (the loser gets ER_LOCK_DEADLOCK and is retried whole), so
 * every storm below must come out exact, answered without a 5xx other than 503 + Retry-After, and
 * every node must end with identical tables. The node loss is test/galera-failover.e2e-spec.ts.
 */
const ENV = {
  ...CALLBACK_ENV,
  ORDER_TTL_MS: '600000',
  ORDER_MAX_UNPAID: '3',
  PAYMENT_SWEEP_INTERVAL_MS: '3600000',
  ALIPAY_TIMEOUT_MS: '2000',
  EVENTS_POLL_MS: '100',
};

describe('two instances on two Galera nodes', () => {
  let lock: ChildProcess;
  let a: TestApp;
  let b: TestApp;
  const db = `oncepay_g_${randomSuffix()}`;
  let closed = false;
  const all: Response[] = [];
  const both = () => [a, b];
  const track = async (p: Promise<Response>) => {
    const r = await p;
    all.push(r);
    return r;
  };
  const at = async (port: number, sql: string, params: unknown[] = []) =>
    onNode(port, sql.replaceAll('`DB`', `\`${db}\``), params);

  beforeAll(async () => {
    lock = await takeLock();
    await ensureCluster();
    a = await createTestApp({ dbName: db, keepDb: true, env: { ...ENV, DB_PORT: String(GALERA_PORTS[0]) } });
    b = await createTestApp({
      dbName: db,
      keepDb: true,
      redisPrefix: a.redisPrefix,
      env: { ...ENV, DB_PORT: String(GALERA_PORTS[1]) },
    });
  }, 300_000);

  afterAll(async () => {
    if (!closed) await Promise.all([b?.close(), a?.close()]);
    await onNode(GALERA_PORTS[0], `DROP DATABASE IF EXISTS \`${db}\``).catch(() => undefined);
    lock?.stdin?.end();
  });

  it('the instances run on two different nodes, each healthy (Primary, Synced, ready)', async () => {
    const nodes = await Promise.all(
      both().map(async (t) => (await t.dataSource.query("SHOW VARIABLES LIKE 'wsrep_node_name'"))[0].Value),
    );
    expect(nodes).toEqual(['node1', 'node2']);
    for (const t of both()) {
      const h = await t.http().get('/health').expect(200);
      expect(h.body.details.galera).toMatchObject({
        status: 'up',
        wsrep_cluster_status: 'Primary',
        wsrep_local_state_comment: 'Synced',
        wsrep_ready: 'ON',
      });
    }
  });

  it('200 identical submits over both instances → one order; one Idempotency-Key from both → one order', async () => {
    const p = await createProduct(a, { stock: 1000, price: 500 });
    const user = newUserId('gs');
    const body = { items: [{ productId: p.id, quantity: 1 }] };
    const storm = await Promise.all(
      Array.from({ length: 200 }, (_, i) => {
        const t = both()[i % 2];
        return track(t.http().post('/v1/orders').set('Authorization', t.bearer(user)).send(body));
      }),
    );
    expect(storm.filter((r) => r.status === 201)).toHaveLength(1);
    expect(
      storm.filter((r) => r.status === 409 && r.body.code === 'DUPLICATE_SUBMIT').length,
    ).toBeGreaterThan(190);

    const keyed = newUserId('gk');
    const key = `k-${randomSuffix()}`;
    const res = await Promise.all(
      Array.from({ length: 20 }, (_, i) => {
        const t = both()[i % 2];
        return track(
          t
            .http()
            .post('/v1/orders')
            .set('Authorization', t.bearer(keyed))
            .set('Idempotency-Key', key)
            .send({ items: [{ productId: p.id, quantity: 2 }] }),
        );
      }),
    );
    const created = res.filter((r) => r.status === 201);
    expect(created.length).toBeGreaterThan(0);
    expect(new Set(created.map((r) => r.body.orderNo)).size).toBe(1);
    for (const t of GALERA_PORTS) {
      const [n] = await at(t, 'SELECT COUNT(*) AS n FROM `DB`.t_order WHERE user_id IN (?, ?)', [
        user,
        keyed,
      ]);
      expect(Number(n.n)).toBe(2);
    }
    expect(badServerAnswers(all)).toEqual([]);
  });

  it('30 buyers over both instances for 10 units → 10 orders, stock 0; the unpaid-orders cap (3) holds across nodes', async () => {
    const p = await createProduct(a, { stock: 10, price: 300 });
    const buys = await Promise.all(
      Array.from({ length: 30 }, (_, i) => {
        const t = both()[i % 2];
        return track(
          t
            .http()
            .post('/v1/orders')
            .set('Authorization', t.bearer(newUserId('gb')))
            .send({ items: [{ productId: p.id, quantity: 1 }] }),
        );
      }),
    );
    expect(buys.filter((r) => r.status === 201)).toHaveLength(10);
    // every other buyer is refused: out of stock, or (a certification storm outliving the retries on a
    // loaded machine) 503 with Retry-After, which wrote nothing; badServerAnswers checks the 503s' headers
    const lost = buys.filter((r) => r.status !== 201);
    expect(
      lost.filter((r) => !(r.status === 409 && r.body.code === 'OUT_OF_STOCK') && r.status !== 503),
    ).toEqual([]);
    expect(lost.filter((r) => r.body.code === 'OUT_OF_STOCK').length).toBeGreaterThan(0);

    // 4 users × 12 submits, one product per submit: a user's row is then the only row their submits
    // share, so only its write (lockForSubmit) makes certification order them (a read lock holds on
    // one node only: without the write, 4-6 orders got through for a user)
    const qs = await Promise.all(
      Array.from({ length: 12 }, () => createProduct(a, { stock: 100, price: 100 })),
    );
    const users = Array.from({ length: 4 }, () => newUserId('gc'));
    const capped = await Promise.all(
      users.flatMap((user) =>
        qs.map((q, i) => {
          const t = both()[i % 2];
          return track(
            t
              .http()
              .post('/v1/orders')
              .set('Authorization', t.bearer(user))
              .send({ items: [{ productId: q.id, quantity: 1 }] }),
          );
        }),
      ),
    );
    const ok = capped.filter((r) => r.status === 201);
    const refused = capped.filter((r) => r.status !== 201 && r.status !== 503);
    expect(refused.every((r) => r.body.code === 'TOO_MANY_UNPAID_ORDERS')).toBe(true);
    for (const port of GALERA_PORTS) {
      const per = await at(
        port,
        'SELECT user_id, COUNT(*) AS n FROM `DB`.t_order WHERE user_id IN (?) GROUP BY user_id',
        [users],
      );
      expect(per.map((r) => Number(r.n))).toEqual([3, 3, 3, 3]);
      const [s] = await at(port, 'SELECT stock FROM `DB`.t_product WHERE id = ?', [p.id]);
      expect(Number(s.stock)).toBe(0);
      const [left] = await at(port, 'SELECT SUM(stock) AS s FROM `DB`.t_product WHERE id IN (?)', [
        qs.map((q) => q.id),
      ]);
      expect(Number(left.s)).toBe(1200 - ok.length);
    }
    expect(ok).toHaveLength(12);
    expect(badServerAnswers(all)).toEqual([]);
  });

  it('one notify sent 10× to each instance → the payment succeeds once, the wallet is credited once', async () => {
    const user = newUserId('gn');
    const r = await rechargeWithPayment(a, user, 4321);
    const notify = formBody(
      await signedNotify(a.dataSource, { outTradeNo: r.paymentNo, totalAmount: yuan(4321) }),
    );
    const res = await Promise.all(
      Array.from({ length: 20 }, (_, i) => {
        const t = both()[i % 2];
        return track(
          t
            .http()
            .post('/v1/callbacks/alipay')
            .set('Content-Type', 'application/x-www-form-urlencoded; charset=utf-8')
            .send(notify),
        );
      }),
    );
    expect(res.filter((x) => x.status === 200).every((x) => x.text === 'success')).toBe(true);
    await eventually(async () => (await orderStatus(a, r.orderNo)) === 'PAID', 20_000);
    expect(await balance(a, user)).toBe(4321);
    expect(await balance(b, user)).toBe(4321);
    expect(await dedupRows(b, 'PAYMENT_SUCCEEDED', r.paymentNo)).toBe(1);
    expect(badServerAnswers(all)).toEqual([]);
  });

  it('20 full refunds over both → one; the last two refunds of an order on two nodes at once → REFUNDED', async () => {
    const o = await paidOrder(a, 6000);
    const full = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        track(refundReq(both()[i % 2], o.orderNo, { amount: 6000, reason: `g${i}` })),
      ),
    );
    expect(full.filter((r) => r.status === 201)).toHaveLength(1);
    expect(full.filter((r) => r.status === 409).every((r) => r.body.code === 'REFUND_EXCEEDS_PAID')).toBe(
      true,
    );

    // then, on three orders: 2,000 of 8,000 refunded (PARTIALLY_REFUNDED), and the last 3,000 + 3,000
    // at once from the two nodes. Both applies read the succeeded total and leave the order
    // PARTIALLY_REFUNDED → REFUNDED only if one sees the other: without a write on a row both touch
    // (the payment row's claim) each saw 5,000 and neither wrote the order row
    const hs = await Promise.all([paidOrder(a, 8000), paidOrder(b, 8000), paidOrder(a, 8000)]);
    for (const h of hs)
      expect((await track(refundReq(a, h.orderNo, { amount: 2000, reason: 'first' }))).status).toBe(201);
    const halves = await Promise.all(
      hs.flatMap((h) => [
        track(refundReq(a, h.orderNo, { amount: 3000, reason: 'rest a' })),
        track(refundReq(b, h.orderNo, { amount: 3000, reason: 'rest b' })),
      ]),
    );
    expect(halves.map((r) => r.status)).toEqual(Array(6).fill(201));
    const pending = halves.filter((r) => r.body.status !== 'SUCCEEDED').map((r) => r.body.status);
    if (pending.length) process.stdout.write(`galera: refunds answered not yet applied: ${pending}\n`);
    for (const port of GALERA_PORTS) {
      // a refund the request could not apply (503 inside) is applied by the sandbox's notify later
      await eventually(async () => {
        const r = await at(
          port,
          "SELECT COUNT(*) AS n FROM `DB`.t_refund WHERE order_no IN (?) AND status = 'SUCCEEDED'",
          [hs.map((h) => h.orderNo)],
        );
        return Number(r[0].n) === 9;
      }, 15_000);
      const rows = await at(port, 'SELECT status FROM `DB`.t_order WHERE order_no IN (?)', [
        hs.map((h) => h.orderNo),
      ]);
      expect(rows.map((r) => r.status)).toEqual(['REFUNDED', 'REFUNDED', 'REFUNDED']);
      const [pay] = await at(port, 'SELECT refunded_amount FROM `DB`.t_payment WHERE payment_no = ?', [
        o.paymentNo,
      ]);
      expect(Number(pay.refunded_amount)).toBe(6000);
    }
    expect(badServerAnswers(all)).toEqual([]);
  });

  it('wallet payments from both instances race for one balance: never below 0, each order paid once', async () => {
    const user = newUserId('gw');
    await seedWallet(a, user, 10_000);
    const orders: string[] = [];
    for (let i = 0; i < 3; i++) {
      const p = await createProduct(a, { stock: 100, price: 4000 }); // distinct bodies (submit guard)
      const o = await a
        .http()
        .post('/v1/orders')
        .set('Authorization', a.bearer(user))
        .send({ items: [{ productId: p.id, quantity: 1 }] })
        .expect(201);
      orders.push(o.body.orderNo);
    }
    // every order prepaid from the wallet twice on each instance at once
    const res = await Promise.all(
      orders.flatMap((o) => [a, b, a, b].map((t) => track(prepay(t, user, o, 'wallet')))),
    );
    expect(
      res.filter((r) => r.status === 409 && r.body.code === 'INSUFFICIENT_BALANCE').length,
    ).toBeGreaterThan(0);
    for (const port of GALERA_PORTS) {
      const [acct] = await at(port, 'SELECT balance FROM `DB`.t_user_account WHERE user_id = ?', [user]);
      expect(Number(acct.balance)).toBe(2000);
      const [pays] = await at(
        port,
        "SELECT COUNT(*) AS n, COUNT(DISTINCT order_no) AS d FROM `DB`.t_payment WHERE order_no IN (?) AND channel = 'wallet' AND status = 'SUCCESS'",
        [orders],
      );
      expect([Number(pays.n), Number(pays.d)]).toEqual([2, 2]);
      const paid = await at(
        port,
        "SELECT COUNT(*) AS n FROM `DB`.t_order WHERE order_no IN (?) AND status = 'PAID'",
        [orders],
      );
      expect(Number(paid[0].n)).toBe(2);
    }
    expect(badServerAnswers(all)).toEqual([]);
  });

  it('transfers from both instances race for one balance: exactly the affordable ones move, ledger balanced on every node', async () => {
    const sender = newUserId('gt');
    const receivers = Array.from({ length: 10 }, () => newUserId('gr'));
    await seedWallet(a, sender, 2000); // affords 6 of 10 transfers of 300
    for (const r of receivers) await a.app.get(WalletService).ensureRow(r, new Date());
    const nos: string[] = [];
    for (const [i, r] of receivers.entries()) {
      const t = i % 2 ? b : a;
      const res = await track(
        t
          .http()
          .post('/v1/transfers')
          .set('Authorization', t.bearer(sender))
          .set('Idempotency-Key', `gt-${randomSuffix()}`)
          .send({ toUserId: r, amount: 300 }),
      );
      expect([res.status, res.body.status]).toEqual([201, 'CREATED']);
      nos.push(res.body.transferNo);
    }
    const execute = (t: TestApp, no: string) =>
      track(t.http().post(`/v1/transfers/${no}/execute`).set('Authorization', t.bearer(sender)));
    // every transfer executed twice on each instance at once
    await Promise.all(nos.flatMap((no) => [a, b, a, b].map((t) => execute(t, no))));
    // a 503 (a certification storm that outlived the retries) wrote nothing: ask again until decided
    for (const no of nos) {
      await eventually(async () => {
        const r = await execute(a, no);
        return r.status === 200 || (r.status === 409 && r.body.code === 'INSUFFICIENT_BALANCE');
      });
    }
    for (const port of GALERA_PORTS) {
      const [acct] = await at(port, 'SELECT balance FROM `DB`.t_user_account WHERE user_id = ?', [sender]);
      expect(Number(acct.balance)).toBe(200);
      const [moved] = await at(
        port,
        "SELECT COUNT(*) AS n, COALESCE(SUM(amount), 0) AS s FROM `DB`.t_transfer WHERE transfer_no IN (?) AND status = 'SUCCEEDED'",
        [nos],
      );
      expect([Number(moved.n), Number(moved.s)]).toEqual([6, 1800]);
      const [journals] = await at(
        port,
        "SELECT COUNT(DISTINCT ref_id) AS n FROM `DB`.t_ledger_entry WHERE kind = 'TRANSFER' AND ref_id IN (?)",
        [nos],
      );
      expect(Number(journals.n)).toBe(6);
      const [credited] = await at(
        port,
        'SELECT COALESCE(SUM(balance), 0) AS s FROM `DB`.t_user_account WHERE user_id IN (?)',
        [receivers],
      );
      expect(Number(credited.s)).toBe(1800);
    }
    for (const t of both()) await expectLedgerBalanced(t);
    expect(badServerAnswers(all)).toEqual([]);
  });

  it('the event feed over two nodes: a transaction held open on the node that does not sequence commits late → not skipped, every event once', async () => {
    const admin = a.bearer('ops', 'admin');
    const key = (k: string) => `gf-${db}-${k}`;
    const payload = (k: string) => ({
      paymentNo: key(k),
      orderNo: `o-${k}`,
      userId: 'u-gf',
      channel: 'alipay',
      amount: 1,
    });
    /** An outbox row of a public topic in a transaction held open on `t`'s node. */
    const hold = async (t: TestApp, k: string) => {
      const qr = t.dataSource.createQueryRunner();
      await qr.connect();
      await qr.startTransaction('READ COMMITTED');
      await t.app.get(OutboxService).add(qr.manager, TOPICS.PAYMENT_SUCCEEDED, key(k), payload(k));
      return qr;
    };
    const write = (t: TestApp, k: string) =>
      t.app
        .get(TransactionService)
        .run((m) => t.app.get(OutboxService).add(m, TOPICS.PAYMENT_SUCCEEDED, key(k), payload(k)));
    const ours = async (after?: string) => {
      const items: Array<{ data: { paymentNo: string } }> = [];
      let cursor = after;
      for (;;) {
        const res = await a
          .http()
          .get('/v1/events')
          .query({ limit: 50, ...(cursor ? { after: cursor } : {}) })
          .set('Authorization', admin)
          .expect(200);
        items.push(...res.body.items);
        if (!res.body.items.length)
          return {
            keys: items.map((i) => String(i.data.paymentNo ?? '')).filter((k) => k.startsWith(key(''))),
            cursor: res.body.nextCursor,
          };
        cursor = res.body.nextCursor;
      }
    };
    // a (node 1) sequences; the transaction held open on node 2 is one node 1's INNODB_TRX cannot see
    const bSeq = b.app.get(EventSequencer);
    await bSeq.stop();
    const start = (await ours()).cursor;
    const heldB = await hold(b, 'held-node2');
    // 10 writers on each node, 5 events each, committed after the held row took its id
    await Promise.all(
      both().flatMap((t, n) =>
        Array.from({ length: 10 }, async (_, w) => {
          for (let i = 0; i < 5; i++) await write(t, `n${n}-w${w}-${i}`);
        }),
      ),
    );
    const seen = await eventually(async () => {
      const r = await ours(start);
      return r.keys.length >= 100 ? r : null;
    }, 60_000);
    expect(seen.keys).toHaveLength(100);
    // the sequencer goes on while the row is held: a few more events, each waited for in the feed
    let cursor = seen.cursor;
    for (let i = 0; i < 5; i++) {
      await write(a, `tick-${i}`);
      cursor = (
        await eventually(async () => {
          const r = await ours(cursor);
          return r.keys.length ? r : null;
        }, 30_000)
      ).cursor;
    }
    await heldB.commitTransaction();
    await heldB.release();
    const late = await eventually(async () => {
      const r = await ours(cursor);
      return r.keys.length >= 1 ? r : null;
    }, 30_000);
    expect(late.keys).toEqual([key('held-node2')]); // after the cursor that had passed every other event
    bSeq.start();
    const all = (await ours(start)).keys;
    expect(all).toHaveLength(106);
    expect(new Set(all).size).toBe(106);
    const positions = await at(GALERA_PORTS[2], 'SELECT position FROM `DB`.t_event ORDER BY position');
    const p = positions.map((r) => Number(r.position));
    expect(p).toEqual(Array.from({ length: p.length }, (_, i) => i + 1)); // gap-free on the third node too
  });

  it('with both instances stopped, every table is identical on the three nodes', async () => {
    await Promise.all([b.close(), a.close()]);
    closed = true;
    await waitQuiet();
    const sums = await checksums(db);
    expect(Object.keys(sums[0]).length).toBeGreaterThan(10);
    expect(sums[1]).toEqual(sums[0]);
    expect(sums[2]).toEqual(sums[0]);
    expect(all.length).toBeGreaterThan(300);
  });
});
