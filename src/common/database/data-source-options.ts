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
}

/** The one description of the MySQL connection, used by the app and by ormconfig.ts (TypeORM CLI). */
export function buildDataSourceOptions(db: DbSettings, entities: DataSourceOptions['entities'] = []) {
  return {
    type: 'mysql',
    host: db.host,
    port: db.port,
    username: db.user,
    password: db.password,
    database: db.name,
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
    extra: { connectionLimit: db.poolSize },
  } satisfies DataSourceOptions;
}
