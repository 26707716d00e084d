import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { isDuplicateKey } from '../common/database/db-errors';
import { TransactionService } from '../common/database/transaction.service';
import { REDIS } from '../common/redis/redis.factory';

/** Rows in t_bench_payment, the CAS target of the payment-transaction ceiling. */
export const BENCH_PAYMENT_ROWS = 20000;

/**
 * The work of the bench ceilings, nothing more: one Redis SET NX and the same shape of MySQL
 * transaction the real paths run, against bench-only tables (copies of the real ones made with
 * CREATE TABLE ... LIKE, so indexes match) that no business code reads. The real tables stay clean:
 * a bench row in t_outbox would otherwise be picked up by the outbox relay.
 */
@Injectable()
export class BenchCeilingService implements OnModuleInit {
  private readonly logger = new Logger(BenchCeilingService.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly tx: TransactionService,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  async onModuleInit(): Promise<void> {
    // Several instances may start at once on one database: every statement here is idempotent.
    const q = (sql: string) => this.dataSource.query(sql);
    await q(`CREATE TABLE IF NOT EXISTS t_bench_ceiling (
      id BIGINT NOT NULL AUTO_INCREMENT,
      ref VARCHAR(64) NOT NULL,
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      PRIMARY KEY (id),
      UNIQUE KEY uq_bench_ref (ref)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await q('CREATE TABLE IF NOT EXISTS t_bench_dedup LIKE t_uq_dipose');
    await q('CREATE TABLE IF NOT EXISTS t_bench_outbox LIKE t_outbox');
    await q(`CREATE TABLE IF NOT EXISTS t_bench_payment (
      id BIGINT NOT NULL,
      status VARCHAR(16) NOT NULL DEFAULT 'PENDING',
      version INT NOT NULL DEFAULT 0,
      updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      PRIMARY KEY (id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    const [{ n }] = await q('SELECT COUNT(*) AS n FROM t_bench_payment');
    if (Number(n) < BENCH_PAYMENT_ROWS) {
      for (let start = 1; start <= BENCH_PAYMENT_ROWS; start += 1000) {
        const ids = Array.from({ length: 1000 }, (_, i) => `(${start + i})`).join(',');
        await q(`INSERT IGNORE INTO t_bench_payment (id) VALUES ${ids}`);
      }
    }
    this.logger.warn('bench routes are ON (BENCH_ROUTES=true): never in production');
  }

  /** Redis SET NX with a TTL, as the submit guard does. False when the key was already there. */
  private async setNx(ref: string): Promise<boolean> {
    return (await this.redis.set(`bench:{${ref}}`, '1', 'PX', 60000, 'NX')) === 'OK';
  }

  /** SET NX + one transaction holding one INSERT (the floor under an order submit). */
  async setNxOneTx(ref: string): Promise<'created' | 'duplicate'> {
    if (!(await this.setNx(ref))) return 'duplicate';
    try {
      await this.tx.run((m) => m.query('INSERT INTO t_bench_ceiling (ref) VALUES (?)', [ref]));
      return 'created';
    } catch (err) {
      if (isDuplicateKey(err)) return 'duplicate';
      throw err;
    }
  }

  /**
   * SET NX + the three statements of the payment success path: dedup marker first, CAS of the
   * payment row, outbox event (the floor under a callback apply).
   */
  async setNxPaymentTx(ref: string, paymentId: number): Promise<'applied' | 'duplicate'> {
    if (!(await this.setNx(ref))) return 'duplicate';
    try {
      await this.tx.run(async (m) => {
        await m.query('INSERT INTO t_bench_dedup (ref_type, ref_id) VALUES (?, ?)', ['BENCH_PAID', ref]);
        await m.query(
          "UPDATE t_bench_payment SET status = 'SUCCESS', version = version + 1, updated_at = CURRENT_TIMESTAMP(3) WHERE id = ? AND status IN ('PENDING', 'SUCCESS')",
          [paymentId],
        );
        await m.query(
          "INSERT INTO t_bench_outbox (topic, event_key, payload, status) VALUES ('bench.paid', ?, ?, 'SENT')",
          [ref, JSON.stringify({ ref, paymentId })],
        );
      });
      return 'applied';
    } catch (err) {
      if (isDuplicateKey(err)) return 'duplicate';
      throw err;
    }
  }
}
