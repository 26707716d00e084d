import type { DataSourceOptions } from 'typeorm';
import { migrations } from '../../migrations';

export interface DbSettings {
  host: string;
  port: number;
  user: string;
  password: string;
  name: string;
  poolSize: number;
  migrationsRun: boolean;
  /** Read replicas; when given, TypeORM replication with every query on the primary by default. */
  replicas?: Array<{ host: string; port: number }>;
}

/** The one description of the MySQL connection, used by the app and by ormconfig.ts (TypeORM CLI). */
export function buildDataSourceOptions(db: DbSettings, entities: DataSourceOptions['entities'] = []) {
  const primary = {
    host: db.host,
    port: db.port,
    username: db.user,
    password: db.password,
    database: db.name,
  };
  return {
    type: 'mysql',
    ...primary,
    // With replicas: `defaultMode: 'master'` keeps every read on the primary (TypeORM's own default
    // would send find()/QueryBuilder reads to a replica). Only ReplicaReads asks for a replica.
    ...(db.replicas?.length
      ? {
          replication: {
            master: primary,
            slaves: db.replicas.map((r) => ({ ...primary, host: r.host, port: r.port })),
            defaultMode: 'master' as const,
          },
        }
      : {}),
    entities,
    migrations,
    migrationsRun: db.migrationsRun,
    migrationsTransactionMode: 'each',
    synchronize: false,
    charset: 'utf8mb4',
    timezone: 'Z',
    // BIGINT money columns come back as strings unless told otherwise; amounts stay below 2^53.
    supportBigNumbers: true,
    bigNumberStrings: false,
    // maxPreparedStatements: mysql2 gives every connection an LRU of prepared statements sized to
    // this up front (four arrays of 16,000 slots by default, ~0.5 MB per connection, ~10 MB for a
    // pool of 20). oncepay never prepares one (TypeORM sends text queries), so keep it small; 0
    // would mean the default.
    extra: { connectionLimit: db.poolSize, maxPreparedStatements: 16 },
  } satisfies DataSourceOptions;
}
