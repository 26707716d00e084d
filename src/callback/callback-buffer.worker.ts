import { PollLoop } from '../common/poll-loop';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import pLimit from 'p-limit';
import { Counter } from 'prom-client';
import { MetricsService } from '../common/metrics/metrics.service';
import { callbackConfig } from '../config/configuration';
import { backoffMs } from '../common/leased-queue';
import { NOTIFY_ADAPTERS, type NotifyAdapter, type NotifyRead, PaymentFacts } from '../payment';
import { BufferedRow, CallbackLogRepository } from './callback-log.repository';
import { NotifyPipeline } from './notify-pipeline.service';

const BATCH = 20;
/** Trades applied side by side within one pass (each takes one pooled connection while it applies). */
const PARALLEL_TRADES = 4;
const LEASE_MS = 30000;
const MAX_BACKOFF_MS = 600000;
/** After this many tries a row that still cannot be applied (a trade we never had) is given up on. */
const MAX_ATTEMPTS = 20;

/**
 * Buffered mode's worker: applies appended notifies from t_callback_log exactly once through the
 * same NotifyPipeline rules as sync mode (`decide`), each row decoded again by its channel's adapter
 * (verified when appended). Rows are claimed with `FOR UPDATE SKIP LOCKED` plus a lease
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
  private readonly adapters: Map<string, NotifyAdapter<unknown>>;

  constructor(
    private readonly log: CallbackLogRepository,
    private readonly pipeline: NotifyPipeline,
    private readonly facts: PaymentFacts,
    @Inject(NOTIFY_ADAPTERS) adapters: NotifyAdapter<unknown>[],
    @Inject(callbackConfig.KEY) private readonly cfg: ConfigType<typeof callbackConfig>,
    metrics: MetricsService,
  ) {
    this.adapters = new Map(adapters.map((a) => [a.channel, a]));
    pipeline.onAppended(() => this.nudge());
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
      const trade = `${row.channel}:${this.decode(row).keys.out_trade_no ?? ''}`;
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

  private decode(row: BufferedRow): NotifyRead {
    const adapter = this.adapters.get(row.channel);
    if (adapter?.decode) return adapter.decode(row.raw_body);
    const reason = `no buffered decoding for channel ${row.channel}`;
    return { ok: false, code: 'MALFORMED', verified: true, reason, keys: {} };
  }

  private async applyRow(row: BufferedRow): Promise<void> {
    const read = this.decode(row);
    const paymentNo = read.keys.out_trade_no;
    const attempts = row.attempts + 1;
    try {
      if (!read.ok) {
        // appended verified and decoded, so this does not happen: kept on record, never re-tried
        await this.log.finish(null, row.id, 'MALFORMED', { verified: true, detail: read.reason });
        return;
      }
      // the rules write the row's outcome (in the apply's own transaction: one commit) once accepted
      const d = await this.pipeline.decide(this.channelOf(row), read.event, (m, outcome, opts) =>
        opts.done ? this.log.finish(m, row.id, outcome, opts) : Promise.resolve(),
      );
      this.outcomes.inc({ outcome: d.outcome });
      if (d.accept) return;
      if (attempts >= MAX_ATTEMPTS) {
        this.logger.error(`buffered notify ${row.id} for ${paymentNo} given up: ${d.outcome}`);
        if (paymentNo)
          await this.facts.recordAnomalyOnce(paymentNo, 'UNKNOWN_TRADE', `buffered notify ${row.id}`);
        await this.log.finish(null, row.id, d.outcome, {
          verified: true,
          detail: `given up after ${attempts} tries`,
        });
        return;
      }
      await this.log.retryLater(row.id, d.outcome, d.outcome, this.backoff(attempts));
    } catch (err) {
      this.logger.warn(`buffered notify ${row.id} not applied yet: ${(err as Error).message}`);
      await this.log
        .retryLater(row.id, 'ERROR', (err as Error).message, this.backoff(attempts))
        .catch(() => undefined); // the lease expires anyway
    }
  }

  private channelOf(row: BufferedRow) {
    return this.adapters.get(row.channel)!.channel;
  }

  /** After try number `attempts` (1 for the first) failed: two poll intervals, then doubling. */
  private backoff(attempts: number): number {
    return backoffMs(attempts, this.cfg.outboxPollMs, MAX_BACKOFF_MS);
  }
}
