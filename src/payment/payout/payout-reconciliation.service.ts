import { Injectable, Logger } from '@nestjs/common';
import { cstDay } from '../../common/china-time';
import { DomainError, ErrorCode } from '../../common/errors';
import { AnomalyRepository } from '../anomaly/anomaly.repository';
import { Payout } from './payout.entity';
import { PayoutRepository } from './payout.repository';
import { PayoutClients } from './payout-clients';
import { FundBillLine } from './payout-gateway';
import { PayoutSettleService } from './payout-settle.service';
import { PAYOUT_CHANNELS, PayoutChannel } from './payout-state';

export interface PayoutMismatch {
  payoutNo: string;
  channel: PayoutChannel;
  /** payout_missing_local · payout_missing_remote · payout_amount · payout_status */
  kind: string;
  repaired: boolean;
}

/** The anomaly kind (t_payment_anomaly, keyed by the payout number) of each mismatch that needs a person. */
const ANOMALY: Record<string, string> = {
  payout_missing_local: 'PAYOUT_MISSING_LOCAL',
  payout_missing_remote: 'PAYOUT_MISSING_REMOTE',
  payout_amount: 'PAYOUT_AMOUNT',
  payout_status: 'PAYOUT_STATUS',
};

const bounced = (p: Payout) => p.status === 'FAILED' && (p.failedReason ?? '').startsWith('BOUNCED');

/**
 * The payout half of reconciliation (issue 26): each payout channel's fund bill of a day against t_payout.
 * The bill is evidence, never a verdict: a payout the bill shows paid (OUT) or bounced back (IN) that is
 * not in that state here is asked about through the transfer query (PayoutSettleService.query, the one
 * settle path) and repaired only if the query settles it. What the query cannot settle is reported; what
 * needs a person is also an anomaly (once per payout and kind):
 * - `payout_missing_local`: a transfer under a number oncepay never issued (or of another channel);
 * - `payout_amount`: the bill's amount is not the payout's;
 * - `payout_status`: paid at the gateway while FAILED here (its money went back to the wallet) or still in
 *   REVIEW; repaired (no anomaly) when the query settled a PENDING / SUCCEEDED one to match the bill;
 * - `payout_missing_remote`: SUCCEEDED here that day, no OUT line on the bill.
 * Re-running a day is harmless: repaired payouts match the second time, anomalies are recorded once.
 */
@Injectable()
export class PayoutReconciliationService {
  private readonly logger = new Logger(PayoutReconciliationService.name);

  constructor(
    private readonly repo: PayoutRepository,
    private readonly clients: PayoutClients,
    private readonly settle: PayoutSettleService,
    private readonly anomalies: AnomalyRepository,
  ) {}

  /** @throws DomainError GATEWAY_UNAVAILABLE when a payout channel's fund bill cannot be downloaded. */
  async reconcile(date: string): Promise<{ checked: number; mismatches: PayoutMismatch[] }> {
    const day = cstDay(date);
    if (!day) throw new DomainError(ErrorCode.VALIDATION_FAILED, `date ${date} is not a day`, { date });
    const mismatches: PayoutMismatch[] = [];
    let checked = 0;
    for (const channel of PAYOUT_CHANNELS.filter((c) => this.clients.enabled(c))) {
      const bill = await this.clients.of(channel).fundBill(date);
      if (!bill.ok) {
        this.logger.warn(`fund bill of ${channel} for ${date}: ${bill.reason}`);
        throw new DomainError(
          ErrorCode.GATEWAY_UNAVAILABLE,
          `fund bill of ${channel} for ${date} could not be downloaded`,
        );
      }
      const byNo = new Map<string, FundBillLine[]>();
      for (const l of bill.lines) byNo.set(l.payoutNo, [...(byNo.get(l.payoutNo) ?? []), l]);
      for (const [no, lines] of byNo) {
        const m = await this.check(date, channel, no, lines);
        if (m) mismatches.push(m);
      }
      for (const p of await this.repo.findSucceededBetween(channel, day[0], day[1])) {
        if (byNo.get(p.payoutNo)?.some((l) => l.direction === 'OUT')) continue;
        byNo.set(p.payoutNo, []);
        mismatches.push(
          await this.report(date, p.payoutNo, channel, 'payout_missing_remote', { local: view(p) }),
        );
      }
      checked += byNo.size;
    }
    if (mismatches.length) {
      this.logger.warn(`payout reconciliation ${date}: ${checked} checked, ${mismatches.length} mismatches`);
    }
    return { checked, mismatches };
  }

  private async check(
    date: string,
    channel: PayoutChannel,
    no: string,
    lines: FundBillLine[],
  ): Promise<PayoutMismatch | null> {
    const bill = lines.map((l) => ({ direction: l.direction, amount: l.amount, orderId: l.orderId }));
    let p = await this.repo.findByNo(null, no);
    if (!p || p.channel !== channel) {
      return this.report(date, no, channel, 'payout_missing_local', { bill, local: p && view(p) });
    }
    if (lines.some((l) => l.amount !== p!.amount)) {
      return this.report(date, no, channel, 'payout_amount', { bill, local: view(p) });
    }
    const back = lines.some((l) => l.direction === 'IN');
    // paid, or paid and bounced back: what the bill says the payout is now
    const matches = (x: Payout) => (back ? bounced(x) : x.status === 'SUCCEEDED' || bounced(x));
    if (matches(p)) return null;
    if (p.status === 'PENDING' || (back && p.status === 'SUCCEEDED')) {
      // never settled from the bill alone: the transfer query decides, through the one settle path
      await this.settle.query(no, null, 'reconciliation');
      p = (await this.repo.findByNo(null, no))!;
      if (matches(p)) return { payoutNo: no, channel, kind: 'payout_status', repaired: true };
      if (p.status === 'PENDING' || p.status === 'SUCCEEDED') {
        // the query did not settle it (UNKNOWN, or not there yet): the next run or the sweeper will
        return { payoutNo: no, channel, kind: 'payout_status', repaired: false };
      }
    }
    // FAILED here (money back in the wallet) or REVIEW, while the gateway moved the money: a person decides
    return this.report(date, no, channel, 'payout_status', { bill, local: view(p) });
  }

  private async report(
    date: string,
    payoutNo: string,
    channel: PayoutChannel,
    kind: string,
    detail: Record<string, unknown>,
  ): Promise<PayoutMismatch> {
    await this.anomalies.record(
      null,
      payoutNo,
      ANOMALY[kind],
      { source: 'reconciliation', date, channel, payoutNo, ...detail },
      { once: true },
    );
    return { payoutNo, channel, kind, repaired: false };
  }
}

function view(p: Payout) {
  return { status: p.status, amount: p.amount, failedReason: p.failedReason };
}
