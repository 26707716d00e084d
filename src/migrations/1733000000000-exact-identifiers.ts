import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every column that holds an identifier compares byte for byte (issue 10).
 *
 * The tables were created with `utf8mb4_unicode_ci`, a case-, accent- and trailing-space-insensitive
 * collation: `U1`, `ûW` and `uW ` matched the rows of `u1`/`uW` (another user's wallet and orders), and
 * `Idempotency-Key: CASE-KEY-1` replayed the order of `case-Key-1`. A binary collation fixes case and
 * accents, but `utf8mb4_bin` still PADs SPACE on both servers (`'a' = 'a '` is true), so the column gets a
 * binary NO PAD collation. Its name differs between the two servers we support:
 * MariaDB (10.2+) has `utf8mb4_nopad_bin`, MySQL 8.x has `utf8mb4_0900_bin`; we take whichever exists.
 * (VARBINARY would be portable too, but mysql2 then returns Buffers for every identifier.)
 *
 * Each column keeps its type and nullability (read from information_schema). A column added later that
 * holds an identifier must say `COLLATE` with the same collation in its own migration (docs/security.md).
 */
export const EXACT_COLUMNS: Record<string, string[]> = {
  t_uq_dipose: ['ref_type', 'ref_id'],
  t_outbox: ['topic', 'event_key'],
  t_product: ['sku'],
  t_order: ['order_no', 'user_id', 'idempotency_key', 'request_fingerprint'],
  t_user_account: ['user_id'],
  t_payment: ['payment_no', 'order_no', 'user_id', 'channel_trade_no'],
  t_payment_anomaly: ['payment_no'],
  t_callback_log: ['notify_id', 'out_trade_no'],
  sandbox_key: ['name'],
  sandbox_trade: ['out_trade_no', 'trade_no', 'app_id', 'buyer_id', 'success_notify_id', 'close_notify_id'],
  sandbox_notify_attempt: ['out_trade_no', 'notify_id'],
};

/** The binary NO PAD utf8mb4 collation of this server (MariaDB or MySQL). */
export async function exactCollation(q: Pick<QueryRunner, 'query'>): Promise<string> {
  const rows: Array<{ name: string }> = await q.query(
    `SELECT COLLATION_NAME AS name FROM information_schema.COLLATIONS
      WHERE COLLATION_NAME IN ('utf8mb4_nopad_bin', 'utf8mb4_0900_bin')`,
  );
  const names = rows.map((r) => r.name);
  // prefer MariaDB's own name: a MariaDB that also knows a MySQL alias maps it to its PAD SPACE utf8mb4_bin
  if (names.includes('utf8mb4_nopad_bin')) return 'utf8mb4_nopad_bin';
  if (names.includes('utf8mb4_0900_bin')) return 'utf8mb4_0900_bin';
  throw new Error('this server has no binary NO PAD utf8mb4 collation (need MariaDB ≥ 10.2 or MySQL ≥ 8.0)');
}

export class ExactIdentifiers1733000000000 implements MigrationInterface {
  name = 'ExactIdentifiers1733000000000';

  async up(q: QueryRunner): Promise<void> {
    await this.convert(q, await exactCollation(q));
  }

  async down(q: QueryRunner): Promise<void> {
    await this.convert(q, 'utf8mb4_unicode_ci');
  }

  private async convert(q: QueryRunner, collation: string): Promise<void> {
    for (const [table, columns] of Object.entries(EXACT_COLUMNS)) {
      const defs: Array<{ name: string; type: string; nullable: string }> = await q.query(
        `SELECT COLUMN_NAME AS name, COLUMN_TYPE AS type, IS_NULLABLE AS nullable
           FROM information_schema.COLUMNS
          WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME IN (${columns.map(() => '?').join(',')})
          ORDER BY ORDINAL_POSITION`,
        [table, ...columns],
      );
      if (defs.length !== columns.length) {
        throw new Error(
          `${table}: expected columns ${columns.join(', ')}, found ${defs.map((d) => d.name).join(', ')}`,
        );
      }
      const modify = defs.map(
        (d) =>
          `MODIFY \`${d.name}\` ${d.type} CHARACTER SET utf8mb4 COLLATE ${collation} ${d.nullable === 'YES' ? 'NULL' : 'NOT NULL'}`,
      );
      await q.query(`ALTER TABLE \`${table}\` ${modify.join(', ')}`);
    }
  }
}
