import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { createPool, Pool } from 'mysql2/promise';
import { DataSource } from 'typeorm';
import { databaseConfig } from '../config/configuration';
import { TransactionService } from '../common/database/transaction.service';

/** Without the PROCESS privilege (INNODB_TRX unreadable): no transaction of ours stays open this long. */
export const FALLBACK_HORIZON_MS = 10 * 60 * 1000;

/**
 * One server's horizon, on its own clock, truncated to the millisecond: the start of its oldest open
 * transaction (other than this statement's), or now when none is open. Every transaction still open
 * there started at or after it (INNODB_TRX's `trx_started` is at most the true start), and a row inserted
 * there from now on gets a `CURRENT_TIMESTAMP(3)` at or after it.
 */
const HORIZON_SQL = `SELECT DATE_FORMAT(LEAST(NOW(3), COALESCE((SELECT MIN(trx_started) FROM information_schema.INNODB_TRX
  WHERE trx_mysql_thread_id <> CONNECTION_ID()), NOW(3))), '%Y-%m-%d %H:%i:%s.%f') AS t`;
const FALLBACK_SQL = `SELECT DATE_FORMAT(NOW(3) - INTERVAL ${FALLBACK_HORIZON_MS} * 1000 MICROSECOND, '%Y-%m-%d %H:%i:%s.%f') AS t`;

type Query = (sql: string) => Promise<Array<{ t: string }>>;

/**
 * The commit horizon of the event feed: a time H such that every outbox row with `created_at < H` is
 * committed or gone for good. On one server that is its own horizon. On a Galera cluster a transaction
 * open on *another* node is invisible here, so H is the least of every member's horizon, each asked on
 * that member (its address from `wsrep_incoming_addresses`, the service's own credentials), each on its
 * own clock, so clock skew between nodes cannot make a row look older than it is. A member that cannot
 * be asked gives no horizon at all (null: the caller keeps its watermark), so nothing is ever skipped.
 */
@Injectable()
export class CommitHorizon implements OnModuleDestroy {
  private readonly logger = new Logger(CommitHorizon.name);
  private readonly pools = new Map<string, Pool>();
  private warnedNoTrxView = false;

  constructor(
    private readonly ds: DataSource,
    private readonly tx: TransactionService,
    @Inject(databaseConfig.KEY) private readonly db: ConfigType<typeof databaseConfig>,
  ) {}

  async onModuleDestroy(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.end().catch(() => undefined)));
    this.pools.clear();
  }

  /** The horizon as `YYYY-MM-DD HH:MM:SS.fff000`, or null when a cluster member could not be asked. */
  async horizon(): Promise<string | null> {
    if (!(await this.tx.isGalera())) return this.ask((sql) => this.ds.query(sql));
    const rows: Array<{ Value: string }> = await this.ds.query(
      "SHOW GLOBAL STATUS LIKE 'wsrep_incoming_addresses'",
    );
    const members = parseAddresses(rows[0]?.Value ?? '');
    if (!members.length) return null;
    try {
      const all = await Promise.all(members.map((a) => this.ask((sql) => this.queryOn(a, sql))));
      return all.some((h) => h === null) ? null : (all as string[]).reduce((x, y) => (y < x ? y : x));
    } catch (err) {
      this.logger.warn(`event horizon: a cluster member could not be asked (${(err as Error).message})`);
      return null;
    }
  }

  private async ask(q: Query): Promise<string | null> {
    try {
      return String((await q(HORIZON_SQL))[0].t);
    } catch (err) {
      if (!/PROCESS|denied/i.test((err as Error).message)) throw err;
      if (!this.warnedNoTrxView) {
        this.warnedNoTrxView = true;
        this.logger.warn(
          `information_schema.INNODB_TRX is not readable (${(err as Error).message}); the event watermark ` +
            `trails by ${FALLBACK_HORIZON_MS} ms instead (grant PROCESS to the database user)`,
        );
      }
      return String((await q(FALLBACK_SQL))[0].t);
    }
  }

  private async queryOn(address: string, sql: string): Promise<Array<{ t: string }>> {
    let pool = this.pools.get(address);
    if (!pool) {
      const [host, port] = splitHostPort(address, this.db.port);
      pool = createPool({
        host,
        port,
        user: this.db.user,
        password: this.db.password,
        connectionLimit: 1,
        connectTimeout: 2000,
      });
      this.pools.set(address, pool);
    }
    const [rows] = await pool.query({ sql, timeout: 2000 });
    return rows as Array<{ t: string }>;
  }
}

/** `wsrep_incoming_addresses`: `host:port` per member, comma-separated (`AUTO` / empty ones skipped). */
export function parseAddresses(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s && s !== 'AUTO');
}

/** `host:port`, `[v6]:port` or a bare host (the service's own port then). */
export function splitHostPort(address: string, defaultPort: number): [string, number] {
  const v6 = /^\[(.+)\](?::(\d+))?$/.exec(address);
  if (v6) return [v6[1], v6[2] ? Number(v6[2]) : defaultPort];
  const i = address.lastIndexOf(':');
  return i > 0 ? [address.slice(0, i), Number(address.slice(i + 1))] : [address, defaultPort];
}
