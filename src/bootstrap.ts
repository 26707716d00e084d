import 'reflect-metadata';
import { DynamicModule, Module, Type, ValidationPipe, VersioningType } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { ConfigType } from '@nestjs/config';
import { SwaggerModule } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Logger, PinoLogger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { validateEnv } from './config/env.validation';
import { fastifyTrustProxy, parseTrustProxy } from './config/trust-proxy';
import { AllExceptionsFilter } from './common/errors/all-exceptions.filter';
import { clientErrorHandler } from './common/http/client-error';
import { checkJsonBody } from './common/http/json-guard';
import { genRequestId } from './common/http/request-id';
import { lazyRequestLogs, useLazyRequestLogger } from './common/logging/request-logger';
import { DomainError, ErrorCode } from './common/errors';
import { sendError } from './common/errors/all-exceptions.filter';
import { Logger as NestLogger } from '@nestjs/common';
import { MetricsService } from './common/metrics/metrics.service';
import { buildOpenApi, SWAGGER_UI_OPTIONS } from './common/openapi/openapi';
import { appConfig } from './config/configuration';

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
    // request.ip is the TCP peer unless that peer is a configured proxy (TRUST_PROXY): the per-address rate
    // limits must not count whatever a client writes into X-Forwarded-For
    trustProxy: fastifyTrustProxy(parseTrustProxy(env.TRUST_PROXY as string)),
    // Node answers an HTTP/1.1 request without Host itself, 400 with an empty body; the hook below answers
    // it with the error envelope instead
    http: { requireHostHeader: false },
    // errors before any route (431, broken request line) and routing errors (bad URL) answer the envelope too
    clientErrorHandler,
    frameworkErrors: (err: Error, req: FastifyRequest, reply: FastifyReply) =>
      sendError(reply, err, req.id, new NestLogger('Errors')),
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
  const { logLevel } = app.get<ConfigType<typeof appConfig>>(appConfig.KEY);
  // each request's logger is made only if the request writes a record (src/common/logging/request-logger.ts);
  // below debug, genRequestId puts it on the raw request, where nestjs-pino's middleware finds it
  useLazyRequestLogger(lazyRequestLogs(logLevel) ? (await app.resolve(PinoLogger)).logger : null);
  // JSON bodies: Fastify's own parser (raw bytes kept as req.rawBody), except on the WeChat notify route,
  // whose handler reads the raw bytes itself — the signature is over them, and a body that is not JSON
  // must still get WeChat's `{"code":"FAIL"}` answer (and a log row), not the error envelope.
  const defaultJson = fastify.getDefaultJsonParser('error', 'error');
  app.useBodyParser('application/json', { bodyLimit: env.BODY_LIMIT_BYTES as number }, (req, body, done) => {
    if (req.routeOptions?.url === WECHAT_NOTIFY_ROUTE) return done(null, {});
    defaultJson(req as Parameters<typeof defaultJson>[0], body as unknown as string, done); // Buffer, as Nest passes it
  });
  const metrics = app.get(MetricsService);
  fastify.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });
  // HTTP/1.1 requires Host (RFC 9112 §3.2): a request without one is 400 in the envelope, before routing
  fastify.addHook('onRequest', async (req) => {
    if (req.raw.httpVersion === '1.1' && req.headers.host === undefined) {
      throw new DomainError(ErrorCode.VALIDATION_FAILED, 'The Host header is required', {
        reason: 'HOST_REQUIRED',
      });
    }
  });
  // Bound the shape of JSON bodies before anything walks them recursively (the idempotency fingerprint,
  // class-transformer): a body nested deeper than JSON_MAX_DEPTH, or carrying a control character in any
  // key or string, is 400 VALIDATION_FAILED here, so it never reaches a 5xx or a row.
  fastify.addHook('preValidation', async (req) => {
    if (req.body === undefined || req.body === null || typeof req.body !== 'object') return;
    if (!/^application\/json\b/i.test(String(req.headers['content-type'] ?? ''))) return;
    // the gateway callback refuses what is not a form itself (answers `fail`, logs it)
    if (req.routeOptions?.url?.startsWith('/v1/callbacks/')) return;
    const problem = checkJsonBody(req.body, env.JSON_MAX_DEPTH as number);
    if (!problem) return;
    throw new DomainError(
      ErrorCode.VALIDATION_FAILED,
      problem.reason === 'JSON_TOO_DEEP'
        ? `Request body nests deeper than ${problem.maxDepth} levels`
        : `Control characters are not allowed (at ${problem.path})`,
      problem.reason === 'JSON_TOO_DEEP'
        ? { reason: problem.reason }
        : { reason: problem.reason, path: problem.path },
    );
  });
  fastify.addHook('onResponse', async (req, reply) => {
    metrics.httpDuration.observe(
      { method: req.method, route: req.routeOptions?.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  // Swagger: off by default in production (SWAGGER_ENABLED=true turns it on)
  if ((env.SWAGGER_ENABLED as boolean | undefined) ?? env.NODE_ENV !== 'production') {
    const opts = {
      publicBaseUrl: app.get<ConfigType<typeof appConfig>>(appConfig.KEY).publicBaseUrl,
      // routes that answer 404 unless the sandbox is on (dev tokens, the simulator) are not listed without it
      sandboxOn: env.PAYMENT_GATEWAY === 'sandbox' && env.NODE_ENV !== 'production',
    };
    SwaggerModule.setup('docs', app, () => buildOpenApi(app, opts), SWAGGER_UI_OPTIONS);
  }
  return app;
}

/** The WeChat Pay notify route, whose JSON body is read raw by its handler. */
const WECHAT_NOTIFY_ROUTE = '/v1/callbacks/wechat';

function rootWith(extra: Array<Type | DynamicModule>): Type {
  @Module({ imports: [AppModule, ...extra] })
  class RootWithExtras {}
  return RootWithExtras;
}
