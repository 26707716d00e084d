import { Controller, Get, VERSION_NEUTRAL } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { Public } from '../auth/auth.decorators';
import { GaleraHealthIndicator } from './galera.health';
import { ChannelKeysHealthIndicator } from './channel-keys.health';
import { MysqlHealthIndicator } from './mysql.health';
import { RedisHealthIndicator } from './redis.health';

@ApiTags('ops')
@Controller({ path: 'health', version: VERSION_NEUTRAL })
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: MysqlHealthIndicator,
    private readonly redis: RedisHealthIndicator,
    private readonly channelKeys: ChannelKeysHealthIndicator,
    private readonly galera: GaleraHealthIndicator,
  ) {}

  @Public()
  @Get()
  @HealthCheck()
  @ApiOperation({
    summary: 'Liveness and dependencies: MySQL, Redis and gateway key readiness (503 when one is down)',
    description:
      'A dependency that is down says `status: down` with a stable `reason` (TIMEOUT, UNREACHABLE, …); ' +
      "the library's message is in the log only.",
  })
  check() {
    return this.health.check([
      () => this.db.isHealthy(),
      // a Galera node only: Primary, Synced and ready (nothing on another server)
      () => this.galera.isHealthy(),
      () => this.redis.isHealthy(),
      // the gateway mode and every enabled channel's keys, then one indicator per enabled channel
      ...this.channelKeys.checks(),
    ]);
  }
}
