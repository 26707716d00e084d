import { Module } from '@nestjs/common';
import { ConfigModule, ConfigType } from '@nestjs/config';
import { LoggerModule } from 'nestjs-pino';
import { allConfigs, appConfig } from './config/configuration';
import { AuthModule } from './common/auth/auth.module';
import { DatabaseModule } from './common/database/database.module';
import { HealthModule } from './common/health/health.module';
import { MetricsModule } from './common/metrics/metrics.module';
import { QueueModule } from './common/queue/queue.module';
import { RedisModule } from './common/redis/redis.module';
import { OutboxModule } from './common/outbox/outbox.module';
import { FEATURE_MODULES } from './feature-modules';
import { currentLogFormatInput, logTransport } from './common/logging/log-format';
import { redactedRequest } from './common/logging/request-serializer';
import { lazyRequestLogs, requestLogFields } from './common/logging/request-logger';

@Module({
  imports: [
    ConfigModule.forRoot({
      isGlobal: true,
      cache: false,
      load: allConfigs,
      // tests build their environment explicitly; a developer's .env must not leak into them
      ignoreEnvFile: process.env.NODE_ENV === 'test',
    }),
    LoggerModule.forRootAsync({
      inject: [appConfig.KEY],
      useFactory: (app: ConfigType<typeof appConfig>) => ({
        // below debug, each request's logger is made only when it writes (lazyRequestLogger, set by an
        // onRequest hook in createApp): nestjs-pino then only keeps it for the request (issue 28)
        useExisting: lazyRequestLogs(app.logLevel) ? true : undefined,
        pinoHttp: {
          level: app.logLevel,
          genReqId: (req) => req.headers['x-request-id'] as string,
          customProps: requestLogFields,
          autoLogging: !lazyRequestLogs(app.logLevel),
          // Authorization and Cookie headers are redacted by the req serializer (what `redact` on those two
          // paths wrote, without its clone of every request's binding: issue 28)
          serializers: { req: redactedRequest },
          // readable lines on a developer's terminal, JSON everywhere else (docs/architecture.md#logs)
          transport: logTransport(currentLogFormatInput(app.nodeEnv)),
        },
      }),
    }),
    DatabaseModule,
    RedisModule,
    QueueModule,
    MetricsModule,
    OutboxModule,
    AuthModule,
    HealthModule,
    ...FEATURE_MODULES,
  ],
})
export class AppModule {}
