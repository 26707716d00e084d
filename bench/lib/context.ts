import type { Connection } from 'mysql2/promise';
import { Api } from './api';
import { deleteRedisPrefix, dropDatabase, MYSQL, mysqlConn, rand } from './infra';
import { Instance, InstanceOptions } from './instances';
import type { LoadResult } from './load';
import type { Row } from './table';

/** Everything a bench row needs: the instances, the database, the ceilings measured so far. */
export class BenchContext {
  readonly runId = rand(3);
  readonly dbName = `oncepay_bench_${rand()}`;
  readonly redisPrefix = `bench${rand()}:`;
  readonly rows: Row[] = [];
  readonly ceilings: { noop?: LoadResult; authNoop?: LoadResult; tx?: LoadResult; payTx?: LoadResult } = {};
  readonly instances: Instance[] = [];
  /** Peak RSS per instance (MB), filled by the rows that sample it. */
  readonly memory: Array<{ name: string; peakMb: number; during: string }> = [];
  /** --explain: the rows wrapped in `explained` (lib/explain.ts) print a waterfall, kept here. */
  explain = false;
  /** --repeat N: rounds of the rows that repeat (the strategies race; default 3). */
  repeat?: number;
  readonly explains: string[] = [];
  private db?: Connection;
  private cleaning?: Promise<void>;

  constructor(
    readonly quick: boolean,
    /** Seconds per timed load. */
    readonly duration: number,
    readonly connections: number,
    /** Environment every instance gets. */
    readonly baseEnv: Record<string, string>,
    /** The server the bench database is on (the Galera rows use node 1 of .ci/galera.sh). */
    public dbPort: number = MYSQL.port,
  ) {}

  log(msg: string): void {
    process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
  }

  async startInstance(name: string, env: Record<string, string> = {}, extra: Partial<InstanceOptions> = {}) {
    const inst = new Instance({
      name,
      dbName: this.dbName,
      redisPrefix: this.redisPrefix,
      env: { ...this.baseEnv, ...env },
      ...extra,
    });
    this.instances.push(inst);
    await inst.start();
    return inst;
  }

  async stopInstance(inst: Instance): Promise<void> {
    await inst.stop();
    const i = this.instances.indexOf(inst);
    if (i >= 0) this.instances.splice(i, 1);
  }

  api(inst: Instance): Api {
    return new Api(inst.url);
  }

  /** A connection to the bench database (for counts and invariants). */
  async sql<T = any>(query: string, params: unknown[] = []): Promise<T[]> {
    this.db ??= await mysqlConn(this.dbName, this.dbPort);
    const [rows] = await this.db.query(query, params);
    return rows as T[];
  }

  async scalar(query: string, params: unknown[] = []): Promise<number> {
    const rows = await this.sql<Record<string, unknown>>(query, params);
    const v = rows[0] ? Object.values(rows[0])[0] : 0;
    return Number(v ?? 0);
  }

  async tableExists(name: string): Promise<boolean> {
    return (
      (await this.scalar(
        'SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?',
        [this.dbName, name],
      )) > 0
    );
  }

  /** Stops every instance, drops the database, deletes the Redis keys. Every caller awaits the same run. */
  cleanup(): Promise<void> {
    this.cleaning ??= (async () => {
      await Promise.all(this.instances.map((i) => i.stop('SIGTERM', 5000).catch(() => undefined)));
      await this.db?.end().catch(() => undefined);
      if (!process.env.BENCH_KEEP_DB) await dropDatabase(this.dbName, this.dbPort).catch(() => undefined);
      await deleteRedisPrefix(this.redisPrefix);
    })();
    return this.cleaning;
  }
}
