import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { PayoutProtocol, SandboxTransferRow } from './sandbox-payout.types';
import { SandboxAlipayTransferNotify } from './sandbox-alipay-transfer-notify';
import { SandboxTransferService } from './sandbox-transfer.service';
import { SandboxWechatTransferNotify } from './sandbox-wechat-transfer-notify';

const RETRY_GAPS_MS = [500, 1000, 2000];

/** One protocol's transfer notify: what goes on the wire, and which answer its gateway takes as handled. */
export interface TransferNotifyWire {
  /** The signed notify of the transfer as it is now; `notifyId` is the same for every delivery of it. */
  build(
    row: SandboxTransferRow,
    notifyId: string,
  ): Promise<{ body: string; headers: Record<string, string> }>;
  acked(status: number, body: string): boolean;
}

/**
 * The transfer notifies of the payout simulator, both protocols: when a transfer reaches SUCCESS, FAIL,
 * CANCELLED (WeChat) or REFUND (an Alipay bounce), its notify goes to the notify_url the transfer call gave,
 * as the payee's notify mode says: `normal` (re-sent while the answer is not the protocol's acknowledgement,
 * 3 times), `drop`, `duplicate` (two at once), `late` (after `delayMs`). The wire is the protocol's
 * (sandbox-wechat-transfer-notify.ts: MCHTRANSFER.BILL.FINISHED; sandbox-alipay-transfer-notify.ts:
 * alipay.fund.trans.order.changed), signed with the simulator's own code. In-process timers: a simulator,
 * not a durable queue.
 */
@Injectable()
export class SandboxTransferNotifyService implements OnModuleInit {
  private readonly logger = new Logger(SandboxTransferNotifyService.name);
  private readonly wires: Record<PayoutProtocol, TransferNotifyWire>;

  constructor(
    private readonly core: SandboxTransferService,
    wechat: SandboxWechatTransferNotify,
    alipay: SandboxAlipayTransferNotify,
  ) {
    this.wires = { wechat, alipay };
  }

  onModuleInit(): void {
    this.core.onFinished((row) => {
      if (!row.notify_url || row.notify_mode === 'drop') return;
      const notifyId = randomUUID().replace(/-/g, '');
      const send = () => void this.deliver(row, notifyId, 0);
      if (row.notify_mode === 'late') setTimeout(send, row.notify_delay_ms).unref();
      else send();
      if (row.notify_mode === 'duplicate') send();
    });
  }

  private async deliver(row: SandboxTransferRow, notifyId: string, attempt: number): Promise<void> {
    const wire = this.wires[row.protocol];
    let acked = false;
    try {
      const { body, headers } = await wire.build(row, notifyId);
      const res = await fetch(row.notify_url!, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(5000),
      });
      acked = wire.acked(res.status, await res.text());
      await this.core.countNotify(row.id);
    } catch (err) {
      this.logger.warn(`notify of ${row.out_no} failed: ${(err as Error).message}`);
    }
    if (acked) return;
    if (attempt < RETRY_GAPS_MS.length) {
      setTimeout(() => void this.deliver(row, notifyId, attempt + 1), RETRY_GAPS_MS[attempt]).unref();
    }
  }
}
