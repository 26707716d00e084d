import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, getSchemaPath, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { OPENAPI_PUBLIC } from '../auth/auth.decorators';
import { ErrorEnvelope } from '../errors/error-envelope.dto';

export interface OpenApiOptions {
  /** PUBLIC_BASE_URL (or its default): the one `servers` entry, where "Execute" sends requests. */
  publicBaseUrl: string;
  /** Routes that are 404 without the sandbox (dev tokens, /sandbox) are listed only when it is on. */
  sandboxOn: boolean;
}

/**
 * Tags in the order of the README walk-through (Swagger UI shows them in this order), one line each.
 * A tag used by an operation but missing here fails test/openapi.e2e-spec.ts.
 */
export const OPENAPI_TAGS: Array<[string, string]> = [
  ['dev', 'Step 1 and 3: mint a bearer token for any user id and role (sandbox only, never in production).'],
  [
    'catalog',
    'Step 2: products with integer-fen prices and stock; reads are public, creating needs an admin.',
  ],
  ['orders', 'Step 4: submit (guarded against double submits), read and cancel orders.'],
  ['payments', 'Step 5: start a payment of an order (QR code, or the wallet) and read it.'],
  ['sandbox', 'Steps 6–7: the built-in Alipay simulator; play the buyer, see every notify, arm faults.'],
  ['wallet', "Step 8: recharge orders (paying one credits the wallet), the caller's balance and entries."],
  ['refunds', 'Step 9: refund a paid order in full or in part (admin).'],
  ['transfers', 'Step 10: send wallet money to another user, the number first: create, then execute once.'],
  [
    'payouts',
    'Step 12: pay wallet money out to an Alipay or WeChat account, the number first; large ones reviewed.',
  ],
  ['idempotency', 'One-time Idempotency-Token values, an alternative to an Idempotency-Key for one submit.'],
  ['admin', "Operator tasks: reconcile a day against the gateway's bill; check the ledger."],
  ['events', 'Events out: signed webhooks to registered endpoints and the gap-free event feed (admin).'],
  ['callbacks', 'Called by the payment gateways (async notifies), never by clients.'],
  ['sandbox-wechat', 'The built-in WeChat Pay v3 simulator (sandbox only).'],
  ['ops', 'Health of MySQL, Redis and gateway keys; Prometheus metrics.'],
];

export const BEARER_DESCRIPTION =
  'A JWT (HS256). In the sandbox (PAYMENT_GATEWAY=sandbox, not production) mint one with ' +
  'POST /v1/dev/tokens {"userId": "u-1001", "role": "user"} (role "admin" for catalog writes and ' +
  'refunds), copy `token` from the answer and paste it here without the word Bearer. It stays set ' +
  'across reloads; press Logout to switch to another token.';

const HEADERS: Record<string, { description: string; schema: Record<string, unknown> }> = {
  'X-Request-Id': {
    description:
      'Id of this request (yours if you sent a safe X-Request-Id, else a UUID); also `requestId` of errors.',
    schema: { type: 'string', example: '0b8f3c3e-6a5d-4f1e-9a7b-2c4d5e6f7a8b' },
  },
  'Idempotent-Replayed': {
    description:
      'true when this answer is the stored answer of an earlier request with the same Idempotency-Key.',
    schema: { type: 'string', enum: ['true'] },
  },
  'Idempotency-Key-Expires': {
    description: 'With an Idempotency-Key: until when the stored answer is replayed (HTTP date).',
    schema: { type: 'string', example: 'Tue, 24 Nov 2026 12:00:00 GMT' },
  },
  'Retry-After': {
    description: 'Seconds to wait before retrying (REQUEST_IN_PROGRESS, RATE_LIMITED, 502, 503).',
    schema: { type: 'integer', minimum: 1, example: 1 },
  },
};

/** Statuses whose errors may say when to retry. */
const RETRY_AFTER_STATUSES = new Set(['409', '429', '502', '503']);

/**
 * The OpenAPI document of the running app: what /docs and /docs-json serve, and what `npm run lint`
 * lints (scripts/openapi.ts builds it without MySQL or Redis). Pure over the app's decorators and
 * `opts`; the rules below apply to every route so a new controller cannot forget them.
 */
export function buildOpenApi(app: INestApplication, opts: OpenApiOptions): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setTitle('oncepay')
    .setDescription(
      'Orders created once, charged once, credited once, never lost. Amounts are integer fen ' +
        '(8800 = ¥88.00). Mint a token at POST /v1/dev/tokens (sandbox only), press Authorize, ' +
        'and follow the README walk-through. Every error answer is an ErrorResponse; every answer ' +
        'carries X-Request-Id.',
    )
    .setVersion('1')
    .setLicense('UNLICENSED (private)', 'https://docs.npmjs.com/cli/configuring-npm/package-json#license')
    .addServer(opts.publicBaseUrl, 'PUBLIC_BASE_URL')
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: BEARER_DESCRIPTION },
      'bearer',
    )
    .addSecurityRequirements('bearer');
  for (const [name, description] of OPENAPI_TAGS) builder.addTag(name, description);

  const doc = SwaggerModule.createDocument(app, builder.build(), { extraModels: [ErrorEnvelope] });
  if (!opts.sandboxOn) {
    for (const path of Object.keys(doc.paths)) {
      if (path.startsWith('/v1/dev/') || path.startsWith('/sandbox/')) delete doc.paths[path];
    }
  }
  doc.components = doc.components ?? {};
  doc.components.headers = Object.fromEntries(Object.entries(HEADERS));
  const errorRef = { $ref: getSchemaPath(ErrorEnvelope) };
  const headerRef = (name: string) => ({ $ref: `#/components/headers/${name}` });

  for (const item of Object.values(doc.paths)) {
    for (const op of Object.values(item) as any[]) {
      if (!op || typeof op !== 'object' || !op.responses) continue;
      if (op[OPENAPI_PUBLIC]) {
        op.security = []; // @Public(): no padlock, no token sent
        delete op[OPENAPI_PUBLIC];
      }
      // Swagger UI fills "Try it out" inputs from examples: a filled Idempotency-Key replays an old
      // request, a filled status filter hides orders, a filled path number 404s. Parameters say what
      // they take in their description instead.
      for (const p of op.parameters ?? []) {
        delete p.example;
        delete p.examples;
        if (p.schema) delete p.schema.example;
      }
      const keyed = (op.parameters ?? []).some((p: any) => p.in === 'header' && p.name === 'Idempotency-Key');
      for (const [status, res] of Object.entries(op.responses) as Array<[string, any]>) {
        const headers: Record<string, unknown> = { 'X-Request-Id': headerRef('X-Request-Id') };
        if (keyed && !status.startsWith('5')) {
          headers['Idempotent-Replayed'] = headerRef('Idempotent-Replayed');
          headers['Idempotency-Key-Expires'] = headerRef('Idempotency-Key-Expires');
        }
        if (RETRY_AFTER_STATUSES.has(status)) headers['Retry-After'] = headerRef('Retry-After');
        res.headers = { ...headers, ...(res.headers ?? {}) };
        if (Number(status) >= 400) {
          // every error answer is the one envelope; keep the examples a decorator gave
          const json = res.content?.['application/json'] ?? {};
          res.content = { 'application/json': { ...json, schema: errorRef } };
        }
      }
    }
  }
  return doc;
}

/** Swagger UI: the token survives reloads (the walk-through switches users twice). */
export const SWAGGER_UI_OPTIONS = {
  jsonDocumentUrl: 'docs-json',
  swaggerOptions: { persistAuthorization: true },
};
