import { Injectable } from '@nestjs/common';
import { createCipheriv, randomBytes } from 'node:crypto';
import { rsaSign } from '../sandbox-crypto';
import { toCstRfc3339 } from '../sandbox-time';
import { WechatSandboxKeysService } from '../wechat/wechat-sandbox-keys.service';
import { SandboxTransferRow } from './sandbox-payout.types';
import type { TransferNotifyWire } from './sandbox-transfer-notify.service';

/**
 * WeChat's MCHTRANSFER.BILL.FINISHED on the wire: JSON with the bill in an AES-256-GCM resource under the
 * APIv3 key, signed in Wechatpay-* headers with the platform key; any 2xx answer acknowledges it.
 */
@Injectable()
export class SandboxWechatTransferNotify implements TransferNotifyWire {
  constructor(private readonly keys: WechatSandboxKeysService) {}

  acked(status: number): boolean {
    return status >= 200 && status < 300;
  }

  async build(row: SandboxTransferRow, notifyId: string) {
    const keys = await this.keys.get();
    const resource = JSON.stringify({
      out_bill_no: row.out_no,
      transfer_bill_no: row.order_id,
      state: row.status,
      mch_id: row.mch_id,
      transfer_amount: row.amount,
      openid: row.payee_identity,
      ...(row.fail_reason ? { fail_reason: row.fail_reason } : {}),
      create_time: toCstRfc3339(row.created_at),
      update_time: toCstRfc3339(row.updated_at),
    });
    const nonce = randomBytes(6).toString('hex');
    const aad = 'mch_payment';
    const c = createCipheriv('aes-256-gcm', Buffer.from(keys.apiV3Key, 'utf8'), Buffer.from(nonce, 'utf8'));
    c.setAAD(Buffer.from(aad, 'utf8'));
    const ciphertext = Buffer.concat([c.update(resource, 'utf8'), c.final(), c.getAuthTag()]).toString(
      'base64',
    );
    const body = JSON.stringify({
      id: notifyId,
      create_time: toCstRfc3339(new Date()),
      resource_type: 'encrypt-resource',
      event_type: 'MCHTRANSFER.BILL.FINISHED',
      summary: '商家转账单据终态通知',
      resource: {
        original_type: 'mch_payment',
        algorithm: 'AEAD_AES_256_GCM',
        ciphertext,
        associated_data: aad,
        nonce,
      },
    });
    const ts = String(Math.floor(Date.now() / 1000));
    const hnonce = randomBytes(16).toString('hex').toUpperCase();
    return {
      body,
      headers: {
        'content-type': 'application/json',
        'wechatpay-timestamp': ts,
        'wechatpay-nonce': hnonce,
        'wechatpay-signature': rsaSign(`${ts}\n${hnonce}\n${body}\n`, keys.platformPrivatePem),
        'wechatpay-serial': keys.platformKeyId,
      },
    };
  }
}
