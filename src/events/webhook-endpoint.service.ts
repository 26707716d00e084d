import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { randomBytes } from 'node:crypto';
import { eventsConfig } from '../config/configuration';
import { DomainError } from '../common/errors/domain.error';
import { ErrorCode } from '../common/errors/error-code.enum';
import { PUBLIC_EVENT_TYPES, typeMatches } from '../common/events/public-events';
import type {
  CreatedWebhookEndpointResponse,
  RotatedSecretResponse,
  WebhookAttemptPage,
  WebhookEndpointResponse,
} from './dto/webhook-endpoint.dto';
import { WebhookDeliveryRepository } from './webhook-delivery.repository';
import { EndpointRow, WebhookEndpointRepository } from './webhook-endpoint.repository';
import { checkWebhookUrl } from './webhook-url';

/** Webhook endpoints (admin): register, list, delete, rotate the secret, re-enable, read attempts. */
@Injectable()
export class WebhookEndpointService {
  constructor(
    @Inject(eventsConfig.KEY) private readonly cfg: ConfigType<typeof eventsConfig>,
    private readonly repo: WebhookEndpointRepository,
    private readonly deliveries: WebhookDeliveryRepository,
  ) {}

  /** @throws VALIDATION_FAILED (bad or, in production, non-https / non-public url; unknown event type) */
  async create(url: string, events: string[] | undefined): Promise<CreatedWebhookEndpointResponse> {
    const { refusal } = await checkWebhookUrl(url, { production: this.cfg.production });
    if (refusal) throw new DomainError(ErrorCode.VALIDATION_FAILED, refusal, { url });
    const patterns = events?.length ? [...new Set(events)] : ['*'];
    const unknown = patterns.filter((p) => !PUBLIC_EVENT_TYPES.some((t) => typeMatches(p, t)));
    if (unknown.length) {
      throw new DomainError(
        ErrorCode.VALIDATION_FAILED,
        `events match no event type: ${unknown.join(', ')}`,
        {
          events: unknown,
          types: PUBLIC_EVENT_TYPES,
        },
      );
    }
    const id = `we_${randomBytes(8).toString('hex')}`;
    const secret = newSecret();
    await this.repo.insert({ id, url, events: patterns, secret });
    const row = (await this.repo.findById(id))!;
    return { ...toJson(row), secret };
  }

  async list(): Promise<WebhookEndpointResponse[]> {
    return (await this.repo.list()).map(toJson);
  }

  /** Deletes an endpoint: nothing more is sent to it (its pending deliveries are cancelled). */
  async remove(id: string): Promise<void> {
    if (!(await this.repo.markDeleted(id))) throw notFound(id);
    await this.deliveries.cancelPending(id);
  }

  async rotate(id: string): Promise<RotatedSecretResponse> {
    const secret = newSecret();
    if (!(await this.repo.rotate(id, secret, this.cfg.secretOverlapMs))) throw notFound(id);
    const row = (await this.repo.findById(id))!;
    return { id, secret, previousSecretExpiresAt: row.previousSecretUntil!.toISOString() };
  }

  /** Re-enables a disabled endpoint; an enabled one is answered as it is. */
  async enable(id: string): Promise<WebhookEndpointResponse> {
    await this.repo.enable(id);
    const row = await this.repo.findById(id);
    if (!row) throw notFound(id);
    return toJson(row);
  }

  async attempts(id: string): Promise<WebhookAttemptPage> {
    if (!(await this.repo.findById(id))) throw notFound(id);
    const rows = await this.deliveries.attempts(id, 100);
    return {
      items: rows.map((a) => ({
        ...a,
        startedAt: a.startedAt.toISOString(),
        nextAttemptAt: a.nextAttemptAt ? a.nextAttemptAt.toISOString() : null,
      })),
    };
  }
}

function newSecret(): string {
  return `whsec_${randomBytes(24).toString('base64url')}`;
}

function notFound(id: string): DomainError {
  return new DomainError(ErrorCode.NOT_FOUND, `Webhook endpoint ${id} not found`, { id });
}

function toJson(e: EndpointRow): WebhookEndpointResponse {
  const json: WebhookEndpointResponse = {
    id: e.id,
    url: e.url,
    events: e.events,
    status: e.status === 'DISABLED' ? 'DISABLED' : 'ENABLED',
    createdAt: e.createdAt.toISOString(),
  };
  if (e.disabledReason) json.disabledReason = e.disabledReason;
  if (e.disabledAt) json.disabledAt = e.disabledAt.toISOString();
  return json;
}
