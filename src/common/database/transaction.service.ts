import { Injectable, Logger, Optional } from '@nestjs/common';
import { Counter } from 'prom-client';
import { DataSource, EntityManager, QueryRunner } from 'typeorm';
import { DomainError } from '../errors/domain.error';
import { ErrorCode } from '../errors/error-code.enum';
import { MetricsService } from '../metrics/metrics.service';
import { isRetryableTxError, retryReason } from './db-errors';
import { DEFAULT_TX_RETRY, mayRetry, txRetryDelayMs, TxRetryPolicy } from './tx-retry';

export interface TxOptions {
  /** Join this outer transaction instead of opening one (no retry then: the outer owner retries). */
  manager?: EntityManager;
  /** Attempts on deadlock / certification conflict / lock-wait timeout (default: DEFAULT_TX_RETRY). */
  attempts?: number;
  /**
   * For a use case that must never run twice: how to tell, on a fresh connection, whether this
   * transaction committed when its COMMIT got no answer (the connection died after COMMIT was sent).
   * Usually "does the row with the number generated before the transaction exist". Without it a lost
   * COMMIT is thrown as it came (a driver error: 503 DATABASE_UNAVAILABLE).
   */
  confirm?: CommitConfirm;
}

export interface CommitConfirm {
  /** Reads on a fresh connection to the primary: true iff the transaction's effect is there. */
  committed: (fresh: EntityManager) => Promise<boolean>;
  /** What the OUTCOME_UNKNOWN answer names (e.g. `{orderNo}`), so the client can look it up. */
  details: Record<string, unknown>;
}

/**
 * A COMMIT was sent and no answer came (the connection died, was killed, timed out). The server may
 * have committed or not: the outcome is unknown until someone looks.
 */
export class CommitLost extends Error {
  constructor(
    readonly cause: unknown,
    /** the server thread of the connection that sent COMMIT (mysql2 threadId) */
    readonly threadId: number | undefined,
    /** what the work returned, for when it turns out committed */
    readonly result: unknown,
  ) {
    super(`COMMIT sent, no answer: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'CommitLost';
  }
}

/** How long to wait for the server thread that sent a lost COMMIT to end (it is KILLed first). */
const THREAD_END_WAIT_MS = 3000;

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
 * A COMMIT that gets no answer (the connection died after it was sent) is never run again and never
 * answered "503, retry" by a use case that passes `confirm`: the outcome is found out on a fresh
 * connection (`settleLostCommit`), or answered 503 OUTCOME_UNKNOWN (no Retry-After) when it cannot be.
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
        if (err instanceof CommitLost) {
          // never run again: the work may be done
          if (!opts.confirm) throw err.cause;
          return this.settleLostCommit<T>(err, opts.confirm);
        }
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
      const conn = (await qr.connect()) as { threadId?: number };
      if (!this.readCommitted.has(conn)) {
        await qr.query(SESSION_READ_COMMITTED);
        if (await this.isGalera(qr)) await qr.query(SESSION_CAUSAL_READS);
        this.readCommitted.add(conn);
      }
      await qr.startTransaction();
      try {
        const result = await work(qr.manager);
        try {
          await qr.commitTransaction();
        } catch (err) {
          // a refusal of the COMMIT itself (a certification conflict) is an answer: rolled back
          if (isRetryableTxError(err)) throw err;
          throw new CommitLost(err, conn.threadId, result);
        }
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

  /**
   * A COMMIT got no answer. Find out, never guess: first make sure the server thread that sent it has
   * ended (KILL it if it is still there, then wait for it to leave the process list: a thread that is
   * gone has committed or rolled back, nothing in between), then ask `confirm.committed` on a fresh
   * connection. Committed → the work's result, as if the answer had come. Not committed → the original
   * error (nothing was written: 503 DATABASE_UNAVAILABLE, a retry is safe). Cannot tell (the database is
   * unreachable, the thread will not end) → 503 OUTCOME_UNKNOWN naming `confirm.details`, which the
   * idempotency guards answer by holding on (no retry executes it twice).
   */
  private async settleLostCommit<T>(lost: CommitLost, confirm: CommitConfirm): Promise<T> {
    let committed: boolean;
    try {
      committed = await this.onFreshConnection(async (m) => {
        if (lost.threadId !== undefined && !(await this.threadEnded(m, lost.threadId))) {
          throw new Error(
            `thread ${lost.threadId} still there ${THREAD_END_WAIT_MS} ms after its lost COMMIT`,
          );
        }
        return confirm.committed(m);
      });
    } catch (err) {
      this.logger.error(
        `lost COMMIT (${(lost.cause as Error)?.message}) could not be settled: ${(err as Error).message}; ` +
          `outcome unknown for ${JSON.stringify(confirm.details)}`,
      );
      throw new DomainError(
        ErrorCode.OUTCOME_UNKNOWN,
        'The database did not confirm the commit and could not be asked whether it happened; do not ' +
          'repeat the request blindly: look it up (a retry with the same key, token or body is answered ' +
          'with the first result once it is known)',
        { reason: 'OUTCOME_UNKNOWN', ...confirm.details },
      );
    }
    this.logger.warn(
      `lost COMMIT (${(lost.cause as Error)?.message}) settled on a fresh connection: ` +
        `${committed ? 'committed' : 'not committed'} ${JSON.stringify(confirm.details)}`,
    );
    if (!committed) throw lost.cause;
    return lost.result as T;
  }

  private async onFreshConnection<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    const qr = this.dataSource.createQueryRunner('master');
    try {
      await qr.connect();
      return await work(qr.manager);
    } finally {
      await qr.release();
    }
  }

  /** True once the server thread `id` is gone (KILLed here if it is still there), within a bound. */
  private async threadEnded(m: EntityManager, id: number): Promise<boolean> {
    const alive = async () =>
      Number(
        (await m.query('SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE ID = ?', [id]))[0].n,
      ) > 0;
    if (!(await alive())) return true;
    // still there (a timeout on our side, a COMMIT still running): end it, so its outcome is final
    await m.query(`KILL CONNECTION ${Number(id)}`).catch(() => undefined);
    const until = Date.now() + THREAD_END_WAIT_MS;
    while (Date.now() < until) {
      if (!(await alive())) return true;
      await new Promise((r) => setTimeout(r, 20));
    }
    return false;
  }
}
