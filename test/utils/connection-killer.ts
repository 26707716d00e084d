import type { Connection } from 'mysql2/promise';
import type {
  BeforeQueryEvent,
  DataSource,
  EntitySubscriberInterface,
  QueryRunner,
  TransactionCommitEvent,
} from 'typeorm';

type Match = (sql: string, params: unknown[]) => boolean;

type Plan =
  /** the transaction that ran a matching statement: its connection is killed once COMMIT was answered
   * (the server committed; the app sees the connection die instead of the OK) or just before COMMIT is sent
   * (nothing commits) */
  | { kind: 'commit'; when: 'after' | 'before'; match: Match }
  /** once a transaction that ran `after` committed, the next statement matching `match` finds its
   * connection killed (a read after the work, e.g. the re-read after the gateway refunded) */
  | { kind: 'query'; after: Match; match: Match; primed?: boolean };

/**
 * Kills the app's own MySQL connection at an exact point, with `KILL CONNECTION` from an admin
 * connection, timed by a TypeORM subscriber (no sleeps): the hook waits until the killed thread has
 * left the server's process list, so what follows runs on a connection that is really gone. One plan at
 * a time, used once (`arm`), `hits` counts the kills.
 */
export class ConnectionKiller implements EntitySubscriberInterface {
  private plan: Plan | null = null;
  private readonly marked = new WeakSet<QueryRunner>();
  /** statements matching this fail (a fatal connection error) while set: the database "unreachable" */
  private failing: Match | null = null;
  hits = 0;

  constructor(
    private readonly admin: Connection,
    dataSource: DataSource,
  ) {
    dataSource.subscribers.push(this);
  }

  arm(plan: Plan): void {
    this.plan = plan;
    this.hits = 0;
  }

  /** Until `stop()`, statements matching fail as a lost connection would (e.g. the fresh look-up). */
  failQueries(match: Match | null): void {
    this.failing = match;
  }

  disarm(): void {
    this.plan = null;
    this.failing = null;
  }

  async beforeQuery(event: BeforeQueryEvent): Promise<void> {
    const sql = event.query;
    const params = (event.parameters ?? []) as unknown[];
    if (this.failing?.(sql, params)) {
      throw Object.assign(new Error('Connection lost: The server closed the connection.'), {
        code: 'PROTOCOL_CONNECTION_LOST',
        fatal: true,
      });
    }
    const plan = this.plan;
    if (!plan) return;
    if (plan.kind === 'commit' && plan.match(sql, params)) this.marked.add(event.queryRunner);
    if (plan.kind === 'query') {
      if (plan.after(sql, params)) this.marked.add(event.queryRunner);
      if (plan.primed && plan.match(sql, params)) {
        this.plan = null;
        await this.kill(event.queryRunner);
      }
    }
  }

  async beforeTransactionCommit(event: TransactionCommitEvent): Promise<void> {
    const plan = this.plan;
    if (plan?.kind === 'commit' && plan.when === 'before' && this.marked.has(event.queryRunner)) {
      this.plan = null;
      await this.kill(event.queryRunner);
    }
  }

  async afterTransactionCommit(event: TransactionCommitEvent): Promise<void> {
    const plan = this.plan;
    if (!plan || !this.marked.has(event.queryRunner)) return;
    if (plan.kind === 'query') {
      plan.primed = true;
      return;
    }
    if (plan.when !== 'after') return;
    this.plan = null;
    await this.kill(event.queryRunner);
    // the OK of the COMMIT was read already; what the app sees is its connection dying right there
    await event.queryRunner.query('SELECT 1');
  }

  private async kill(qr: QueryRunner): Promise<void> {
    const id = (qr as unknown as { databaseConnection?: { threadId?: number } }).databaseConnection?.threadId;
    if (!id) throw new Error('ConnectionKiller: no thread id on the query runner');
    await this.admin.query(`KILL CONNECTION ${Number(id)}`);
    for (let i = 0; i < 500; i++) {
      const [rows] = await this.admin.query(
        'SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE ID = ?',
        [id],
      );
      if (Number((rows as Array<{ n: number }>)[0].n) === 0) {
        this.hits++;
        return;
      }
      await new Promise((r) => setImmediate(r));
    }
    throw new Error(`ConnectionKiller: thread ${id} still there after KILL`);
  }
}

/** A statement that inserts into `table` (raw SQL or the query builder's). */
export const insertsInto =
  (table: string): Match =>
  (sql) =>
    new RegExp(`^\\s*INSERT\\s+(IGNORE\\s+)?INTO\\s+\`?${table}\`?[\\s(]`, 'i').test(sql);
