import { Controller, Get, Header, UseGuards, VERSION_NEUTRAL } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/auth.decorators';
import { ErrorCode } from '../errors';
import { ApiErrors } from '../openapi/api-errors.decorator';
import { MetricsTokenGuard } from './metrics-token.guard';
import { MetricsService } from './metrics.service';

@ApiTags('ops')
@Controller({ path: 'metrics', version: VERSION_NEUTRAL })
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  // not a user's JWT: the scraper's METRICS_TOKEN (MetricsTokenGuard)
  @Public()
  @UseGuards(MetricsTokenGuard)
  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiOperation({
    summary: 'Prometheus metrics',
    description:
      'With METRICS_TOKEN set, requires `Authorization: Bearer <METRICS_TOKEN>`; without it, open outside ' +
      'production and 401 in production.',
  })
  @ApiErrors([ErrorCode.UNAUTHORIZED, 'Metrics require a bearer token'])
  @ApiProduces('text/plain')
  @ApiOkResponse({
    description: 'Prometheus text format',
    content: { 'text/plain': { schema: { type: 'string' } } },
  })
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
