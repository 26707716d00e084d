import { Connection } from 'mysql2/promise';
import { EntityManager } from 'typeorm';
import { TransactionService } from '../src/common/database/transaction.service';
import { mysqlAdmin } from './utils/services';
import { createTestApp, TestApp } from './utils/test-app';

/**
 * TransactionService on real MySQL with a pool of ONE connection, so every transaction below runs on
 * the same pooled connection (or on the one that replaced it).
 */
describe('TransactionService (real MySQL, one pooled connection)', () => {
  let t: TestApp;
  let tx: TransactionService;
  let admin: Connection;
  beforeAll(async () => {
    t = await createTestApp({ env: { DB_POOL_SIZE: '1' } });
    tx = t.app.get(TransactionService);
    admin = await mysqlAdmin();
    await admin.query(`CREATE TABLE \`${t.dbName}\`.tx_probe (id INT PRIMARY KEY, v INT NOT NULL)`);
    await admin.query(`INSERT INTO \`${t.dbName}\`.tx_probe VALUES (1, 0)`);
  });
  afterAll(async () => {
    await admin.end();
    await t.close();
  });

  /**
   * What a transaction sees of its own session, by behaviour: a row read twice around another
   * connection's commit changes under READ COMMITTED and not under REPEATABLE READ. Also the SET
   * statements the session has run so far, and the connection id.
   */
  async function inside(m: EntityManager) {
    const read = async () => Number((await m.query('SELECT v FROM tx_probe WHERE id = 1'))[0].v);
    const first = await read();
    await admin.query(`UPDATE \`${t.dbName}\`.tx_probe SET v = v + 1 WHERE id = 1`);
    const level = (await read()) === first ? 'REPEATABLE READ' : 'READ COMMITTED';
    const [row] = await m.query('SELECT CONNECTION_ID() AS id');
    const [sets] = await m.query("SHOW SESSION STATUS LIKE 'Com_set_option'");
    return { level, id: Number(row.id), sets: Number(sets.Value) };
  }

  it('every transaction is READ COMMITTED, and the isolation level is set once per connection, not per transaction', async () => {
    const seen = [];
    for (let i = 0; i < 4; i++) seen.push(await tx.run(inside));
    expect(new Set(seen.map((s) => s.id)).size).toBe(1); // one pooled connection
    expect(seen.map((s) => s.level)).toEqual(Array(4).fill('READ COMMITTED'));
    // no SET statement between the first transaction and the fourth (a per-transaction SET
    // TRANSACTION ISOLATION LEVEL would add one each time)
    expect(seen[3].sets).toBe(seen[0].sets);
  });

  it('a transaction opened elsewhere at another level does not change the next one', async () => {
    const other = await t.dataSource.transaction('REPEATABLE READ', inside);
    expect(other.level).toBe('REPEATABLE READ');
    const next = await tx.run(inside);
    expect(next.id).toBe(other.id);
    expect(next.level).toBe('READ COMMITTED');
  });

  it('a connection the pool replaced is set again', async () => {
    const before = await tx.run(inside);
    await admin.query(`KILL CONNECTION ${before.id}`);
    // the pool learns the connection is dead on its next use: that transaction fails, a later one
    // gets a new connection (a bounded number of tries, not a timed wait)
    let after: Awaited<ReturnType<typeof inside>> | null = null;
    for (let i = 0; i < 5 && !after; i++) after = await tx.run(inside).catch(() => null);
    expect(after).not.toBeNull();
    expect(after!.id).not.toBe(before.id);
    expect(after!.level).toBe('READ COMMITTED');
  });
});
