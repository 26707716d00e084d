import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The WeChat Pay v3 simulator's state (src/sandbox/wechat), beside the Alipay one and apart from it:
 * its keys (platform pair, merchant pair, APIv3 key), Native transactions, refunds and notify attempts.
 * Amounts are integer fen, as in the protocol.
 */
export class WechatSandbox1733300000000 implements MigrationInterface {
  name = 'WechatSandbox1733300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE sandbox_wechat_key (
      name VARCHAR(32) NOT NULL,
      private_pem TEXT NULL,
      public_pem TEXT NULL,
      serial VARCHAR(64) NULL,
      secret VARCHAR(64) NULL,
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      PRIMARY KEY (name)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await q.query(`CREATE TABLE sandbox_wechat_transaction (
      id BIGINT NOT NULL AUTO_INCREMENT,
      out_trade_no VARCHAR(32) NOT NULL,
      transaction_id VARCHAR(32) NOT NULL,
      appid VARCHAR(32) NOT NULL,
      mchid VARCHAR(32) NOT NULL,
      total BIGINT NOT NULL,
      description VARCHAR(127) NOT NULL,
      time_expire VARCHAR(40) NULL,
      notify_url VARCHAR(512) NOT NULL,
      params_hash CHAR(64) NOT NULL,
      code_url VARCHAR(256) NOT NULL,
      trade_state VARCHAR(16) NOT NULL DEFAULT 'NOTPAY',
      payer_openid VARCHAR(64) NULL,
      paid_after_close TINYINT NOT NULL DEFAULT 0,
      query_fault VARCHAR(24) NULL,
      query_fault_left INT NOT NULL DEFAULT 0,
      close_fault VARCHAR(24) NULL,
      close_fault_left INT NOT NULL DEFAULT 0,
      refund_fault VARCHAR(24) NULL,
      refund_fault_left INT NOT NULL DEFAULT 0,
      refund_outcome VARCHAR(16) NOT NULL DEFAULT 'SUCCESS',
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      success_time DATETIME(3) NULL,
      close_time DATETIME(3) NULL,
      version INT NOT NULL DEFAULT 0,
      PRIMARY KEY (id),
      UNIQUE KEY uq_sbx_wx_out_trade_no (out_trade_no),
      UNIQUE KEY uq_sbx_wx_transaction_id (transaction_id),
      KEY idx_sbx_wx_success_time (success_time)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await q.query(`CREATE TABLE sandbox_wechat_refund (
      id BIGINT NOT NULL AUTO_INCREMENT,
      out_refund_no VARCHAR(64) NOT NULL,
      refund_id VARCHAR(32) NOT NULL,
      out_trade_no VARCHAR(32) NOT NULL,
      refund BIGINT NOT NULL,
      total BIGINT NOT NULL,
      reason VARCHAR(80) NULL,
      notify_url VARCHAR(512) NULL,
      status VARCHAR(16) NOT NULL DEFAULT 'PROCESSING',
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      success_time DATETIME(3) NULL,
      PRIMARY KEY (id),
      UNIQUE KEY uq_sbx_wx_out_refund_no (out_refund_no),
      UNIQUE KEY uq_sbx_wx_refund_id (refund_id),
      KEY idx_sbx_wx_refund_trade (out_trade_no),
      KEY idx_sbx_wx_refund_success (success_time)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await q.query(`CREATE TABLE sandbox_wechat_notify_attempt (
      id BIGINT NOT NULL AUTO_INCREMENT,
      out_trade_no VARCHAR(32) NOT NULL,
      notify_id VARCHAR(64) NOT NULL,
      event_type VARCHAR(32) NOT NULL,
      mode VARCHAR(24) NOT NULL,
      seq INT NOT NULL,
      copy INT NOT NULL DEFAULT 1,
      outcome VARCHAR(16) NOT NULL DEFAULT 'SENDING',
      http_status INT NULL,
      response_body VARCHAR(256) NULL,
      error VARCHAR(256) NULL,
      payload TEXT NULL,
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      finished_at DATETIME(3) NULL,
      PRIMARY KEY (id),
      UNIQUE KEY uq_sbx_wx_attempt (notify_id, seq, copy),
      KEY idx_sbx_wx_attempt_trade (out_trade_no)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE sandbox_wechat_notify_attempt');
    await q.query('DROP TABLE sandbox_wechat_refund');
    await q.query('DROP TABLE sandbox_wechat_transaction');
    await q.query('DROP TABLE sandbox_wechat_key');
  }
}
