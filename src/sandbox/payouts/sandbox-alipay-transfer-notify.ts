import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { sandboxConfig } from '../../config/configuration';
import { rsaSign, signContent } from '../sandbox-crypto';
import { SandboxKeyService } from '../sandbox-key.service';
import { fenToYuan } from '../sandbox-money';
import { fundStatusFields } from './sandbox-alipay-fund.service';
import { SandboxTransferRow } from './sandbox-payout.types';
import type { TransferNotifyWire } from './sandbox-transfer-notify.service';

/**
 * Alipay's `alipay.fund.trans.order.changed` (open-platform message service, version 1.1) on the wire: a
 * form of msg_method, app_id, utc_timestamp, version, charset, sign_type, notify_id and biz_content (the
 * fund order as JSON), signed RSA2 with the gateway key over the sorted `k=v` of every field but `sign` and
 * `sign_type` (the async-notify rule). Acknowledged only by HTTP 200 with exactly `success`.
 */
@Injectable()
export class SandboxAlipayTransferNotify implements TransferNotifyWire {
  constructor(
    private readonly keys: SandboxKeyService,
    @Inject(sandboxConfig.KEY) private readonly cfg: ConfigType<typeof sandboxConfig>,
  ) {}

  acked(status: number, body: string): boolean {
    return status === 200 && body === 'success';
  }

  async build(row: SandboxTransferRow, notifyId: string) {
    const biz = {
      out_biz_no: row.out_no,
      order_id: row.order_id,
      pay_fund_order_id: `${row.order_id}01`,
      product_code: 'TRANS_ACCOUNT_NO_PWD',
      biz_scene: 'DIRECT_TRANSFER',
      origin_interface: 'alipay.fund.trans.uni.transfer',
      action_type: row.status === 'REFUND' ? 'REFUND' : 'FINISH',
      trans_amount: fenToYuan(row.amount),
      ...fundStatusFields(row),
    };
    const params: Record<string, string> = {
      notify_id: notifyId,
      utc_timestamp: String(Date.now()),
      msg_method: 'alipay.fund.trans.order.changed',
      app_id: row.app_id ?? this.cfg.alipay.appId,
      version: '1.1',
      charset: 'utf-8',
      sign_type: 'RSA2',
      biz_content: JSON.stringify(biz),
    };
    params.sign = rsaSign(signContent(params, true), await this.keys.gatewayPrivateKey());
    return {
      body: new URLSearchParams(params).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    };
  }
}
