import { Controller, Get, VERSION_NEUTRAL } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { Public } from '../auth/auth.decorators';
import { GaleraHealthIndicator } from './galera.health';
import { GatewayHealthIndicator } from './gateway.health';
import { MysqlHealthIndicator } from './mysql.health';
import { RedisHealthIndicator } from './redis.health';
import { UnionpayHealthIndicator } from './unionpay.health';

@ApiTags('ops')
@Controller({ path: 'health', version: VERSION_NEUTRAL })
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: MysqlHealthIndicator,
    private readonly redis: RedisHealthIndicator,
    private readonly gateway: GatewayHealthIndicator,
    private readonly galera: GaleraHealthIndicator,
    private readonly unionpay: UnionpayHealthIndicator,
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
      () => this.gateway.isHealthy(),
      () => this.unionpay.isHealthy(),
    ]);
  }
}
