import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

/**
 * The explicit read-only path to a MySQL read replica (DB_REPLICA_HOSTS), for reads that may be a
 * few seconds stale and gate nothing: the order list and the catalog list. Everything else,
 * including every read that decides a write or reads its own write, stays on the primary (TypeORM
 * replication with `defaultMode: 'master'`). Without replicas this reads from the primary.
 */
@Injectable()
export class ReplicaReads {
  constructor(private readonly dataSource: DataSource) {}

  /** Runs `work` on one replica connection; its manager must only read. */
  async run<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner('slave');
    try {
      return await work(runner.manager);
    } finally {
      await runner.release();
    }
  }

  query<T = any>(sql: string, params: unknown[] = []): Promise<T> {
    return this.run((m) => m.query(sql, params));
  }
}
