import { MigrationInterface, QueryRunner } from 'typeorm';

/** Payment attempts (one per order and channel attempt) and the anomalies seen on them. */
export class Payments1732352100000 implements MigrationInterface {
  name = 'Payments1732352100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE t_payment (
      id BIGINT NOT NULL AUTO_INCREMENT,
      payment_no VARCHAR(40) NOT NULL,
      order_no VARCHAR(32) NOT NULL,
      user_id VARCHAR(64) NOT NULL,
      channel VARCHAR(16) NOT NULL,
      amount BIGINT NOT NULL,
      status VARCHAR(16) NOT NULL,
      channel_trade_no VARCHAR(64) NULL,
      qr_code VARCHAR(512) NULL,
      subject VARCHAR(128) NOT NULL,
      version INT NOT NULL DEFAULT 0,
      expires_at DATETIME(3) NOT NULL,
      paid_at DATETIME(3) NULL,
      closed_at DATETIME(3) NULL,
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
      PRIMARY KEY (id),
      UNIQUE KEY uq_payment_no (payment_no),
      UNIQUE KEY uq_payment_channel_trade_no (channel_trade_no),
      KEY idx_payment_order (order_no, channel, status),
      KEY idx_payment_paid (status, paid_at)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await q.query(`CREATE TABLE t_payment_anomaly (
      id BIGINT NOT NULL AUTO_INCREMENT,
      payment_no VARCHAR(40) NOT NULL,
      kind VARCHAR(32) NOT NULL,
      detail TEXT NULL,
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      PRIMARY KEY (id),
      KEY idx_payment_anomaly_no (payment_no, kind)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE t_payment_anomaly`);
    await q.query(`DROP TABLE t_payment`);
  }
}
