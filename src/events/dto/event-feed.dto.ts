import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { PUBLIC_EVENT_TYPES } from '../../common/events/public-events';

export class EventFeedQuery {
  @ApiPropertyOptional({
    pattern: '^[0-9]{1,18}$',
    description: 'the `nextCursor` of the previous page (leave empty to start at the first event)',
  })
  @IsOptional()
  @IsString()
  @Matches(/^[0-9]{1,18}$/, { message: 'after is not a valid cursor' })
  after?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 500, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

export class EventResponse {
  @ApiProperty({
    example: 'evt_8c2e4f0a1b3d5e7f9a0b1c2d',
    description: 'stable: the same on every delivery and in the feed; dedupe by it',
  })
  id: string;

  @ApiProperty({ enum: PUBLIC_EVENT_TYPES, example: 'order.paid' })
  type: string;

  @ApiProperty({
    format: 'date-time',
    example: '2026-12-07T10:00:00.000Z',
    description: 'when the change committed its outbox row',
  })
  createdAt: string;

  @ApiProperty({
    type: 'integer',
    minimum: 1,
    example: 2,
    description:
      "the resource's event version (1, 2, … per order / payment / refund): drop one older than the last you applied",
  })
  version: number;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    example: {
      orderNo: '20261207100000123456789012345',
      userId: 'u-1',
      paymentNo: '2026…P01',
      amount: 1990,
      paidAt: '2026-12-07T10:00:00.000Z',
    },
    description: "the type's data (docs/events.md lists every type's fields)",
  })
  data: Record<string, unknown>;
}

export class EventPageResponse {
  @ApiProperty({
    type: [EventResponse],
    description: 'in feed order; a later page never holds an earlier event',
  })
  items: EventResponse[];

  @ApiProperty({
    example: '1042',
    description:
      'pass as `after` for the next page; when the page is empty it is the cursor you sent (poll again)',
  })
  nextCursor: string;
}
