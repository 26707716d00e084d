import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { PUBLIC_EVENT_TYPES } from '../../common/events/public-events';

export const EVENT_PATTERN = /^(\*|[a-z_]+\.\*|[a-z_]+\.[a-z_]+)$/;

export class CreateWebhookEndpointDto {
  @ApiProperty({
    example: 'https://erp.example.com/hooks/oncepay',
    description:
      'where events are POSTed. In production: https, and the host must resolve to public addresses only ' +
      '(checked now and before every delivery); in development and test any http(s) URL',
    maxLength: 2048,
  })
  @IsString()
  @MaxLength(2048)
  url: string;

  @ApiPropertyOptional({
    example: ['order.paid', 'refund.*'],
    description: `event types or patterns (\`refund.*\`, \`*\`); default \`["*"]\`. Types: ${PUBLIC_EVENT_TYPES.join(', ')}`,
    type: [String],
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @Matches(EVENT_PATTERN, { each: true, message: 'each event must be a type, a prefix.* pattern or *' })
  events?: string[];
}

export class WebhookEndpointResponse {
  @ApiProperty({ example: 'we_5f1c0a9e3b7d2c41' })
  id: string;

  @ApiProperty({ example: 'https://erp.example.com/hooks/oncepay' })
  url: string;

  @ApiProperty({ example: ['order.paid', 'refund.*'], type: [String] })
  events: string[];

  @ApiProperty({ enum: ['ENABLED', 'DISABLED'], example: 'ENABLED' })
  status: 'ENABLED' | 'DISABLED';

  @ApiPropertyOptional({ example: 'every attempt failed since 2026-12-04T10:00:00.000Z; last: HTTP 500' })
  disabledReason?: string;

  @ApiPropertyOptional({ format: 'date-time', example: '2026-12-07T10:00:00.000Z' })
  disabledAt?: string;

  @ApiProperty({ format: 'date-time', example: '2026-12-01T10:00:00.000Z' })
  createdAt: string;
}

export class CreatedWebhookEndpointResponse extends WebhookEndpointResponse {
  @ApiProperty({
    example: 'whsec_0d9bYq3k2v8Qm1rT6uWcZx4aE7nF5hJ',
    description: 'the signing secret: shown here once, never listed again',
  })
  secret: string;
}

export class RotatedSecretResponse {
  @ApiProperty({ example: 'we_5f1c0a9e3b7d2c41' })
  id: string;

  @ApiProperty({ example: 'whsec_Hq2mP8vXc1...', description: 'the new signing secret, shown once' })
  secret: string;

  @ApiProperty({
    format: 'date-time',
    example: '2026-12-08T10:00:00.000Z',
    description: 'until then every delivery carries a v1 signature with the old secret too',
  })
  previousSecretExpiresAt: string;
}

export class WebhookAttemptResponse {
  @ApiProperty({ example: 'evt_8c2e4f0a1b3d5e7f9a0b1c2d' })
  eventId: string;

  @ApiProperty({ example: 'order.paid' })
  type: string;

  @ApiProperty({
    type: 'integer',
    minimum: 1,
    example: 2,
    description: 'the try number of this event at this endpoint (1 = first)',
  })
  attempt: number;

  @ApiProperty({ enum: ['delivered', 'retry', 'failed'], example: 'retry' })
  outcome: string;

  @ApiPropertyOptional({
    type: 'integer',
    example: 500,
    nullable: true,
    description: 'null: no HTTP answer (refused, timeout)',
  })
  statusCode: number | null;

  @ApiPropertyOptional({ type: String, example: 'timed out after 10000 ms', nullable: true })
  error: string | null;

  @ApiProperty({ type: 'integer', minimum: 0, example: 37 })
  latencyMs: number;

  @ApiPropertyOptional({
    type: String,
    example: 'internal error',
    nullable: true,
    description: 'the answer, first 512 characters',
  })
  responseBody: string | null;

  @ApiProperty({ format: 'date-time', example: '2026-12-07T10:00:00.000Z' })
  startedAt: string;

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    example: '2026-12-07T10:05:00.000Z',
    nullable: true,
    description: 'the next try (retry)',
  })
  nextAttemptAt: string | null;
}

export class WebhookAttemptPage {
  @ApiProperty({ type: [WebhookAttemptResponse], description: 'newest first, at most 100' })
  items: WebhookAttemptResponse[];
}

export class RedeliverResponse {
  @ApiProperty({ example: 'evt_8c2e4f0a1b3d5e7f9a0b1c2d' })
  eventId: string;

  @ApiProperty({
    type: 'integer',
    minimum: 0,
    example: 1,
    description: 'deliveries due now (one per subscribed enabled endpoint)',
  })
  deliveries: number;
}
