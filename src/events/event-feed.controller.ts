import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { Roles } from '../common/auth/auth.decorators';
import { ErrorCode } from '../common/errors/error-code.enum';
import { ApiErrors } from '../common/openapi/api-errors.decorator';
import { EventFeedQuery, EventPageResponse } from './dto/event-feed.dto';
import { RedeliverResponse } from './dto/webhook-endpoint.dto';
import { EventFeedService } from './event-feed.service';

@ApiTags('events')
@ApiBearerAuth()
@ApiErrors([ErrorCode.UNAUTHORIZED, 'Missing bearer token'])
@Roles('admin')
@Controller({ version: '1' })
export class EventFeedController {
  constructor(private readonly feed: EventFeedService) {}

  @Get('events')
  @ApiOperation({
    summary: 'The event feed (admin): every public event once, in one order, with no gaps',
    description:
      'Page forward with `after=<nextCursor>`. An event that commits late never lands behind a cursor ' +
      'already handed out, so a subscriber that was down pages forward and misses nothing.',
  })
  @ApiOkResponse({ type: EventPageResponse, description: 'one page of events and the cursor of the next' })
  @ApiErrors(
    [ErrorCode.VALIDATION_FAILED, 'after is not a valid cursor', { after: 'x' }],
    [ErrorCode.FORBIDDEN, 'Admins only'],
  )
  list(@Query() q: EventFeedQuery): Promise<EventPageResponse> {
    return this.feed.page(q.after, q.limit);
  }

  @Post('admin/events/:eventId/redeliver')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Send an event again now, to every enabled endpoint subscribed to its type (admin)',
  })
  @ApiParam({ name: 'eventId', description: 'the event id (`evt_…`)' })
  @ApiAcceptedResponse({ type: RedeliverResponse, description: 'deliveries due now' })
  @ApiErrors(
    [
      ErrorCode.NOT_FOUND,
      'Event evt_8c2e4f0a1b3d5e7f9a0b1c2d not found',
      { eventId: 'evt_8c2e4f0a1b3d5e7f9a0b1c2d' },
    ],
    [ErrorCode.FORBIDDEN, 'Admins only'],
  )
  redeliver(@Param('eventId') eventId: string): Promise<RedeliverResponse> {
    return this.feed.redeliver(eventId);
  }
}
