/**
 * Prints the OpenAPI document (the one /docs-json serves with the sandbox on) without MySQL or Redis:
 * Nest's preview mode wires the modules and reads the decorators but creates no provider.
 *   npx ts-node --transpile-only scripts/openapi.ts [out.json]
 * `npm run lint:openapi` lints its output with Redocly.
 */
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';

// the documented deployment: development defaults, sandbox on, a fixed base URL (deterministic output)
Object.assign(process.env, {
  NODE_ENV: 'development',
  PAYMENT_GATEWAY: 'sandbox',
  PUBLIC_BASE_URL: 'http://127.0.0.1:3000',
  BENCH_ROUTES: 'false',
  LOG_LEVEL: 'silent',
});

async function main() {
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
  const doc = buildOpenApi(app, { publicBaseUrl: process.env.PUBLIC_BASE_URL!, sandboxOn: true });
  const json = `${JSON.stringify(doc, null, 2)}\n`;
  if (process.argv[2]) writeFileSync(process.argv[2], json);
  else process.stdout.write(json);
}

main().catch((err) => {
  process.stderr.write(`openapi: ${(err as Error)?.stack ?? err}\n`);
  process.exit(1);
});
