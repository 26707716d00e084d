import { createConnection } from 'mysql2/promise';
import type { DbSettings } from './data-source-options';

/** Development convenience: CREATE DATABASE IF NOT EXISTS, so a newcomer needs no manual SQL. */
export async function ensureDatabase(db: DbSettings): Promise<void> {
  const conn = await createConnection({ host: db.host, port: db.port, user: db.user, password: db.password });
  try {
    await conn.query(
      `CREATE DATABASE IF NOT EXISTS \`${db.name.replace(/`/g, '')}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
    );
  } finally {
    await conn.end();
  }
}
