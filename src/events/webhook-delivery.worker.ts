import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { randomBytes } from 'node:crypto';
import { eventsConfig } from '../config/configuration';
import { PollLoop } from '../common/poll-loop';
import { EventRepository, EventRow } from './event.repository';
import { nextRetryDelay } from './retry-schedule';
import { AttemptRecord, ClaimedDelivery, WebhookDeliveryRepository } from './webhook-delivery.repository';
import { EndpointRow, WebhookEndpointRepository } from './webhook-endpoint.repository';
import { sendWebhook } from './webhook-sender';
import { EVENT_ID_HEADER, SIGNATURE_HEADER, signatureHeader } from './webhook-signature';

const BATCH = 50;
/** A claim outlives the longest attempt (the send's hard timeout) by this much. */
const LEASE_MARGIN_MS = 15000;

/** The body every delivery and the feed carry for an event. */
export function eventBody(e: EventRow): {
  id: string;
  type: string;
  createdAt: string;
  version: number;
  data: Record<string, unknown>;
} {
  return { id: e.id, type: e.type, createdAt: e.createdAt.toISOString(), version: e.version, data: e.data };
}

/**
 * Sends due webhook deliveries, on every instance: claims a batch (SKIP LOCKED, with a lease longer than
 * any attempt and a fencing token), POSTs each signed event, keeps the attempt and settles the delivery
 * — DELIVERED on a 2xx, else due again after the next WEBHOOK_RETRY_DELAYS_MS step under the same
 * event id, or FAILED once they are used up. An endpoint that has failed every attempt for
 * WEBHOOK_DISABLE_AFTER_MS is disabled with the last error as its reason.
 */
@Injectable()
export class WebhookDeliveryWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(WebhookDeliveryWorker.name);
  private readonly loop: PollLoop;
  private readonly token = `w-${randomBytes(8).toString('hex')}`;

  constructor(
    @Inject(eventsConfig.KEY) private readonly cfg: ConfigType<typeof eventsConfig>,
    private readonly deliveries: WebhookDeliveryRepository,
    private readonly endpoints: WebhookEndpointRepository,
    private readonly events: EventRepository,
  ) {
    this.loop = new PollLoop('webhook deliveries', cfg.pollMs, () => this.runOnce(), this.logger);
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.loop.stop();
  }

  nudge(): void {
    this.loop.nudge();
  }

  /** One pass. @returns true when a full batch was claimed (there may be more). */
  async runOnce(): Promise<boolean> {
    const enabled = await this.endpoints.enabled(null);
    const claimed = await this.deliveries.claim(
      enabled.map((e) => e.id),
      BATCH,
      this.cfg.timeoutMs + LEASE_MARGIN_MS,
      `${this.token}-${randomBytes(4).toString('hex')}`,
    );
    if (!claimed.length) return false;
    const [endpoints, events] = await Promise.all([
      this.endpoints.findByIds([...new Set(claimed.map((d) => d.endpointId))]),
      this.events.findByPositions(claimed.map((d) => d.eventPosition)),
    ]);
    await Promise.all(
      claimed.map((d) => this.attempt(d, endpoints.get(d.endpointId)!, events.get(d.eventPosition)!)),
    );
    return claimed.length === BATCH;
  }

  private async attempt(d: ClaimedDelivery, endpoint: EndpointRow, event: EventRow): Promise<void> {
    const startedAt = new Date();
    const body = JSON.stringify(eventBody(event));
    const t = Math.floor(Date.now() / 1000);
    const secrets = [endpoint.secret];
    if (endpoint.previousSecret && endpoint.previousSecretUntil && endpoint.previousSecretUntil > startedAt) {
      secrets.push(endpoint.previousSecret);
    }
    const res = await sendWebhook(
      endpoint.url,
      { [EVENT_ID_HEADER]: event.id, [SIGNATURE_HEADER]: signatureHeader(secrets, t, body) },
      body,
      { timeoutMs: this.cfg.timeoutMs, production: this.cfg.production },
    );
    const ok = res.statusCode !== null && res.statusCode >= 200 && res.statusCode < 300;
    const delay = ok ? null : nextRetryDelay(this.cfg.retryDelaysMs, d.attempts);
    const record: AttemptRecord = {
      startedAt,
      latencyMs: res.latencyMs,
      statusCode: res.statusCode,
      error: res.error,
      responseBody: res.body,
      outcome: ok ? 'delivered' : delay === null ? 'failed' : 'retry',
      nextDelayMs: delay,
    };
    if (!(await this.deliveries.finish(d, record))) {
      this.logger.warn(`webhook ${event.id} → ${endpoint.id}: lease lost before the attempt was settled`);
    }
    if (ok) {
      if (endpoint.failingSince) await this.endpoints.markHealthy(endpoint.id);
      return;
    }
    const why = res.error ?? `HTTP ${res.statusCode}`;
    if (
      await this.endpoints.markFailing(
        endpoint.id,
        this.cfg.disableAfterMs,
        `every attempt failed since: ${why}`,
      )
    ) {
      this.logger.warn(
        `webhook endpoint ${endpoint.id} disabled: failing for over ${this.cfg.disableAfterMs} ms`,
      );
    }
  }
}
