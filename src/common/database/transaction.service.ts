import { Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { isRetryableTxError } from './db-errors';

export interface TxOptions {
  /** Join this outer transaction instead of opening one (no retry then: the outer owner retries). */
  manager?: EntityManager;
  /** Attempts on deadlock / lock-wait timeout, default 3. */
  attempts?: number;
}

/**
 * The one transaction helper of oncepay. Use cases open a transaction here and pass the
 * `EntityManager` explicitly to every repository method they call: propagation is a parameter,
 * visible in every signature, with no hidden context. READ COMMITTED: the CAS updates and unique
 * keys carry the correctness, and it avoids REPEATABLE READ's gap locks on hot inserts.
 */
@Injectable()
export class TransactionService {
  private readonly logger = new Logger(TransactionService.name);

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
        return await this.dataSource.transaction('READ COMMITTED', work);
      } catch (err) {
        if (attempt >= attempts || !isRetryableTxError(err)) throw err;
        this.logger.warn(`transaction retry ${attempt}/${attempts - 1} after ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 5 + Math.random() * 20 * attempt));
      }
    }
  }
}
