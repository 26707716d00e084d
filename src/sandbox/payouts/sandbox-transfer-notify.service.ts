import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { createCipheriv, randomBytes, randomUUID } from 'node:crypto';
import { rsaSign } from '../sandbox-crypto';
import { toCstRfc3339 } from '../sandbox-time';
import { WechatSandboxKeysService } from '../wechat/wechat-sandbox-keys.service';
import { SandboxTransferRow } from './sandbox-payout.types';
import { SandboxTransferService } from './sandbox-transfer.service';

const RETRY_GAPS_MS = [500, 1000, 2000];

/**
 * WeChat's MCHTRANSFER.BILL.FINISHED notifies of the payout simulator: when a bill reaches SUCCESS, FAIL
 * or CANCELLED its notify (JSON with an AES-256-GCM resource under the APIv3 key, signed in Wechatpay-*
 * headers with the platform key) goes to the bill's notify_url, as the payee's notify mode says:
 * `normal` (re-sent on a non-2xx answer, 3 times), `drop`, `duplicate` (two at once), `late` (after
 * `delayMs`). In-process timers: a simulator, not a durable queue. Encrypted and signed with its own code.
 */
@Injectable()
export class SandboxTransferNotifyService implements OnModuleInit {
  private readonly logger = new Logger(SandboxTransferNotifyService.name);

  constructor(
    private readonly core: SandboxTransferService,
    private readonly keys: WechatSandboxKeysService,
  ) {}

  onModuleInit(): void {
    this.core.onFinished((row) => {
      if (row.protocol !== 'wechat' || !row.notify_url || row.notify_mode === 'drop') return;
      const send = () => void this.deliver(row, 0);
      if (row.notify_mode === 'late') setTimeout(send, row.notify_delay_ms).unref();
      else send();
      if (row.notify_mode === 'duplicate') send();
    });
  }

  private async deliver(row: SandboxTransferRow, attempt: number): Promise<void> {
    let status = 0;
    try {
      const { body, headers } = await this.build(row);
      const res = await fetch(row.notify_url!, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
        signal: AbortSignal.timeout(5000),
      });
      status = res.status;
      await this.core.countNotify(row.id);
    } catch (err) {
      this.logger.warn(`notify of ${row.out_no} failed: ${(err as Error).message}`);
    }
    if (status >= 200 && status < 300) return;
    if (attempt < RETRY_GAPS_MS.length) {
      setTimeout(() => void this.deliver(row, attempt + 1), RETRY_GAPS_MS[attempt]).unref();
    }
  }

  private async build(row: SandboxTransferRow): Promise<{ body: string; headers: Record<string, string> }> {
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
      id: randomUUID(),
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
        'wechatpay-timestamp': ts,
        'wechatpay-nonce': hnonce,
        'wechatpay-signature': rsaSign(`${ts}\n${hnonce}\n${body}\n`, keys.platformPrivatePem),
        'wechatpay-serial': keys.platformKeyId,
      },
    };
  }
}
