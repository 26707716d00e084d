import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { Queue } from 'bull';
import { Counter } from 'prom-client';
import { TransactionService } from '../../common/database/transaction.service';
import { PayoutFailedEvent, PayoutSucceededEvent, TOPICS } from '../../common/events/payment-events';
import { MetricsService } from '../../common/metrics/metrics.service';
import { OutboxService } from '../../common/outbox/outbox.service';
import { QUEUES } from '../../common/queue/queue.constants';
import { payoutConfig } from '../../config/configuration';
import { DedupService } from '../../idempotency';
import { WalletService } from '../../wallet';
import { queryOffsetMs } from '../payment-jobs';
import { Payout } from './payout.entity';
import { PayoutRepository } from './payout.repository';
import { PayoutClients } from './payout-clients';
import { PayoutTransfer, TransferResult } from './payout-gateway';
import { PayoutStatus } from './payout-state';

export type PayoutJob = { kind: 'send'; payoutNo: string } | { kind: 'query'; payoutNo: string; n: number };
export type PayoutSource = 'answer' | 'query' | 'notify' | 'sweeper' | 'admin' | 'review' | 'reconciliation';

/** Transfer queries follow PAYOUT_QUERY_DELAYS_MS, then doubling gaps (≤ 5 min) for a day; the sweeper after. */
const QUERY_HORIZON_MS = 24 * 3600_000;

/** Rolls the failing transaction (marker included) back when the CAS finds the payout moved. */
class Lost {}

/** Every gateway call of a payout is built from its stored row only: same number, same parameters. */
export function transferOf(p: Payout): PayoutTransfer {
  return {
    payoutNo: p.payoutNo,
    amount: p.amount,
    payeeIdentity: p.payeeIdentity,
    payeeName: p.payeeName,
    title: '钱包提现',
  };
}

/**
 * Talks to the gateways about payouts, after the creating commit, and never guesses. The transfer call
 * runs in a Bull job (`payout-send:<no>`); an answer that settles nothing schedules transfer queries
 * (`payout-query:<no>:<n>`), and the sweeper queries whatever stays PENDING. A query that finds no
 * transfer under the number sends it again — the same number, the same parameters (transferOf), which
 * the gateway treats as the same transfer; a new number is never made for a payout.
 *
 * Two functions change a payout's money state, and every path (answer, query, sweeper, admin) calls them:
 * `succeed` (CAS PENDING → SUCCEEDED, outbox `payout.succeeded`) and `fail` (marker
 * `t_uq_dipose('PAYOUT_REVERSED', no)` first, CAS to FAILED, the wallet credited back with one
 * PAYOUT_REVERSAL journal, the day's total given back, outbox `payout.failed`) — so the money goes back
 * once however many report the failure at once.
 */
@Injectable()
export class PayoutSettleService {
  private readonly logger = new Logger(PayoutSettleService.name);
  private readonly events: Counter<'event' | 'channel'>;

  constructor(
    private readonly tx: TransactionService,
    private readonly repo: PayoutRepository,
    private readonly clients: PayoutClients,
    private readonly wallet: WalletService,
    private readonly dedup: DedupService,
    private readonly outbox: OutboxService,
    @InjectQueue(QUEUES.PAYOUT) private readonly queue: Queue<PayoutJob>,
    @Inject(payoutConfig.KEY) private readonly cfg: ConfigType<typeof payoutConfig>,
    metrics: MetricsService,
  ) {
    this.events = metrics.counter('oncepay_payout_events_total', 'Payout lifecycle events', [
      'event',
      'channel',
    ]);
  }

  /** After the commit that made a payout PENDING: the transfer call as a job. Redis down → the sweeper. */
  async dispatch(payoutNo: string): Promise<void> {
    try {
      await this.queue.add({ kind: 'send', payoutNo }, { jobId: `payout-send:${payoutNo}` });
    } catch (err) {
      this.logger.warn(
        `payout ${payoutNo}: send job not added (the sweeper will): ${(err as Error).message}`,
      );
    }
  }

  /** The transfer call for a PENDING payout (first or again, same number and parameters). */
  async send(payoutNo: string, source: PayoutSource = 'answer', followUp = true): Promise<void> {
    const p = await this.repo.findByNo(null, payoutNo);
    if (!p || p.status !== 'PENDING') return;
    await this.repo.noteAttempt(payoutNo);
    this.events.inc({ event: 'sent', channel: p.channel });
    const res = await this.clients
      .of(p.channel)
      .transfer(transferOf(p))
      .catch((err: Error): TransferResult => ({ status: 'UNKNOWN', reason: err.message }));
    const settled = await this.onResult(p, res, source);
    if (!settled && followUp) await this.scheduleQuery(p, 1);
  }

  /**
   * One transfer query (a job with its `n`, or the sweeper / an admin with null: no follow-up). Returns
   * whether the payout is still PENDING afterwards. A SUCCEEDED payout may be asked too (admin recheck):
   * a bank bounce then returns its money.
   */
  async query(payoutNo: string, n: number | null, source: PayoutSource = 'query'): Promise<boolean> {
    const p = await this.repo.findByNo(null, payoutNo);
    if (!p || (p.status !== 'PENDING' && p.status !== 'SUCCEEDED')) return false;
    const res = await this.clients
      .of(p.channel)
      .query(transferOf(p))
      .catch((err: Error): TransferResult => ({ status: 'UNKNOWN', reason: err.message }));
    if (res.status === 'NOT_FOUND') {
      if (p.status === 'PENDING') {
        // not there (yet): the same number and parameters again, never a new payout
        this.logger.log(`payout ${payoutNo}: not found at the gateway, sending again under the same number`);
        await this.send(payoutNo, source, false);
      }
    } else {
      await this.onResult(p, res, source);
    }
    const pending = (await this.repo.findByNo(null, payoutNo))?.status === 'PENDING';
    if (pending && n !== null) await this.scheduleQuery(p, n + 1);
    return pending;
  }

  /** Acts on a gateway answer; true iff the payout is settled by it. */
  async onResult(p: Payout, res: TransferResult, source: PayoutSource): Promise<boolean> {
    switch (res.status) {
      case 'SUCCEEDED':
        if (p.status === 'PENDING') await this.succeed(p, res.channelOrderId, res.succeededAt, source);
        return true;
      case 'FAILED':
        // a SUCCEEDED payout is never failed by a later FAIL: only a bounce (REFUND) returns its money
        if (p.status === 'PENDING')
          await this.fail(p.payoutNo, `${res.code}: ${res.reason}`, ['PENDING'], source);
        return true;
      case 'BOUNCED':
        await this.fail(p.payoutNo, `BOUNCED: ${res.reason}`, ['PENDING', 'SUCCEEDED'], source);
        return true;
      case 'PENDING':
        await this.repo.touch(p.payoutNo, res.channelOrderId);
        return false;
      default:
        this.logger.log(
          `payout ${p.payoutNo}: ${res.status}${'reason' in res ? ` (${res.reason})` : ''}; querying later`,
        );
        if (p.status === 'PENDING') await this.repo.touch(p.payoutNo, null);
        return false;
    }
  }

  /** PENDING → SUCCEEDED once (the CAS decides), with `payout.succeeded` in the same transaction. */
  async succeed(p: Payout, channelOrderId: string | null, at: Date | null, source: PayoutSource) {
    // the gateways give whole seconds (Alipay pay_date, WeChat update_time): never before our own createdAt
    const when = at === null ? new Date() : new Date(Math.max(at.getTime(), p.createdAt.getTime()));
    const won = await this.tx.run(async (m) => {
      const ok = await this.repo.cas(m, p.payoutNo, 'PENDING', 'SUCCEEDED', {
        succeeded_at: when,
        channel_order_id: channelOrderId,
      });
      if (!ok) return false;
      const ev: PayoutSucceededEvent = {
        payoutNo: p.payoutNo,
        userId: p.userId,
        channel: p.channel,
        amount: p.amount,
        channelOrderId,
        succeededAt: when.toISOString(),
      };
      await this.outbox.add(m, TOPICS.PAYOUT_SUCCEEDED, p.payoutNo, ev);
      return true;
    });
    if (won) {
      this.events.inc({ event: 'succeeded', channel: p.channel });
      this.logger.log(`payout ${p.payoutNo} SUCCEEDED (${source}): ${p.amount} fen to ${p.channel}`);
    }
    return won;
  }

  /**
   * `from` → FAILED and the money back to the wallet, once: the PAYOUT_REVERSED marker first, then the
   * CAS; a CAS that finds the payout moved rolls the marker back. True iff this call did it.
   */
  async fail(payoutNo: string, reason: string, from: PayoutStatus[], source: PayoutSource): Promise<boolean> {
    const res = await this.tx
      .run(
        (m) =>
          this.dedup.runOnce(
            'PAYOUT_REVERSED',
            payoutNo,
            async (mm) => {
              const p = await this.repo.findByNo(mm, payoutNo);
              if (!p || !from.includes(p.status)) throw new Lost();
              const now = new Date();
              if (
                !(await this.repo.cas(mm, payoutNo, p.status, 'FAILED', {
                  failed_reason: reason.slice(0, 255),
                  failed_at: now,
                }))
              ) {
                throw new Lost();
              }
              await this.wallet.returnPayout(mm, {
                userId: p.userId,
                amount: p.amount,
                payoutNo,
                channel: p.channel,
              });
              await this.repo.giveBackDaily(mm, p.userId, p.chinaDay, p.amount);
              const ev: PayoutFailedEvent = {
                payoutNo,
                userId: p.userId,
                channel: p.channel,
                amount: p.amount,
                reason: reason.slice(0, 255),
                bounced: p.status === 'SUCCEEDED',
                failedAt: now.toISOString(),
              };
              await this.outbox.add(mm, TOPICS.PAYOUT_FAILED, payoutNo, ev);
              return p;
            },
            { manager: m },
          ),
        { attempts: 5 },
      )
      .catch((err) => {
        if (err instanceof Lost) return { status: 'lost' as const };
        throw err;
      });
    if (res.status !== 'done') return false;
    this.events.inc({
      event: res.result.status === 'SUCCEEDED' ? 'bounced' : 'failed',
      channel: res.result.channel,
    });
    this.logger.log(
      `payout ${payoutNo} FAILED (${source}): ${reason}; ${res.result.amount} fen back to the wallet`,
    );
    return true;
  }

  /** Schedules transfer query n (deterministic jobId); false once past the query horizon. */
  async scheduleQuery(p: Payout, n: number): Promise<boolean> {
    const offset = queryOffsetMs(n, this.cfg.queryDelaysMs, QUERY_HORIZON_MS);
    if (offset === null) return false;
    const base = (p.sentAt ?? new Date()).getTime();
    try {
      await this.queue.add(
        { kind: 'query', payoutNo: p.payoutNo, n },
        { jobId: `payout-query:${p.payoutNo}:${n}`, delay: Math.max(0, base + offset - Date.now()) },
      );
      return true;
    } catch (err) {
      this.logger.warn(
        `payout ${p.payoutNo}: query ${n} not scheduled (the sweeper will): ${(err as Error).message}`,
      );
      return false;
    }
  }
}
