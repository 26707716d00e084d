import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { randomBytes } from 'node:crypto';
import { eventsConfig } from '../config/configuration';
import { TransactionService } from '../common/database/transaction.service';
import { isDuplicateKey } from '../common/database/db-errors';
import { PUBLIC_EVENTS_OF_TOPIC, publicTopics } from '../common/events/public-events';
import { PollLoop } from '../common/poll-loop';
import { CommitHorizon } from './commit-horizon';
import { EventRepository, NewEvent, OutboxRow } from './event.repository';
import { WebhookDeliveryRepository } from './webhook-delivery.repository';
import { WebhookEndpointRepository } from './webhook-endpoint.repository';

const BATCH = 200;
const LEASE_MS = 10000;

/** A public event id: `evt_` and 24 hex digits, drawn once when the event is sequenced. */
export function newEventId(): string {
  return `evt_${randomBytes(12).toString('hex')}`;
}

/**
 * Turns outbox rows of public topics into t_event rows with a gap-free position, and fans each event
 * out to the endpoints subscribed to its type (t_webhook_delivery), in one transaction per batch.
 *
 * **Why no event is ever skipped.** An outbox id is taken at insert, not at commit: a transaction that
 * commits late has a smaller id than rows already seen (and on a Galera node that lags in applying, a
 * new id can even be below one committed elsewhere). So the scan is not "ids above the last one seen"
 * but "rows created at or after a time watermark W, not yet events" (an anti-join on t_event.outbox_id),
 * and W only moves to a commit horizon H read *before* the scan (CommitHorizon: the start of the oldest
 * transaction open on every server of the cluster, each on its own clock): a row created before H
 * belongs to a transaction that is no longer open anywhere, so it is committed or gone for good, and the
 * scan that follows (causal reads on Galera) sees every committed one. A transaction held open keeps W
 * below its start for as long as it is open, and its row is sequenced in the first pass after it commits.
 *
 * **Why the feed has no gap.** Positions are `MAX(position) + 1 …` read in the inserting transaction,
 * and `position` is the primary key. READ COMMITTED reads the committed maximum, so position p is only
 * ever written once p − 1 has committed: a reader that sees p sees everything before it. Two writers at
 * once (a lease that lapsed) collide on the key and one rolls back; the lease only saves that work.
 */
@Injectable()
export class EventSequencer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(EventSequencer.name);
  private readonly owner = `seq-${randomBytes(6).toString('hex')}`;
  private readonly loop: PollLoop;
  /** Called after a batch committed deliveries (the local delivery worker is nudged). */
  onDeliveries: () => void = () => undefined;

  constructor(
    @Inject(eventsConfig.KEY) cfg: ConfigType<typeof eventsConfig>,
    private readonly repo: EventRepository,
    private readonly endpoints: WebhookEndpointRepository,
    private readonly deliveries: WebhookDeliveryRepository,
    private readonly tx: TransactionService,
    private readonly horizon: CommitHorizon,
  ) {
    this.loop = new PollLoop('event sequencer', cfg.pollMs, () => this.runOnce(), this.logger);
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.loop.stop();
    await this.repo.releaseLease(this.owner).catch(() => undefined);
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  start(): void {
    this.loop.start();
  }

  nudge(): void {
    this.loop.nudge();
  }

  /** One pass if this instance holds the lease. @returns true when there may be more right away. */
  async runOnce(): Promise<boolean> {
    if (!(await this.repo.takeLease(this.owner, LEASE_MS))) return false;
    const w = await this.repo.watermark();
    // read before the scan: the scan must see every row created before it that will ever commit
    const h = await this.horizon.horizon();
    const rows = await this.tx.run((m) => this.repo.unsequenced(m, w, publicTopics(), BATCH));
    if (rows.length && !(await this.sequence(rows))) return false;
    if (rows.length === BATCH) return true;
    if (h !== null && h > w) await this.repo.raiseWatermark(h);
    return false;
  }

  /** @returns false when another writer took the positions (nothing of this batch was written). */
  private async sequence(rows: OutboxRow[]): Promise<boolean> {
    try {
      const n = await this.tx.run(async (m) => {
        const drafts = rows.flatMap((r) =>
          (PUBLIC_EVENTS_OF_TOPIC[r.topic]?.(r.payload) ?? []).map((d) => ({ ...d, row: r })),
        );
        let position = await this.repo.lastPosition(m);
        const versions = await this.repo.lastVersions(m, [...new Set(drafts.map((d) => d.resource))]);
        const events: NewEvent[] = drafts.map((d) => {
          const version = (versions.get(d.resource) ?? 0) + 1;
          versions.set(d.resource, version);
          return {
            position: ++position,
            id: newEventId(),
            type: d.type,
            resource: d.resource,
            version,
            outboxId: d.row.id,
            data: d.data,
            createdAt: d.row.createdAt,
          };
        });
        await this.repo.insert(m, events);
        const subscribed = await this.endpoints.enabled(m);
        return this.deliveries.fanOut(m, events, subscribed);
      });
      if (n > 0) this.onDeliveries();
      return true;
    } catch (err) {
      // another writer took these positions first (a lapsed lease): the next pass starts again
      if (!isDuplicateKey(err)) throw err;
      this.logger.warn('event sequencer: positions taken by another writer, retrying');
      return false;
    }
  }
}
