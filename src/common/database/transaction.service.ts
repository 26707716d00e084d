import { Injectable, Logger, Optional } from '@nestjs/common';
import { Counter } from 'prom-client';
import { DataSource, EntityManager, QueryRunner } from 'typeorm';
import { MetricsService } from '../metrics/metrics.service';
import { retryReason } from './db-errors';
import { DEFAULT_TX_RETRY, mayRetry, txRetryDelayMs, TxRetryPolicy } from './tx-retry';

export interface TxOptions {
  /** Join this outer transaction instead of opening one (no retry then: the outer owner retries). */
  manager?: EntityManager;
  /** Attempts on deadlock / certification conflict / lock-wait timeout (default: DEFAULT_TX_RETRY). */
  attempts?: number;
}

/** The session setting every transaction of this service runs under. */
export const SESSION_READ_COMMITTED = 'SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED';
/**
 * And on a Galera node: every read of the session waits until this node has applied what the
 * cluster committed before it (causal reads), so a read that decides a write never sees less than
 * another node already answered. A second statement, once per pooled connection as the first
 * (MariaDB 10.x names the isolation variable tx_isolation, MySQL 8 / PXC transaction_isolation).
 */
export const SESSION_CAUSAL_READS = 'SET SESSION wsrep_sync_wait = 1';

/**
 * The one transaction helper of oncepay. Use cases open a transaction here and pass the
 * `EntityManager` explicitly to every repository method they call: propagation is a parameter,
 * visible in every signature, with no hidden context. READ COMMITTED: the CAS updates and unique
 * keys carry the correctness, and it avoids REPEATABLE READ's gap locks on hot inserts.
 *
 * A transaction rolled back by a deadlock, a lock-wait timeout or (on Galera) a certification
 * conflict — ER_LOCK_DEADLOCK at commit, for a duplicate unique key written on another node too —
 * is run again as a whole, after a jittered exponential backoff, within {@link DEFAULT_TX_RETRY}'s
 * attempt and time bounds (`oncepay_tx_retries_total{reason}`; one that outlives them is counted in
 * `oncepay_tx_retries_exhausted_total` and answered 503 DATABASE_UNAVAILABLE with Retry-After).
 *
 * The isolation level is set once per pooled connection (`SET SESSION …`, the first time this
 * service opens a transaction on it), not before every transaction: `SET TRANSACTION ISOLATION
 * LEVEL` is a round trip of its own, and every success-path transaction paid it. Nothing in oncepay
 * sets a session isolation level back, and a connection the pool replaces is a new object, so it is
 * set again.
 */
@Injectable()
export class TransactionService {
  private readonly logger = new Logger(TransactionService.name);
  /** driver connections already switched to READ COMMITTED for their session */
  private readonly readCommitted = new WeakSet<object>();
  private galera?: Promise<boolean>;
  private readonly retries?: Counter<'reason'>;
  private readonly exhausted?: Counter<'reason'>;
  /** the retry bounds; tests may narrow them */
  policy: TxRetryPolicy = DEFAULT_TX_RETRY;

  constructor(
    private readonly dataSource: DataSource,
    @Optional() metrics?: MetricsService,
  ) {
    this.retries = metrics?.counter(
      'oncepay_tx_retries_total',
      'Transactions run again after a deadlock, certification conflict or lock-wait timeout',
      ['reason'],
    );
    this.exhausted = metrics?.counter(
      'oncepay_tx_retries_exhausted_total',
      'Transactions that still failed when the retry bound was reached (answered 503)',
      ['reason'],
    );
  }

  async run<T>(work: (manager: EntityManager) => Promise<T>, opts: TxOptions = {}): Promise<T> {
    if (opts.manager) {
      if (!opts.manager.queryRunner?.isTransactionActive) {
        throw new Error('TransactionService.run: the given manager is not inside a transaction');
      }
      return work(opts.manager);
    }
    const policy = opts.attempts ? { ...this.policy, attempts: opts.attempts } : this.policy;
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once(work);
      } catch (err) {
        const reason = retryReason(err);
        if (!reason) throw err;
        const delay = txRetryDelayMs(policy, attempt);
        if (!mayRetry(policy, attempt, Date.now() - started, delay)) {
          this.exhausted?.inc({ reason });
          throw err;
        }
        this.retries?.inc({ reason });
        this.logger.debug(`transaction retry ${attempt} in ${delay} ms after ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  /**
   * Whether the server is a Galera node (`wsrep_on`), asked once per data source (on `qr`'s
   * connection when given: a pool of one would wait for itself).
   */
  isGalera(qr?: QueryRunner): Promise<boolean> {
    this.galera ??= (qr ?? this.dataSource)
      .query("SHOW GLOBAL VARIABLES LIKE 'wsrep_on'")
      .then((rows: Array<{ Value?: string }>) => rows[0]?.Value === 'ON')
      .catch((err: unknown) => {
        this.galera = undefined; // ask again next time
        throw err;
      });
    return this.galera;
  }

  /** What `DataSource.transaction` does, with the isolation level set per connection. */
  private async once<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const qr = this.dataSource.createQueryRunner('master');
    try {
      const conn = (await qr.connect()) as object;
      if (!this.readCommitted.has(conn)) {
        await qr.query(SESSION_READ_COMMITTED);
        if (await this.isGalera(qr)) await qr.query(SESSION_CAUSAL_READS);
        this.readCommitted.add(conn);
      }
      await qr.startTransaction();
      try {
        const result = await work(qr.manager);
        await qr.commitTransaction();
        return result;
      } catch (err) {
        try {
          await qr.rollbackTransaction();
        } catch {
          // the original error is what the caller needs
        }
        throw err;
      }
    } finally {
      await qr.release();
    }
  }
}
