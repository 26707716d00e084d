import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One notify attempt log for the three simulated gateways (issue 23, the simulator core): the Alipay
 * sandbox's `sandbox_notify_attempt` gains `channel`, its `trade_status` / `out_biz_no` become the
 * protocol-neutral `event` / `ref`, and the WeChat and UnionPay attempt tables move into it (UnionPay
 * rows listed under the consume's order id, a refund's own order id as `ref`; its old `FAILED` outcome
 * is `NACKED` or `ERROR` as for the others). RENAME COLUMN keeps `ref`'s exact collation.
 */
export class SandboxOneAttemptLog1734710000000 implements MigrationInterface {
  name = 'SandboxOneAttemptLog1734710000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE sandbox_notify_attempt
      ADD COLUMN channel VARCHAR(16) NOT NULL DEFAULT 'alipay' AFTER id,
      CHANGE trade_status event VARCHAR(32) NOT NULL,
      RENAME COLUMN out_biz_no TO ref,
      DROP INDEX uq_sandbox_attempt,
      ADD UNIQUE KEY uq_sandbox_attempt (channel, notify_id, seq, copy),
      DROP INDEX idx_sandbox_attempt_trade,
      ADD KEY idx_sandbox_attempt_trade (channel, out_trade_no)`);
    await q.query(`INSERT IGNORE INTO sandbox_notify_attempt (channel, out_trade_no, notify_id, event, mode, seq,
        copy, outcome, http_status, response_body, error, payload, created_at, finished_at)
      SELECT 'wechat', out_trade_no, notify_id, event_type, mode, seq, copy, outcome, http_status, response_body,
        error, payload, created_at, finished_at FROM sandbox_wechat_notify_attempt ORDER BY id`);
    await q.query(`INSERT IGNORE INTO sandbox_notify_attempt (channel, out_trade_no, notify_id, event, ref, mode,
        seq, copy, outcome, http_status, error, created_at, finished_at)
      SELECT 'unionpay', COALESCE(c.order_id, a.order_id), a.notify_id,
        COALESCE(CONCAT(t.txn_type, '/', IF(t.status = 'SUCCESS', '00', '60')), ''),
        IF(c.order_id IS NULL, NULL, a.order_id), a.mode, a.seq, a.copy,
        IF(a.outcome = 'FAILED', IF(a.http_status IS NULL, 'ERROR', 'NACKED'), a.outcome),
        a.http_status, a.error, a.created_at, a.finished_at
      FROM sandbox_unionpay_notify_attempt a
      LEFT JOIN sandbox_unionpay_txn t ON t.id = (SELECT MAX(x.id) FROM sandbox_unionpay_txn x WHERE x.order_id = a.order_id)
      LEFT JOIN sandbox_unionpay_txn c ON c.query_id = t.orig_qry_id
      ORDER BY a.id`);
    await q.query('DROP TABLE sandbox_wechat_notify_attempt');
    await q.query('DROP TABLE sandbox_unionpay_notify_attempt');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE sandbox_wechat_notify_attempt (
      id BIGINT NOT NULL AUTO_INCREMENT, out_trade_no VARCHAR(32) NOT NULL, notify_id VARCHAR(64) NOT NULL,
      event_type VARCHAR(32) NOT NULL, mode VARCHAR(24) NOT NULL, seq INT NOT NULL, copy INT NOT NULL DEFAULT 1,
      outcome VARCHAR(16) NOT NULL DEFAULT 'SENDING', http_status INT NULL, response_body VARCHAR(256) NULL,
      error VARCHAR(256) NULL, payload TEXT NULL, created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      finished_at DATETIME(3) NULL, PRIMARY KEY (id), UNIQUE KEY uq_sbx_wx_attempt (notify_id, seq, copy),
      KEY idx_sbx_wx_attempt_trade (out_trade_no)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await q.query(`CREATE TABLE sandbox_unionpay_notify_attempt (
      id BIGINT NOT NULL AUTO_INCREMENT, order_id VARCHAR(40) NOT NULL, notify_id VARCHAR(64) NOT NULL,
      mode VARCHAR(24) NOT NULL, seq INT NOT NULL, copy INT NOT NULL DEFAULT 1,
      outcome VARCHAR(16) NOT NULL DEFAULT 'SENDING', http_status INT NULL, error VARCHAR(256) NULL,
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3), finished_at DATETIME(3) NULL,
      PRIMARY KEY (id), UNIQUE KEY uq_sbx_up_attempt (notify_id, seq, copy), KEY idx_sbx_up_attempt_order (order_id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await q.query(`INSERT INTO sandbox_wechat_notify_attempt (out_trade_no, notify_id, event_type, mode, seq, copy,
        outcome, http_status, response_body, error, payload, created_at, finished_at)
      SELECT out_trade_no, notify_id, event, mode, seq, copy, outcome, http_status, response_body, error, payload,
        created_at, finished_at FROM sandbox_notify_attempt WHERE channel = 'wechat' ORDER BY id`);
    await q.query(`INSERT INTO sandbox_unionpay_notify_attempt (order_id, notify_id, mode, seq, copy, outcome,
        http_status, error, created_at, finished_at)
      SELECT COALESCE(ref, out_trade_no), notify_id, mode, seq, copy, IF(outcome IN ('NACKED', 'ERROR'), 'FAILED', outcome),
        http_status, error, created_at, finished_at FROM sandbox_notify_attempt WHERE channel = 'unionpay' ORDER BY id`);
    await q.query("DELETE FROM sandbox_notify_attempt WHERE channel <> 'alipay'");
    await q.query(`ALTER TABLE sandbox_notify_attempt
      DROP INDEX uq_sandbox_attempt, ADD UNIQUE KEY uq_sandbox_attempt (notify_id, seq, copy),
      DROP INDEX idx_sandbox_attempt_trade, ADD KEY idx_sandbox_attempt_trade (out_trade_no),
      CHANGE event trade_status VARCHAR(24) NOT NULL, RENAME COLUMN ref TO out_biz_no, DROP COLUMN channel`);
  }
}
