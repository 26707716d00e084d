import { benchExplainEnabled } from '../config/configuration';
import { RequestTracer, statementLabel } from './request-trace';

describe('statementLabel', () => {
  it('names the verb and the first table, as TypeORM and the server digests write them', () => {
    expect(statementLabel('SELECT * FROM `t_payment` WHERE payment_no = ? FOR UPDATE')).toBe(
      'SELECT t_payment FOR UPDATE',
    );
    expect(statementLabel('INSERT INTO t_uq_dipose (ref_type, ref_id) VALUES (?, ?)')).toBe(
      'INSERT t_uq_dipose',
    );
    expect(statementLabel('INSERT INTO `t_uq_dipose` ( `ref_type` , `ref_id` ) VALUES (?,?) , (?,?)')).toBe(
      'INSERT t_uq_dipose (rows)',
    );
    expect(statementLabel('INSERT IGNORE INTO `t_outbox` (topic) VALUES (?)')).toBe('INSERT IGNORE t_outbox');
    expect(statementLabel('INSERT INTO t_user_account (id) VALUES (?) ON DUPLICATE KEY UPDATE x = 1')).toBe(
      'INSERT t_user_account upsert',
    );
    expect(statementLabel('UPDATE `db`.`t_order` SET status = ?')).toBe('UPDATE t_order');
    expect(statementLabel('START TRANSACTION')).toBe('START TRANSACTION');
    expect(statementLabel('commit')).toBe('COMMIT');
  });
});

describe('RequestTracer', () => {
  it('attributes pool waits, statements and Redis commands to the request that started them', async () => {
    const tracer = new RequestTracer();
    // a fake mysql2 callback pool: a connection after 5 ms, each statement answered after 2 ms
    const conn = {
      query: (_sql: string, _p: unknown[], cb: (e: unknown, r: unknown) => void) =>
        setTimeout(() => cb(null, []), 2),
    };
    const pool = {
      getConnection: (cb: (e: unknown, c: unknown) => void) => setTimeout(() => cb(null, conn), 5),
    };
    tracer.patchMysqlPool(pool);
    class FakeRedis {
      sendCommand(cmd: { name: string; promise?: Promise<unknown> }) {
        cmd.promise = new Promise((r) => setTimeout(r, 1));
        return cmd.promise;
      }
    }
    tracer.patchRedis(FakeRedis.prototype as never);
    const redis = new FakeRedis();
    const request = () =>
      tracer.run('POST /x', async () => {
        await redis.sendCommand({ name: 'set' });
        const c = await new Promise<typeof conn>((ok) => pool.getConnection((_e, c) => ok(c as typeof conn)));
        for (const sql of ['START TRANSACTION', 'INSERT INTO t_a (x) VALUES (?)', 'COMMIT'])
          await new Promise((ok) => c.query(sql, [], ok));
        tracer.finish();
      });
    await Promise.all([request(), request(), request()]);
    // outside any request: not traced
    await new Promise((ok) => conn.query('SELECT 1', [], ok));
    const s = tracer.summary();
    expect(s.routes).toHaveLength(1);
    const [r] = s.routes;
    expect(r.requests).toBe(3);
    expect(r.statements).toBe(3);
    expect(r.redisCommands).toBe(1);
    expect(r.signatureShare).toBe(1);
    expect(r.waterfall.filter((w) => w.kind !== 'app').map((w) => w.label)).toEqual([
      'SET',
      'pool wait',
      'START TRANSACTION',
      'INSERT t_a',
      'COMMIT',
    ]);
    expect(r.poolMs).toBeGreaterThanOrEqual(4);
    expect(r.sqlMs).toBeGreaterThanOrEqual(5);
    tracer.reset();
    expect(tracer.summary().routes).toHaveLength(0);
  });

  it('is registered only with BENCH_ROUTES and BENCH_EXPLAIN', () => {
    expect(benchExplainEnabled({ BENCH_EXPLAIN: 'true' })).toBe(false);
    expect(benchExplainEnabled({ BENCH_ROUTES: 'true' })).toBe(false);
    expect(benchExplainEnabled({ BENCH_ROUTES: 'true', BENCH_EXPLAIN: 'true' })).toBe(true);
  });
});
