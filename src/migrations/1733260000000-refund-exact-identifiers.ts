import { MigrationInterface, QueryRunner } from 'typeorm';
import { exactCollation } from './1733000000000-exact-identifiers';

/**
 * The refund tables (issue 12) were written beside issue 10's exact-identifier migration and missed it:
 * their identifier columns compare byte for byte too (binary NO PAD, see 1733000000000), so a refund or
 * payment number, a user id or an Idempotency-Key never matches another one that differs in case,
 * accents or trailing spaces. Types and nullability are as created.
 */
export const REFUND_EXACT_COLUMNS: Record<string, Record<string, string>> = {
  t_refund: {
    refund_no: 'VARCHAR(40) NOT NULL',
    payment_no: 'VARCHAR(40) NOT NULL',
    order_no: 'VARCHAR(32) NOT NULL',
    user_id: 'VARCHAR(64) NOT NULL',
    requested_by: 'VARCHAR(64) NOT NULL',
    idempotency_key: 'VARCHAR(255) NULL',
    request_fingerprint: 'CHAR(64) NULL',
  },
  sandbox_refund: {
    out_trade_no: 'VARCHAR(64) NOT NULL',
    out_request_no: 'VARCHAR(64) NOT NULL',
    notify_id: 'VARCHAR(64) NULL',
  },
  sandbox_notify_attempt: { out_biz_no: 'VARCHAR(64) NULL' },
};

export class RefundExactIdentifiers1733260000000 implements MigrationInterface {
  name = 'RefundExactIdentifiers1733260000000';

  async up(q: QueryRunner): Promise<void> {
    const collation = await exactCollation(q);
    await this.convert(q, (def) => def.replace(/^(\S+)/, `$1 CHARACTER SET utf8mb4 COLLATE ${collation}`));
  }

  async down(q: QueryRunner): Promise<void> {
    await this.convert(q, (def) =>
      def.replace(/^(\S+)/, '$1 CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci'),
    );
  }

  private async convert(q: QueryRunner, typed: (def: string) => string): Promise<void> {
    for (const [table, columns] of Object.entries(REFUND_EXACT_COLUMNS)) {
      const modify = Object.entries(columns).map(([name, def]) => `MODIFY \`${name}\` ${typed(def)}`);
      await q.query(`ALTER TABLE \`${table}\` ${modify.join(', ')}`);
    }
  }
}
