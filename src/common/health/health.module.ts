import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller';
import { GaleraHealthIndicator } from './galera.health';
import { GatewayHealthIndicator } from './gateway.health';
import { MysqlHealthIndicator } from './mysql.health';
import { RedisHealthIndicator } from './redis.health';
import { UnionpayHealthIndicator } from './unionpay.health';

@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController],
  providers: [
    MysqlHealthIndicator,
    RedisHealthIndicator,
    GatewayHealthIndicator,
    GaleraHealthIndicator,
    UnionpayHealthIndicator,
  ],
})
export class HealthModule {}
