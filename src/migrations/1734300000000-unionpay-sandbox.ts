import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The UnionPay simulator's state (src/sandbox/unionpay): its test PKI and merchant record
 * (sandbox_unionpay_key), its transactions — consumes and refunds, named as UnionPay names them,
 * merId + orderId + txnTime — and its notify attempts. Amounts are integer fen, as in the protocol.
 */
export class UnionpaySandbox1734300000000 implements MigrationInterface {
  name = 'UnionpaySandbox1734300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE sandbox_unionpay_key (
      name VARCHAR(32) NOT NULL,
      private_pem TEXT NULL,
      cert_pem TEXT NOT NULL,
      mer_id VARCHAR(15) NULL,
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      PRIMARY KEY (name)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await q.query(`CREATE TABLE sandbox_unionpay_txn (
      id BIGINT NOT NULL AUTO_INCREMENT,
      mer_id VARCHAR(15) NOT NULL,
      order_id VARCHAR(40) NOT NULL,
      txn_time CHAR(14) NOT NULL,
      txn_type CHAR(2) NOT NULL,
      txn_amt BIGINT NOT NULL,
      query_id VARCHAR(32) NOT NULL,
      orig_qry_id VARCHAR(32) NULL,
      back_url VARCHAR(512) NOT NULL,
      qr_code VARCHAR(256) NULL,
      pay_timeout CHAR(14) NULL,
      status VARCHAR(16) NOT NULL,
      refunded BIGINT NOT NULL DEFAULT 0,
      query_fault VARCHAR(24) NULL,
      query_fault_left INT NOT NULL DEFAULT 0,
      refund_fault VARCHAR(24) NULL,
      refund_fault_left INT NOT NULL DEFAULT 0,
      refund_outcome VARCHAR(8) NOT NULL DEFAULT 'SUCCESS',
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      done_at DATETIME(3) NULL,
      PRIMARY KEY (id),
      UNIQUE KEY uq_sbx_up_txn (mer_id, order_id, txn_time),
      UNIQUE KEY uq_sbx_up_query_id (query_id),
      KEY idx_sbx_up_order (order_id),
      KEY idx_sbx_up_done (done_at)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await q.query(`CREATE TABLE sandbox_unionpay_notify_attempt (
      id BIGINT NOT NULL AUTO_INCREMENT,
      order_id VARCHAR(40) NOT NULL,
      notify_id VARCHAR(64) NOT NULL,
      mode VARCHAR(24) NOT NULL,
      seq INT NOT NULL,
      copy INT NOT NULL DEFAULT 1,
      outcome VARCHAR(16) NOT NULL DEFAULT 'SENDING',
      http_status INT NULL,
      error VARCHAR(256) NULL,
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      finished_at DATETIME(3) NULL,
      PRIMARY KEY (id),
      UNIQUE KEY uq_sbx_up_attempt (notify_id, seq, copy),
      KEY idx_sbx_up_attempt_order (order_id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE sandbox_unionpay_notify_attempt');
    await q.query('DROP TABLE sandbox_unionpay_txn');
    await q.query('DROP TABLE sandbox_unionpay_key');
  }
}
