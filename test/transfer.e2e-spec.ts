import { randomUUID } from 'node:crypto';
import { WalletService } from '../src/wallet';
import { TransferRepository } from '../src/wallet/transfer.repository';
import { eventually, newUserId } from './factories/order.factory';
import { expectLedgerBalanced, seedWallet } from './ledger-helpers';
import { createTestApp, TestApp } from './utils/test-app';

/**
 * Transfers, "the number first", on two instances sharing one database and Redis (b expires transfers
 * after 2 s). Every assertion on money reads the rows: balances, TRANSFER journals, markers, outbox.
 */
describe('transfers (real MySQL + Redis, two instances)', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    a = await createTestApp({ env: { TRANSFER_MAX_AMOUNT: '1000000' } });
    b = await createTestApp({
      env: { TRANSFER_MAX_AMOUNT: '1000000', TRANSFER_TTL_MS: '2000', TRANSFER_SWEEP_INTERVAL_MS: '500' },
      dbName: a.dbName,
      redisPrefix: a.redisPrefix,
      keepDb: true,
    });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  /** A user with a wallet row holding `amount` fen (0: an empty wallet). */
  async function user(amount = 0): Promise<string> {
    const u = newUserId();
    if (amount > 0) await seedWallet(a, u, amount);
    else await a.app.get(WalletService).ensureRow(u, new Date());
    return u;
  }
  const balance = async (u: string) => (await a.app.get(WalletService).getAccount(u)).balance;
  const create = (t: TestApp, from: string, body: object, key?: string) => {
    const req = t.http().post('/v1/transfers').set('Authorization', t.bearer(from));
    if (key) req.set('Idempotency-Key', key);
    return req.send(body);
  };
  /** A CREATED transfer (a fresh Idempotency-Key, so identical bodies are distinct transfers). */
  async function transfer(from: string, to: string, amount: number, t = a): Promise<string> {
    const res = await create(t, from, { toUserId: to, amount }, randomUUID());
    if (res.status !== 201) throw new Error(`create: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.transferNo as string;
  }
  const execute = (t: TestApp, u: string, no: string) =>
    t.http().post(`/v1/transfers/${no}/execute`).set('Authorization', t.bearer(u));
  const cancel = (t: TestApp, u: string, no: string) =>
    t.http().post(`/v1/transfers/${no}/cancel`).set('Authorization', t.bearer(u));
  const count = async (sql: string, p: unknown[]) => Number((await a.dataSource.query(sql, p))[0].n);
  const journals = (no: string) =>
    count("SELECT COUNT(*) AS n FROM t_ledger_entry WHERE kind = 'TRANSFER' AND ref_id = ?", [no]);
  const markers = (no: string) =>
    count("SELECT COUNT(*) AS n FROM t_uq_dipose WHERE ref_type = 'TRANSFER' AND ref_id = ?", [no]);
  const outbox = (no: string) =>
    count("SELECT COUNT(*) AS n FROM t_outbox WHERE topic = 'transfer.succeeded' AND event_key = ?", [no]);

  it('create: 201 CREATED with its number, nothing moves; sender, receiver and admin read it, a stranger gets 404', async () => {
    const [s, r] = [await user(5000), await user()];
    const res = await create(a, s, { toUserId: r, amount: 2000, memo: 'rent' }).expect(201);
    expect(res.body).toEqual({
      transferNo: expect.stringMatching(/^T\d{29}$/),
      fromUserId: s,
      toUserId: r,
      amount: 2000,
      currency: 'CNY',
      memo: 'rent',
      status: 'CREATED',
      createdAt: expect.any(String),
      expiresAt: expect.any(String),
      executedAt: null,
    });
    expect(Date.parse(res.body.expiresAt) - Date.parse(res.body.createdAt)).toBe(900000);
    expect([await balance(s), await balance(r)]).toEqual([5000, 0]);
    const no = res.body.transferNo;
    for (const [who, role] of [
      [s, 'user'],
      [r, 'user'],
      ['auditor', 'admin'],
    ] as const) {
      const got = await a
        .http()
        .get(`/v1/transfers/${no}`)
        .set('Authorization', a.bearer(who, role))
        .expect(200);
      expect(got.body).toEqual(res.body);
    }
    await a.http().get(`/v1/transfers/${no}`).set('Authorization', a.bearer(newUserId())).expect(404);
    for (const who of [s, r]) {
      const list = await a.http().get('/v1/transfers').set('Authorization', a.bearer(who)).expect(200);
      expect(list.body.items.map((i: { transferNo: string }) => i.transferNo)).toEqual([no]);
    }
  });

  it('20 concurrent executes of one transfer, over two instances: all 200 with the same SUCCEEDED transfer, one move', async () => {
    const [s, r] = [await user(10000), await user()];
    const no = await transfer(s, r, 3000);
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => execute(i % 2 ? b : a, s, no)));
    expect(answers.map((x) => x.status)).toEqual(Array(20).fill(200));
    const bodies = new Set(answers.map((x) => JSON.stringify(x.body)));
    expect(bodies.size).toBe(1);
    expect(answers[0].body).toMatchObject({ status: 'SUCCEEDED', executedAt: expect.any(String) });
    expect([await balance(s), await balance(r)]).toEqual([7000, 3000]);
    expect([await journals(no), await markers(no), await outbox(no)]).toEqual([2, 1, 1]);
    // and later, again: the stored answer, nothing moves
    expect((await execute(b, s, no).expect(200)).body).toEqual(answers[0].body);
    expect([await balance(s), await balance(r)]).toEqual([7000, 3000]);
  });

  it('two transfers racing for one balance: one 200, the other 409 INSUFFICIENT_BALANCE and still CREATED; nothing negative', async () => {
    const [s, r1, r2] = [await user(1000), await user(), await user()];
    const [t1, t2] = [await transfer(s, r1, 800), await transfer(s, r2, 700)];
    const [x1, x2] = await Promise.all([execute(a, s, t1), execute(b, s, t2)]);
    expect([x1.status, x2.status].sort()).toEqual([200, 409]);
    const lost = x1.status === 409 ? x1 : x2;
    expect(lost.body.code).toBe('INSUFFICIENT_BALANCE');
    const lostNo = lost === x1 ? t1 : t2;
    const row = await a.http().get(`/v1/transfers/${lostNo}`).set('Authorization', a.bearer(s)).expect(200);
    expect(row.body.status).toBe('CREATED');
    expect(await balance(s)).toBe(x1.status === 200 ? 200 : 300);
    expect(await journals(lostNo)).toBe(0);
    // it can be executed after a top-up, until it expires
    await seedWallet(a, s, 1000);
    await execute(a, s, lostNo).expect(200);
    expect(await balance(s)).toBe(1000 + (x1.status === 200 ? 200 : 300) - (lostNo === t1 ? 800 : 700));
  });

  it('A→B and B→A 50 times each, all at once: no deadlock surfaces, balances exact', async () => {
    const [u1, u2] = [await user(10000), await user(10000)];
    const nos: Array<[string, string]> = [];
    for (let i = 0; i < 50; i++) {
      nos.push([u1, await transfer(u1, u2, 100 + i)]);
      nos.push([u2, await transfer(u2, u1, 100 + i)]);
    }
    const answers = await Promise.all(nos.map(([from, no], i) => execute(i % 2 ? a : b, from, no)));
    expect(answers.filter((x) => x.status !== 200).map((x) => [x.status, x.body])).toEqual([]);
    expect([await balance(u1), await balance(u2)]).toEqual([10000, 10000]);
    const moved = await count(
      `SELECT COUNT(*) AS n FROM t_transfer WHERE status = 'SUCCEEDED' AND from_user IN (?, ?)`,
      [u1, u2],
    );
    expect(moved).toBe(100);
    await expectLedgerBalanced(a);
  });

  it('a crash between commit and answer: the retry on the other instance answers SUCCEEDED, moved once', async () => {
    const [s, r] = [await user(5000), await user()];
    const no = await transfer(s, r, 1200);
    const repo = a.app.get(TransferRepository);
    const real = repo.findByNo.bind(repo);
    // the first read (before the transaction) is real; the read after the commit "dies"
    const spy = jest
      .spyOn(repo, 'findByNo')
      .mockImplementationOnce(real)
      .mockImplementationOnce(async () => {
        throw new Error('process killed after commit');
      });
    try {
      await execute(a, s, no).expect(500);
    } finally {
      spy.mockRestore();
    }
    expect([await balance(s), await balance(r), await journals(no)]).toEqual([3800, 1200, 2]);
    const retry = await execute(b, s, no).expect(200);
    expect(retry.body.status).toBe('SUCCEEDED');
    expect([await balance(s), await balance(r), await journals(no), await markers(no)]).toEqual([
      3800, 1200, 2, 1,
    ]);
  });

  it('execute vs cancel at once: one outcome, the loser sees it; money moved iff SUCCEEDED', async () => {
    for (let round = 0; round < 6; round++) {
      const [s, r] = [await user(1000), await user()];
      const no = await transfer(s, r, 400);
      const [x, c] = await Promise.all([execute(round % 2 ? a : b, s, no), cancel(round % 2 ? b : a, s, no)]);
      const final = (await a.http().get(`/v1/transfers/${no}`).set('Authorization', a.bearer(s)).expect(200))
        .body;
      if (final.status === 'SUCCEEDED') {
        expect([x.status, c.status, c.body.code]).toEqual([200, 409, 'TRANSFER_NOT_CANCELLABLE']);
        expect([await balance(s), await balance(r)]).toEqual([600, 400]);
      } else {
        expect(final.status).toBe('CANCELLED');
        expect([x.status, x.body.code, c.status]).toEqual([409, 'TRANSFER_NOT_EXECUTABLE', 200]);
        expect([await balance(s), await balance(r), await journals(no)]).toEqual([1000, 0, 0]);
      }
    }
  });

  it('expiry: the delayed job (or the sweep) expires a CREATED transfer; execute and cancel racing it see EXPIRED, nothing moves', async () => {
    const [s, r] = [await user(1000), await user()];
    const no = await transfer(s, r, 500, b); // b: TRANSFER_TTL_MS 2000
    await eventually(
      async () =>
        (await a.dataSource.query('SELECT status FROM t_transfer WHERE transfer_no = ?', [no]))[0].status ===
        'EXPIRED',
      20000,
      100,
    );
    const x = await execute(a, s, no).expect(409);
    expect(x.body).toMatchObject({ code: 'TRANSFER_NOT_EXECUTABLE', details: { status: 'EXPIRED' } });
    expect((await cancel(a, s, no).expect(409)).body.code).toBe('TRANSFER_NOT_CANCELLABLE');
    // a due transfer nobody has expired yet: execute, cancel and expiry all at once → EXPIRED
    const no2 = await transfer(s, r, 500);
    await a.dataSource.query(
      'UPDATE t_transfer SET expires_at = NOW(3) - INTERVAL 1 SECOND WHERE transfer_no = ?',
      [no2],
    );
    const [e, c] = await Promise.all([execute(a, s, no2), cancel(b, s, no2)]);
    expect([e.status, e.body.code, c.status, c.body.code]).toEqual([
      409,
      'TRANSFER_NOT_EXECUTABLE',
      409,
      'TRANSFER_NOT_CANCELLABLE',
    ]);
    expect([await balance(s), await balance(r), await journals(no), await journals(no2)]).toEqual([
      1000, 0, 0, 0,
    ]);
  });

  it('strangers and receivers are refused, nothing moves; bad input is 4xx with a code and creates nothing', async () => {
    const [s, r] = [await user(1000), await user()];
    const no = await transfer(s, r, 100);
    await execute(a, newUserId(), no).expect(404);
    expect((await execute(a, r, no).expect(403)).body.code).toBe('FORBIDDEN');
    await cancel(a, newUserId(), no).expect(404);
    await execute(a, s, 'T00000000000000000000000000000').expect(404);
    await execute(a, s, 'nope').expect(404);
    expect([await balance(s), await balance(r)]).toEqual([1000, 0]);
    const before = await count('SELECT COUNT(*) AS n FROM t_transfer WHERE from_user = ?', [s]);
    const bad: Array<[object, number, string]> = [
      [{ toUserId: s, amount: 100 }, 400, 'VALIDATION_FAILED'],
      [{ toUserId: r, amount: 0 }, 400, 'VALIDATION_FAILED'],
      [{ toUserId: r, amount: -5 }, 400, 'VALIDATION_FAILED'],
      [{ toUserId: r, amount: 1.5 }, 400, 'VALIDATION_FAILED'],
      [{ toUserId: r, amount: 1000001 }, 400, 'VALIDATION_FAILED'],
      [{ toUserId: 'bad id!', amount: 100 }, 400, 'VALIDATION_FAILED'],
      [{ toUserId: r, amount: 100, memo: 'x'.repeat(201) }, 400, 'VALIDATION_FAILED'],
      [{ toUserId: newUserId(), amount: 100 }, 404, 'RECIPIENT_NOT_FOUND'],
    ];
    for (const [body, status, code] of bad) {
      const res = await create(a, s, body, randomUUID());
      expect([body, res.status, res.body.code]).toEqual([body, status, code]);
    }
    expect(await count('SELECT COUNT(*) AS n FROM t_transfer WHERE from_user = ?', [s])).toBe(before);
    // executing a cancelled transfer is 409 TRANSFER_NOT_EXECUTABLE; cancelling it again answers it
    await cancel(a, s, no).expect(200);
    expect((await cancel(b, s, no).expect(200)).body.status).toBe('CANCELLED');
    expect((await execute(a, s, no).expect(409)).body.code).toBe('TRANSFER_NOT_EXECUTABLE');
  });

  it('Idempotency-Key on create: the same key and body replays the transfer; another body → 422; one row', async () => {
    const [s, r] = [await user(1000), await user()];
    const key = randomUUID();
    const first = await create(a, s, { toUserId: r, amount: 250 }, key).expect(201);
    const again = await create(b, s, { toUserId: r, amount: 250 }, key).expect(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect((await create(a, s, { toUserId: r, amount: 251 }, key).expect(422)).body.code).toBe(
      'IDEMPOTENCY_KEY_REUSED',
    );
    expect(await count('SELECT COUNT(*) AS n FROM t_transfer WHERE from_user = ?', [s])).toBe(1);
  });

  it('the ledger is balanced after every movement of this suite', () => expectLedgerBalanced(a));
});
