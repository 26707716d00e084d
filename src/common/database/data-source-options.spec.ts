import { buildDataSourceOptions, DbSettings } from './data-source-options';

const db: DbSettings = {
  host: '127.0.0.1',
  port: 3306,
  user: 'root',
  password: '',
  name: 'x',
  poolSize: 7,
  migrationsRun: false,
};

describe('buildDataSourceOptions', () => {
  it('sizes the pool, and keeps mysql2’s per-connection prepared-statement cache small (never used)', () => {
    const o = buildDataSourceOptions(db);
    expect(o.extra).toEqual({ connectionLimit: 7, maxPreparedStatements: 16 });
  });
});
