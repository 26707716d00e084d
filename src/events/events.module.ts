import { Module, OnModuleInit } from '@nestjs/common';
import { CommitHorizon } from './commit-horizon';
import { EventFeedController } from './event-feed.controller';
import { EventFeedService } from './event-feed.service';
import { EventRepository } from './event.repository';
import { EventSequencer } from './event-sequencer.service';
import { WebhookDeliveryRepository } from './webhook-delivery.repository';
import { WebhookDeliveryWorker } from './webhook-delivery.worker';
import { WebhookEndpointController } from './webhook-endpoint.controller';
import { WebhookEndpointRepository } from './webhook-endpoint.repository';
import { WebhookEndpointService } from './webhook-endpoint.service';

/**
 * Events out: the gap-free feed (t_event, from the outbox), webhook endpoints and their signed,
 * retried deliveries. It reads t_outbox (common/outbox) and nothing imports it (DESIGN.md §1).
 */
@Module({
  controllers: [WebhookEndpointController, EventFeedController],
  providers: [
    EventRepository,
    EventSequencer,
    CommitHorizon,
    EventFeedService,
    WebhookEndpointRepository,
    WebhookEndpointService,
    WebhookDeliveryRepository,
    WebhookDeliveryWorker,
  ],
})
export class EventsModule implements OnModuleInit {
  constructor(
    private readonly sequencer: EventSequencer,
    private readonly worker: WebhookDeliveryWorker,
  ) {}

  onModuleInit(): void {
    // new deliveries are tried at once on this instance, not at the next poll
    this.sequencer.onDeliveries = () => this.worker.nudge();
  }
}
