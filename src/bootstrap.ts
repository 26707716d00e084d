import 'reflect-metadata';
import { DynamicModule, Module, Type, ValidationPipe, VersioningType } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { validateEnv } from './config/env.validation';
import { AllExceptionsFilter } from './common/errors/all-exceptions.filter';
import { genRequestId } from './common/http/request-id';
import { MetricsService } from './common/metrics/metrics.service';

/**
 * Builds the whole application (used by main.ts, the e2e tests and the bench, so all three run the
 * same wiring). Does not listen.
 */
export async function createApp(
  extraImports: Array<Type | DynamicModule> = [],
): Promise<NestFastifyApplication> {
  const env = validateEnv(process.env); // fail before anything connects
  const adapter = new FastifyAdapter({
    bodyLimit: env.BODY_LIMIT_BYTES,
    genReqId: genRequestId,
    requestIdHeader: false,
    trustProxy: true,
  });
  // tests may mount extra modules (e.g. a probe controller) beside the real application
  const root = extraImports.length ? rootWith(extraImports) : AppModule;
  const app = await NestFactory.create<NestFastifyApplication>(root, adapter, {
    bufferLogs: true,
    rawBody: true,
  });
  app.useLogger(app.get(Logger));
  app.enableVersioning({ type: VersioningType.URI, defaultVersion: '1' });
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      stopAtFirstError: false,
    }),
  );
  app.useGlobalFilters(new AllExceptionsFilter());
  app.enableShutdownHooks();

  const fastify = app.getHttpAdapter().getInstance();
  const metrics = app.get(MetricsService);
  fastify.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });
  fastify.addHook('onResponse', async (req, reply) => {
    metrics.httpDuration.observe(
      { method: req.method, route: req.routeOptions?.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  const doc = new DocumentBuilder()
    .setTitle('oncepay')
    .setDescription(
      'Orders created once, charged once, credited once, never lost. Mint a token at POST /v1/dev/tokens ' +
        '(sandbox only), press Authorize, and follow the README walk-through.',
    )
    .setVersion('1')
    .addBearerAuth()
    .addSecurityRequirements('bearer')
    .build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, doc), {
    jsonDocumentUrl: 'docs-json',
  });
  return app;
}

function rootWith(extra: Array<Type | DynamicModule>): Type {
  @Module({ imports: [AppModule, ...extra] })
  class RootWithExtras {}
  return RootWithExtras;
}
