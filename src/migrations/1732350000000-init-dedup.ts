import { MigrationInterface, QueryRunner } from 'typeorm';

/** t_uq_dipose: the exactly-once marker table, exactly as the product brief names it. */
export class InitDedup1732350000000 implements MigrationInterface {
  name = 'InitDedup1732350000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE t_uq_dipose (
      id BIGINT NOT NULL AUTO_INCREMENT,
      ref_type VARCHAR(32) NOT NULL,
      ref_id VARCHAR(64) NOT NULL,
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      PRIMARY KEY (id),
      UNIQUE KEY uq_1 (ref_type, ref_id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE t_uq_dipose`);
  }
}
