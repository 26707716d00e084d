import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Catalog, orders and wallet accounts (the order module's tables). Portable between MySQL 8.4 and
 * MariaDB 10.11: no CHECK-dependent logic, no generated columns, no JSON. Timestamps are written by
 * the application (UTC), so no ON UPDATE clauses depend on the server's time zone.
 */
export class Orders1732351000000 implements MigrationInterface {
  name = 'Orders1732351000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE t_product (
      id BIGINT NOT NULL AUTO_INCREMENT,
      sku VARCHAR(64) NOT NULL,
      name VARCHAR(128) NOT NULL,
      price BIGINT NOT NULL,
      stock INT NOT NULL,
      version INT NOT NULL DEFAULT 0,
      created_at DATETIME(3) NOT NULL,
      updated_at DATETIME(3) NOT NULL,
      PRIMARY KEY (id),
      UNIQUE KEY uq_product_sku (sku)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);

    await q.query(`CREATE TABLE t_order (
      id BIGINT NOT NULL AUTO_INCREMENT,
      order_no VARCHAR(32) NOT NULL,
      user_id VARCHAR(64) NOT NULL,
      type VARCHAR(16) NOT NULL,
      status VARCHAR(16) NOT NULL,
      total_amount BIGINT NOT NULL,
      currency CHAR(3) NOT NULL DEFAULT 'CNY',
      remark VARCHAR(200) NULL,
      version INT NOT NULL DEFAULT 0,
      idempotency_key VARCHAR(255) NULL,
      request_fingerprint CHAR(64) NULL,
      expires_at DATETIME(3) NOT NULL,
      paid_at DATETIME(3) NULL,
      cancelled_at DATETIME(3) NULL,
      created_at DATETIME(3) NOT NULL,
      updated_at DATETIME(3) NOT NULL,
      PRIMARY KEY (id),
      UNIQUE KEY uq_order_no (order_no),
      UNIQUE KEY uq_order_user_idem (user_id, idempotency_key),
      KEY idx_order_user (user_id, id),
      KEY idx_order_status_expires (status, expires_at)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);

    await q.query(`CREATE TABLE t_order_item (
      id BIGINT NOT NULL AUTO_INCREMENT,
      order_id BIGINT NOT NULL,
      product_id BIGINT NOT NULL,
      sku VARCHAR(64) NOT NULL,
      name VARCHAR(128) NOT NULL,
      quantity INT NOT NULL,
      unit_price BIGINT NOT NULL,
      PRIMARY KEY (id),
      KEY idx_order_item_order (order_id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);

    await q.query(`CREATE TABLE t_user_account (
      user_id VARCHAR(64) NOT NULL,
      balance BIGINT NOT NULL DEFAULT 0,
      currency CHAR(3) NOT NULL DEFAULT 'CNY',
      version INT NOT NULL DEFAULT 0,
      created_at DATETIME(3) NOT NULL,
      updated_at DATETIME(3) NOT NULL,
      PRIMARY KEY (user_id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE t_user_account`);
    await q.query(`DROP TABLE t_order_item`);
    await q.query(`DROP TABLE t_order`);
    await q.query(`DROP TABLE t_product`);
  }
}
