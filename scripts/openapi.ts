/**
 * Prints the OpenAPI document (the one /docs-json serves with the sandbox on) without MySQL or Redis:
 * Nest's preview mode wires the modules and reads the decorators but creates no provider.
 *   npx ts-node --transpile-only scripts/openapi.ts [out.json]
 * `npm run lint:openapi` lints its output with Redocly; test/openapi.e2e-spec.ts checks that this
 * document is the one a running app serves.
 */
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import type { OpenAPIObject } from '@nestjs/swagger';

/** The document of the app as configured by process.env, built without connecting to anything. */
export async function offlineOpenApi(publicBaseUrl: string): Promise<OpenAPIObject> {
  const [{ NestFactory }, { VersioningType }, { FastifyAdapter }, { AppModule }, { buildOpenApi }] =
    await Promise.all([
      import('@nestjs/core'),
      import('@nestjs/common'),
      import('@nestjs/platform-fastify'),
      import('../src/app.module'),
      import('../src/common/openapi/openapi'),
    ]);
  const app = await NestFactory.create(AppModule, new FastifyAdapter(), { preview: true, logger: false });
  app.enableVersioning({ type: VersioningType.URI, defaultVersion: '1' });
  return buildOpenApi(app, { publicBaseUrl, sandboxOn: true });
}

async function main() {
  // the documented deployment: development defaults, sandbox on, a fixed base URL (deterministic output)
  Object.assign(process.env, {
    NODE_ENV: 'development',
    PAYMENT_GATEWAY: 'sandbox',
    PUBLIC_BASE_URL: 'http://127.0.0.1:3000',
    BENCH_ROUTES: 'false',
    LOG_LEVEL: 'silent',
  });
  const json = `${JSON.stringify(await offlineOpenApi(process.env.PUBLIC_BASE_URL!), null, 2)}\n`;
  if (process.argv[2]) writeFileSync(process.argv[2], json);
  else process.stdout.write(json);
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`openapi: ${(err as Error)?.stack ?? err}\n`);
    process.exit(1);
  });
}
