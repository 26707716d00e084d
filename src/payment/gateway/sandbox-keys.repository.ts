import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

/** One row of sandbox_wechat_key as the WeChat client reads it (which columns are set depends on the key). */
export type SandboxWechatKeyRow = Record<'private_pem' | 'public_pem' | 'serial' | 'secret', string | null>;

/**
 * The sandbox's published keys, read-only: in sandbox mode the gateway clients read the keys the
 * simulators publish in sandbox_key (Alipay) and sandbox_wechat_key (WeChat Pay), as a merchant would
 * copy them from the gateway's console. The sandbox module is never imported; these two reads are the
 * payment module's only contact with its tables. A manager joins the caller's transaction (null: none).
 */
@Injectable()
export class SandboxKeysRepository {
  constructor(private readonly ds: DataSource) {}

  private m(manager: EntityManager | null): EntityManager {
    return manager ?? this.ds.manager;
  }

  /** One PEM of the Alipay sandbox's key `name` ('merchant', 'gateway', 'app_cert', …); null if not generated yet. */
  async findAlipayPem(
    manager: EntityManager | null,
    name: string,
    column: 'private_pem' | 'public_pem' | 'cert_pem',
  ): Promise<string | null> {
    const rows: Array<Record<string, string | null>> = await this.m(manager).query(
      `SELECT ${column} AS pem FROM sandbox_key WHERE name = ?`,
      [name],
    );
    return rows[0]?.pem ?? null;
  }

  /** The WeChat sandbox's key `name` ('merchant', 'platform', 'apiv3'); null if not generated yet. */
  async findWechatKey(manager: EntityManager | null, name: string): Promise<SandboxWechatKeyRow | null> {
    const rows: SandboxWechatKeyRow[] = await this.m(manager).query(
      'SELECT private_pem, public_pem, serial, secret FROM sandbox_wechat_key WHERE name = ?',
      [name],
    );
    return rows[0] ?? null;
  }

  /** The UnionPay sandbox's certificate `name` ('root', 'middle', 'merchant') and its key; null if not generated yet. */
  async findUnionpayKey(
    manager: EntityManager | null,
    name: string,
  ): Promise<{ private_pem: string | null; cert_pem: string } | null> {
    const rows: Array<{ private_pem: string | null; cert_pem: string }> = await this.m(manager).query(
      'SELECT private_pem, cert_pem FROM sandbox_unionpay_key WHERE name = ?',
      [name],
    );
    return rows[0] ?? null;
  }
}
