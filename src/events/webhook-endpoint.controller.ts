import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { Roles } from '../common/auth/auth.decorators';
import { ErrorCode } from '../common/errors/error-code.enum';
import { ApiErrors } from '../common/openapi/api-errors.decorator';
import {
  CreatedWebhookEndpointResponse,
  CreateWebhookEndpointDto,
  RotatedSecretResponse,
  WebhookAttemptPage,
  WebhookEndpointResponse,
} from './dto/webhook-endpoint.dto';
import { WebhookEndpointService } from './webhook-endpoint.service';

const ID_PARAM = { name: 'id', description: 'the endpoint id (`we_…`)' };
const FORBIDDEN: [ErrorCode, string] = [ErrorCode.FORBIDDEN, 'Admins only'];
const NOT_FOUND: [ErrorCode, string, Record<string, unknown>] = [
  ErrorCode.NOT_FOUND,
  'Webhook endpoint we_5f1c0a9e3b7d2c41 not found',
  { id: 'we_5f1c0a9e3b7d2c41' },
];

@ApiTags('events')
@ApiBearerAuth()
@ApiErrors([ErrorCode.UNAUTHORIZED, 'Missing bearer token'])
@Roles('admin')
@Controller({ path: 'admin/webhook-endpoints', version: '1' })
export class WebhookEndpointController {
  constructor(private readonly endpoints: WebhookEndpointService) {}

  @Post()
  @ApiOperation({
    summary: 'Register a webhook endpoint (admin): signed POSTs of the events it subscribes to',
    description:
      'The answer carries the signing `secret`, shown this once. Each delivery is `POST {id, type, createdAt, ' +
      'version, data}` with `Oncepay-Event-Id` and `Oncepay-Signature: t=<unix s>,v1=<hex HMAC-SHA256(secret, ' +
      '"<t>.<raw body>")>`; any 2xx within WEBHOOK_TIMEOUT_MS is delivered, anything else is retried under ' +
      'the same event id on WEBHOOK_RETRY_DELAYS_MS. See docs/events.md.',
  })
  @ApiCreatedResponse({
    type: CreatedWebhookEndpointResponse,
    description: 'the endpoint and its secret (shown once)',
  })
  @ApiErrors(
    [ErrorCode.VALIDATION_FAILED, 'url must be https in production', { url: 'http://10.0.0.1/hook' }],
    FORBIDDEN,
  )
  create(@Body() dto: CreateWebhookEndpointDto): Promise<CreatedWebhookEndpointResponse> {
    return this.endpoints.create(dto.url, dto.events);
  }

  @Get()
  @ApiOperation({ summary: 'The webhook endpoints (admin); secrets are never listed' })
  @ApiOkResponse({ type: [WebhookEndpointResponse], description: 'every endpoint not deleted, oldest first' })
  @ApiErrors(FORBIDDEN)
  list(): Promise<WebhookEndpointResponse[]> {
    return this.endpoints.list();
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete an endpoint (admin): nothing more is sent to it' })
  @ApiParam(ID_PARAM)
  @ApiNoContentResponse({ description: 'deleted; its pending deliveries are cancelled' })
  @ApiErrors(NOT_FOUND, FORBIDDEN)
  async remove(@Param('id') id: string): Promise<void> {
    await this.endpoints.remove(id);
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Rotate the signing secret (admin)',
    description:
      'The new secret is shown once. For WEBHOOK_SECRET_OVERLAP_MS every delivery carries two v1 ' +
      'signatures, the new secret’s and the old one’s, so receivers can switch without losing one.',
  })
  @ApiParam(ID_PARAM)
  @ApiOkResponse({ type: RotatedSecretResponse, description: 'the new secret' })
  @ApiErrors(NOT_FOUND, FORBIDDEN)
  rotate(@Param('id') id: string): Promise<RotatedSecretResponse> {
    return this.endpoints.rotate(id);
  }

  @Post(':id/enable')
  @HttpCode(200)
  @ApiOperation({ summary: 'Re-enable an endpoint that was disabled for failing (admin)' })
  @ApiParam(ID_PARAM)
  @ApiOkResponse({ type: WebhookEndpointResponse, description: 'the endpoint, enabled' })
  @ApiErrors(NOT_FOUND, FORBIDDEN)
  enable(@Param('id') id: string): Promise<WebhookEndpointResponse> {
    return this.endpoints.enable(id);
  }

  @Get(':id/deliveries')
  @ApiOperation({ summary: "An endpoint's delivery attempts, newest first (admin)" })
  @ApiParam(ID_PARAM)
  @ApiOkResponse({ type: WebhookAttemptPage, description: 'each attempt kept, newest first' })
  @ApiErrors(NOT_FOUND, FORBIDDEN)
  deliveries(@Param('id') id: string): Promise<WebhookAttemptPage> {
    return this.endpoints.attempts(id);
  }
}
