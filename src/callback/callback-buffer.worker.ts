import { PollLoop } from '../common/poll-loop';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import pLimit from 'p-limit';
import { Counter } from 'prom-client';
import { MetricsService } from '../common/metrics/metrics.service';
import { callbackConfig } from '../config/configuration';
import { backoffMs } from '../common/leased-queue';
import { parseNotify } from './alipay-notify';
import { BufferedRow, CallbackLogRepository } from './callback-log.repository';
import { NotifyHandler } from './notify-handler.service';
import { PaymentRepository } from '../payment/payment.repository';

const BATCH = 20;
/** Trades applied side by side within one pass (each takes one pooled connection while it applies). */
const PARALLEL_TRADES = 4;
const LEASE_MS = 30000;
const MAX_BACKOFF_MS = 600000;
/** After this many tries a row that still cannot be applied (a trade we never had) is given up on. */
const MAX_ATTEMPTS = 20;

/**
 * Buffered mode's worker: applies appended notifies from t_callback_log exactly once through the
 * same NotifyHandler as sync mode. Rows are claimed with `FOR UPDATE SKIP LOCKED` plus a lease
 * (the shared {@link LeasedQueue}, through CallbackLogRepository.claimBuffered), so
 * any number of instances share the work; a worker that dies mid-row leaves it to the next one after
 * the lease, and applying a row twice is harmless (the success path is the unique-key one).
 * Within a pass, one trade's rows are applied one after the other in claim (arrival) order, and up to
 * PARALLEL_TRADES trades side by side: one at a time, the worker drained at a third of the rate sync
 * mode applies at.
 * Polls every OUTBOX_POLL_MS and is nudged after each append. Uses MySQL only (no Redis).
 */
@Injectable()
export class CallbackBufferWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(CallbackBufferWorker.name);
  private readonly loop: PollLoop;
  private readonly outcomes: Counter<'outcome'>;
  private readonly limit = pLimit(PARALLEL_TRADES);

  constructor(
    private readonly log: CallbackLogRepository,
    private readonly handler: NotifyHandler,
    private readonly payments: PaymentRepository,
    @Inject(callbackConfig.KEY) private readonly cfg: ConfigType<typeof callbackConfig>,
    metrics: MetricsService,
  ) {
    this.loop = new PollLoop(
      'callback buffer',
      cfg.outboxPollMs,
      async () => (await this.drainOnce()) === BATCH,
      this.logger,
    );
    this.outcomes = metrics.counter('oncepay_callback_buffer_outcomes_total', 'Buffered notifies processed', [
      'outcome',
    ]);
  }

  onApplicationBootstrap(): void {
    if (this.cfg.mode === 'buffered') this.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.stop();
  }

  /** Starts the poll loop (done at boot). */
  start(): void {
    this.loop.start();
  }

  /** Stops polling and waits for a running pass. Tests use it to simulate a worker that never ran. */
  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** Asks for a pass as soon as possible (coalesced with a running one). */
  nudge(): void {
    this.loop.nudge();
  }

  /**
   * One pass: claim due rows and apply each, one trade's rows in claim order, several trades at once.
   * Returns how many were claimed.
   */
  async drainOnce(): Promise<number> {
    const rows = await this.log.claimBuffered(BATCH, LEASE_MS);
    const byTrade = new Map<string, BufferedRow[]>();
    for (const row of rows) {
      const trade = parseNotify(row.raw_body).params.out_trade_no ?? '';
      byTrade.set(trade, [...(byTrade.get(trade) ?? []), row]);
    }
    await Promise.all(
      [...byTrade.values()].map((trade) =>
        this.limit(async () => {
          for (const row of trade) await this.applyRow(row);
        }),
      ),
    );
    return rows.length;
  }

  private async applyRow(row: BufferedRow): Promise<void> {
    const { params } = parseNotify(row.raw_body);
    const attempts = row.attempts + 1;
    try {
      // an apply writes the row's outcome in its own transaction (one commit); the rest here
      const d = await this.handler.handle(params, (m, decision) =>
        this.log.finish(m, row.id, decision.outcome, { verified: true, detail: decision.detail }),
      );
      this.outcomes.inc({ outcome: d.outcome });
      if (d.ack === 'success') {
        if (!d.journaled)
          await this.log.finish(null, row.id, d.outcome, { verified: true, detail: d.detail });
        return;
      }
      if (attempts >= MAX_ATTEMPTS) {
        this.logger.error(`buffered notify ${row.id} for ${params.out_trade_no} given up: ${d.outcome}`);
        await this.payments.recordAnomaly(
          null,
          params.out_trade_no,
          'UNKNOWN_TRADE',
          `buffered notify ${row.id}`,
          {
            once: true,
          },
        );
        await this.log.finish(null, row.id, d.outcome, {
          verified: true,
          detail: `given up after ${attempts} tries`,
        });
        return;
      }
      await this.log.retryLater(row.id, d.outcome, d.detail ?? '', this.backoff(attempts));
    } catch (err) {
      this.logger.warn(`buffered notify ${row.id} not applied yet: ${(err as Error).message}`);
      await this.log
        .retryLater(row.id, 'ERROR', (err as Error).message, this.backoff(attempts))
        .catch(() => undefined); // the lease expires anyway
    }
  }

  /** After try number `attempts` (1 for the first) failed: two poll intervals, then doubling. */
  private backoff(attempts: number): number {
    return backoffMs(attempts, this.cfg.outboxPollMs, MAX_BACKOFF_MS);
  }
}
