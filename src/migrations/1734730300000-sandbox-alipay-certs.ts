import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The Alipay sandbox's certificates (public-key-certificate mode): rows `root_cert`, `app_cert` and
 * `alipay_cert` of sandbox_key keep their certificate (PEM; the root row the chain) beside the key.
 */
export class SandboxAlipayCerts1734730300000 implements MigrationInterface {
  name = 'SandboxAlipayCerts1734730300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE sandbox_key ADD COLUMN cert_pem TEXT NULL');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE sandbox_key DROP COLUMN cert_pem');
  }
}
