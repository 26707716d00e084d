import { Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { isRetryableTxError } from './db-errors';

export interface TxOptions {
  /** Join this outer transaction instead of opening one (no retry then: the outer owner retries). */
  manager?: EntityManager;
  /** Attempts on deadlock / lock-wait timeout, default 3. */
  attempts?: number;
}

/** The session setting every transaction of this service runs under. */
export const SESSION_READ_COMMITTED = 'SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED';

/**
 * The one transaction helper of oncepay. Use cases open a transaction here and pass the
 * `EntityManager` explicitly to every repository method they call: propagation is a parameter,
 * visible in every signature, with no hidden context. READ COMMITTED: the CAS updates and unique
 * keys carry the correctness, and it avoids REPEATABLE READ's gap locks on hot inserts.
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

  constructor(private readonly dataSource: DataSource) {}

  async run<T>(work: (manager: EntityManager) => Promise<T>, opts: TxOptions = {}): Promise<T> {
    if (opts.manager) {
      if (!opts.manager.queryRunner?.isTransactionActive) {
        throw new Error('TransactionService.run: the given manager is not inside a transaction');
      }
      return work(opts.manager);
    }
    const attempts = opts.attempts ?? 3;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once(work);
      } catch (err) {
        if (attempt >= attempts || !isRetryableTxError(err)) throw err;
        this.logger.warn(`transaction retry ${attempt}/${attempts - 1} after ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 5 + Math.random() * 20 * attempt));
      }
    }
  }

  /** What `DataSource.transaction` does, with the isolation level set per connection. */
  private async once<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const qr = this.dataSource.createQueryRunner('master');
    try {
      const conn = (await qr.connect()) as object;
      if (!this.readCommitted.has(conn)) {
        await qr.query(SESSION_READ_COMMITTED);
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
