import { Injectable } from '@nestjs/common';
import { DomainError } from '../common/errors/domain.error';
import { ErrorCode } from '../common/errors/error-code.enum';
import type { EventPageResponse, EventResponse } from './dto/event-feed.dto';
import type { RedeliverResponse } from './dto/webhook-endpoint.dto';
import { EventRepository } from './event.repository';
import { WebhookDeliveryRepository } from './webhook-delivery.repository';
import { eventBody, WebhookDeliveryWorker } from './webhook-delivery.worker';
import { WebhookEndpointRepository } from './webhook-endpoint.repository';

/** The event feed (`GET /v1/events`) and redelivery. */
@Injectable()
export class EventFeedService {
  constructor(
    private readonly events: EventRepository,
    private readonly endpoints: WebhookEndpointRepository,
    private readonly deliveries: WebhookDeliveryRepository,
    private readonly worker: WebhookDeliveryWorker,
  ) {}

  /**
   * Events after the cursor, in position order. Positions commit in order (EventSequencer), so a page
   * never skips one that commits later: the next page starts where this one stopped.
   */
  async page(after: string | undefined, limit = 100): Promise<EventPageResponse> {
    const from = after ? Number(after) : 0;
    const rows = await this.events.page(from, limit);
    const items: EventResponse[] = rows.map(eventBody);
    return { items, nextCursor: String(rows.length ? rows[rows.length - 1].position : from) };
  }

  /** Sends the event again now to every enabled endpoint subscribed to its type. @throws NOT_FOUND */
  async redeliver(eventId: string): Promise<RedeliverResponse> {
    const event = await this.events.findById(eventId);
    if (!event) throw new DomainError(ErrorCode.NOT_FOUND, `Event ${eventId} not found`, { eventId });
    const n = await this.deliveries.redeliver(event, await this.endpoints.enabled(null));
    this.worker.nudge();
    return { eventId, deliveries: n };
  }
}
