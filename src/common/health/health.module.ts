import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller';
import { GaleraHealthIndicator } from './galera.health';
import { ChannelKeysHealthIndicator } from './channel-keys.health';
import { MysqlHealthIndicator } from './mysql.health';
import { RedisHealthIndicator } from './redis.health';

@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController],
  providers: [MysqlHealthIndicator, RedisHealthIndicator, ChannelKeysHealthIndicator, GaleraHealthIndicator],
})
export class HealthModule {}
