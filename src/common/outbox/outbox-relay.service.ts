import { InjectQueue } from '@nestjs/bull';
import { PollLoop } from '../poll-loop';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { Queue } from 'bull';
import { Counter } from 'prom-client';
import { DataSource } from 'typeorm';
import { callbackConfig } from '../../config/configuration';
import { TransactionService } from '../database/transaction.service';
import { backoffMs, LeasedQueue, LeasedRow } from '../leased-queue';
import { MetricsService } from '../metrics/metrics.service';
import { DEFAULT_JOB_OPTIONS, QUEUES } from '../queue/queue.constants';

/** What the relay puts on the `outbox` Bull queue (the consumer dispatches on `topic`). */
export interface OutboxJobData {
  outboxId: string;
  topic: string;
  eventKey: string;
  payload: Record<string, unknown>;
}

/** Deterministic Bull jobId of an outbox event: a re-publish of the same event is a no-op in Bull. */
export function outboxJobId(topic: string, eventKey: string): string {
  return `${topic}:${eventKey}`;
}

interface ClaimedRow extends LeasedRow {
  topic: string;
  event_key: string;
  payload: string | Record<string, unknown>;
}

const BATCH = 50;
/** A Bull add that has not answered by then counts as failed (Bull queues commands while Redis is away). */
const ADD_TIMEOUT_MS = 2000;
/** A claimed row is invisible to other relays for this long; a relay that died mid-publish releases it so. */
const LEASE_MS = 15000;
const MAX_BACKOFF_MS = 30000;
/** Delivered (SENT) rows are kept this long for inspection, then purged. */
export const SENT_RETENTION_MS = 24 * 3600 * 1000;
/** How often an instance purges delivered rows (every instance may; a purge is a bounded DELETE). */
const PURGE_EVERY_MS = 10 * 60 * 1000;
const PURGE_BATCH = 5000;

/**
 * The transactional-outbox relay: moves PENDING rows of t_outbox to the Bull queue `outbox`.
 *
 * - Polls every OUTBOX_POLL_MS, and is nudged right after any transaction that wrote an outbox row
 *   commits (see OutboxCommitSubscriber), so the usual latency is one Redis round trip, not a poll.
 * - Claims rows through {@link LeasedQueue} (`SELECT … FOR UPDATE SKIP LOCKED` in a short transaction
 *   that pushes their `available_at` one lease ahead and counts the attempt); the Bull add happens
 *   outside any transaction (a slow or dead Redis never holds MySQL locks). Any number of instances
 *   can relay at once.
 * - A row becomes SENT only after Bull accepted the job. A failed add backs the row off exponentially
 *   via `available_at`; the row stays PENDING, so Redis being down loses nothing.
 * - The jobId is `topic:eventKey`, so a row published twice (a relay crashed after the add, before
 *   marking SENT) is one job; the consumers are idempotent for the rest.
 * - SENT rows are purged after SENT_RETENTION_MS (every PURGE_EVERY_MS, bounded batches).
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(OutboxRelay.name);
  private readonly loop: PollLoop;
  private readonly published: Counter<'result'>;
  private readonly rows: LeasedQueue<ClaimedRow>;
  private purgeTimer?: NodeJS.Timeout;

  constructor(
    @InjectQueue(QUEUES.OUTBOX) private readonly queue: Queue<OutboxJobData>,
    @Inject(callbackConfig.KEY) private readonly cfg: ConfigType<typeof callbackConfig>,
    tx: TransactionService,
    private readonly dataSource: DataSource,
    metrics: MetricsService,
  ) {
    this.rows = new LeasedQueue<ClaimedRow>(
      { table: 't_outbox', columns: ['topic', 'event_key', 'payload'], pending: "status = 'PENDING'" },
      tx,
      dataSource,
    );
    this.loop = new PollLoop(
      'outbox relay',
      cfg.outboxPollMs,
      async () => (await this.relayOnce()) === BATCH,
      this.logger,
    );
    this.published = metrics.counter(
      'oncepay_outbox_publish_total',
      'Outbox rows handed to Bull (sent / failed)',
      ['result'],
    );
  }

  onApplicationBootstrap(): void {
    this.start();
    this.purgeTimer = setInterval(
      () =>
        void this.purgeSent().catch((err: Error) => this.logger.warn(`outbox purge failed: ${err.message}`)),
      PURGE_EVERY_MS,
    );
    this.purgeTimer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.purgeTimer) clearInterval(this.purgeTimer);
    await this.stop();
  }

  /**
   * Deletes delivered rows older than `olderThanMs` (by their last lease time, served by
   * idx_outbox_pending), in batches of PURGE_BATCH. Returns how many were deleted.
   */
  async purgeSent(olderThanMs = SENT_RETENTION_MS): Promise<number> {
    let total = 0;
    for (;;) {
      const res = await this.dataSource.query(
        `DELETE FROM t_outbox WHERE status = 'SENT' AND available_at < NOW(3) - INTERVAL ? MICROSECOND LIMIT ?`,
        [olderThanMs * 1000, PURGE_BATCH],
      );
      const n = Number(res.affectedRows ?? 0);
      total += n;
      if (n < PURGE_BATCH) return total;
    }
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
   * One relay pass: claim up to BATCH due rows, publish them, back off each that failed, and mark the
   * published ones SENT in one statement (one commit per pass, not one per row).
   * @returns how many rows were claimed.
   */
  async relayOnce(): Promise<number> {
    // Bull queues commands while Redis is away; do not claim (and burn attempts) when it is not there.
    if (this.queue.client.status !== 'ready') return 0;
    const rows = await this.rows.claim(BATCH, LEASE_MS);
    const published = await Promise.all(rows.map((r) => this.publish(r)));
    const sent = rows.filter((_, i) => published[i]).map((r) => r.id);
    if (sent.length) {
      await this.dataSource.query(
        `UPDATE t_outbox SET status = 'SENT', sent_at = NOW(3) WHERE id IN (?) AND status = 'PENDING'`,
        [sent],
      );
      this.published.inc({ result: 'sent' }, sent.length);
    }
    return rows.length;
  }

  /** Adds the row's job to Bull; false (and the row backed off) when the add failed or timed out. */
  private async publish(row: ClaimedRow): Promise<boolean> {
    const payload = typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload;
    const data: OutboxJobData = {
      outboxId: String(row.id),
      topic: row.topic,
      eventKey: row.event_key,
      payload,
    };
    try {
      await withTimeout(
        this.queue.add(data, { ...DEFAULT_JOB_OPTIONS, jobId: outboxJobId(row.topic, row.event_key) }),
        ADD_TIMEOUT_MS,
      );
    } catch (err) {
      // the first failed try waits one poll interval, each further one twice as long
      const backoff = backoffMs(row.attempts, this.cfg.outboxPollMs, MAX_BACKOFF_MS);
      this.logger.warn(
        `outbox ${row.id} (${row.topic}:${row.event_key}) not published, retry in ${backoff} ms: ${(err as Error).message}`,
      );
      await this.rows.retryLater(row.id, backoff);
      this.published.inc({ result: 'failed' });
      return false;
    }
    return true;
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
