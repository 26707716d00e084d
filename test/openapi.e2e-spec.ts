import { PATH_METADATA } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';
import { IS_PUBLIC } from '../src/common/auth/auth.decorators';
import { OPENAPI_TAGS } from '../src/common/openapi/openapi';
import { offlineOpenApi } from '../scripts/openapi';
import { createTestApp, TestApp } from './utils/test-app';

/**
 * The OpenAPI document /docs-json serves (what Swagger UI renders and `npm run lint:openapi` lints):
 * the facts a client generator or a person in Swagger UI relies on. Issue 14.
 */
type Op = Record<string, any>;
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

describe('OpenAPI document', () => {
  let t: TestApp;
  let doc: any;
  let ops: Array<{ method: string; path: string; op: Op }>;

  beforeAll(async () => {
    t = await createTestApp();
    doc = (await t.http().get('/docs-json').expect(200)).body;
    ops = Object.entries(doc.paths as Record<string, Record<string, Op>>).flatMap(([path, item]) =>
      METHODS.filter((m) => item[m]).map((method) => ({ method, path, op: item[method] })),
    );
  });
  afterAll(() => t.close());

  const schema = (name: string) => doc.components.schemas[name];
  const prop = (s: string, p: string) => {
    const v = schema(s).properties[p];
    expect(v).toBeDefined();
    return v;
  };

  it('servers is PUBLIC_BASE_URL (its default: this instance)', () => {
    expect(doc.servers).toEqual([{ url: t.baseUrl, description: 'PUBLIC_BASE_URL' }]);
  });

  it('fen amounts, stock, quantities and limits are integers with bounds', () => {
    const ints: Array<[string, string, number, number?]> = [
      ['CreateProductDto', 'price', 1, 1_000_000_000],
      ['CreateProductDto', 'stock', 0, 1_000_000_000],
      ['ProductResponse', 'price', 1, 1_000_000_000],
      ['ProductResponse', 'stock', 0, 1_000_000_000],
      ['ProductResponse', 'id', 1],
      ['OrderLineDto', 'productId', 1, Number.MAX_SAFE_INTEGER],
      ['OrderLineDto', 'quantity', 1, 999],
      ['OrderItemResponse', 'quantity', 1, 999],
      ['OrderItemResponse', 'unitPrice', 1, 1_000_000_000],
      ['OrderResponse', 'totalAmount', 1],
      ['CreateRechargeDto', 'amount', 1, 5_000_000],
      ['AccountResponse', 'balance', 0],
      ['PaymentResponse', 'amount', 1],
      ['CreateRefundDto', 'amount', 1, 1_000_000_000_000],
      ['RefundResponse', 'amount', 1],
      ['InjectTradeDto', 'amount', 1, 10_000_000_000],
    ];
    for (const [s, p, min, max] of ints) {
      expect({ at: `${s}.${p}`, ...prop(s, p) }).toMatchObject({
        at: `${s}.${p}`,
        type: 'integer',
        minimum: min,
        ...(max === undefined ? {} : { maximum: max }),
      });
    }
    const limit = doc.paths['/v1/orders'].get.parameters.find((p: Op) => p.name === 'limit');
    expect(limit.schema).toMatchObject({ type: 'integer', minimum: 1, maximum: 100 });
    const id = doc.paths['/v1/products/{id}'].get.parameters.find((p: Op) => p.name === 'id');
    expect(id.schema).toMatchObject({ type: 'integer', minimum: 1 });
    // no `number` is left anywhere in our own schemas: every count and amount is integral
    const numbers = Object.entries(doc.components.schemas as Record<string, Op>).flatMap(([s, v]) =>
      Object.entries((v.properties ?? {}) as Record<string, Op>)
        .filter(([, p]) => p.type === 'number')
        .map(([p]) => `${s}.${p}`),
    );
    expect(numbers).toEqual([]);
  });

  it('nullable fields are nullable strings, dates are date-time, and nothing renders as an empty object', () => {
    for (const [s, p] of [
      ['PaymentResponse', 'qrCode'],
      ['RefundResponse', 'failedReason'],
      ['OrderPageResponse', 'nextCursor'],
    ]) {
      expect({ at: `${s}.${p}`, ...prop(s, p) }).toMatchObject({
        at: `${s}.${p}`,
        type: 'string',
        nullable: true,
      });
    }
    for (const [s, p] of [
      ['PaymentResponse', 'paidAt'],
      ['PaymentResponse', 'closedAt'],
      ['RefundResponse', 'succeededAt'],
      ['SandboxTradeResponse', 'gmtPayment'],
    ]) {
      expect({ at: `${s}.${p}`, ...prop(s, p) }).toMatchObject({
        at: `${s}.${p}`,
        type: 'string',
        format: 'date-time',
        nullable: true,
      });
    }
    expect(prop('OrderResponse', 'remark')).toMatchObject({ type: 'string' });
    expect(schema('OrderResponse').required).not.toContain('remark');
    // every …At field of every schema is a date-time string
    const dates = Object.entries(doc.components.schemas as Record<string, Op>).flatMap(([s, v]) =>
      Object.entries((v.properties ?? {}) as Record<string, Op>)
        .filter(([p]) => /At$/.test(p))
        .map(([p, d]) => [`${s}.${p}`, d.type, d.format]),
    );
    expect(dates.length).toBeGreaterThan(10);
    for (const d of dates) expect(d).toEqual([d[0], 'string', 'date-time']);
    // an object without properties, $ref or additionalProperties is what Swagger UI shows as `{ }`
    const shapeless = Object.entries(doc.components.schemas as Record<string, Op>).flatMap(([s, v]) =>
      Object.entries((v.properties ?? {}) as Record<string, Op>)
        .filter(
          ([, p]) => p.type === 'object' && !p.properties && !p.additionalProperties && !p.allOf && !p.$ref,
        )
        .map(([p]) => `${s}.${p}`),
    );
    expect(shapeless).toEqual([]);
  });

  it('every error response is an ErrorResponse; every response documents X-Request-Id; keyed creates their headers', () => {
    expect(schema('ErrorResponse').required).toEqual(
      expect.arrayContaining(['statusCode', 'code', 'message', 'requestId']),
    );
    let errors = 0;
    for (const { method, path, op } of ops) {
      for (const [status, res] of Object.entries(op.responses as Record<string, Op>)) {
        const at = `${method} ${path} ${status}`;
        expect({ at, h: Object.keys(res.headers ?? {}) }).toEqual({
          at,
          h: expect.arrayContaining(['X-Request-Id']),
        });
        if (Number(status) >= 400) {
          errors++;
          expect({ at, s: res.content?.['application/json']?.schema }).toEqual({
            at,
            s: { $ref: '#/components/schemas/ErrorResponse' },
          });
        } else {
          expect({ at, d: res.description.length > 0 }).toEqual({ at, d: true });
        }
        if (['409', '429', '503'].includes(status)) expect(Object.keys(res.headers)).toContain('Retry-After');
      }
    }
    expect(errors).toBeGreaterThan(40);
    for (const path of ['/v1/orders', '/v1/recharges', '/v1/orders/{orderNo}/refunds']) {
      expect(Object.keys(doc.paths[path].post.responses['201'].headers)).toEqual(
        expect.arrayContaining(['Idempotent-Replayed', 'Idempotency-Key-Expires']),
      );
    }
    for (const name of ['X-Request-Id', 'Idempotent-Replayed', 'Idempotency-Key-Expires', 'Retry-After']) {
      expect(doc.components.headers[name].description).toEqual(expect.any(String));
    }
  });

  it('nothing that Swagger UI would prefill into a parameter: no examples on path, query or header parameters', () => {
    const prefilled = ops.flatMap(({ method, path, op }) =>
      (op.parameters ?? [])
        .filter((p: Op) => p.example !== undefined || p.examples || p.schema?.example !== undefined)
        .map((p: Op) => `${method} ${path} ${p.name}`),
    );
    expect(prefilled).toEqual([]);
    const key = doc.paths['/v1/orders'].post.parameters.find((p: Op) => p.name === 'Idempotency-Key');
    expect(key.description).toMatch(/e\.g\. `order-/);
  });

  it('public routes (@Public(), which the auth guard reads) have no padlock; every other route needs the bearer token and documents 401', () => {
    // the routes of the app as Nest mounted them, with the guard's own view of @Public()
    const publicById = new Map<string, boolean>();
    for (const mod of t.app.get(ModulesContainer).values()) {
      for (const { metatype } of mod.controllers.values()) {
        if (!metatype) continue;
        for (const name of Object.getOwnPropertyNames(metatype.prototype)) {
          const fn = metatype.prototype[name];
          if (typeof fn !== 'function' || Reflect.getMetadata(PATH_METADATA, fn) === undefined) continue;
          const pub = !!(Reflect.getMetadata(IS_PUBLIC, fn) ?? Reflect.getMetadata(IS_PUBLIC, metatype));
          publicById.set(`${metatype.name}_${name}`, pub);
        }
      }
    }
    expect(doc.security).toEqual([{ bearer: [] }]);
    const publicOps: string[] = [];
    for (const { method, path, op } of ops) {
      const pub = publicById.get(op.operationId.replace(/_v\d+$/, ''));
      expect({ op: op.operationId, known: pub !== undefined }).toEqual({ op: op.operationId, known: true });
      if (pub) {
        publicOps.push(`${method} ${path}`);
        expect({ op: op.operationId, security: op.security }).toEqual({ op: op.operationId, security: [] });
      } else {
        expect({ op: op.operationId, security: op.security }).toEqual({
          op: op.operationId,
          security: [{ bearer: [] }],
        });
        expect({ op: op.operationId, has401: '401' in op.responses }).toEqual({
          op: op.operationId,
          has401: true,
        });
      }
    }
    expect(publicOps).toEqual(
      expect.arrayContaining([
        'get /health',
        'get /metrics',
        'post /v1/dev/tokens',
        'get /v1/products',
        'get /v1/products/{id}',
        'post /v1/callbacks/alipay',
        'post /sandbox/alipay/trades/{outTradeNo}/pay',
      ]),
    );
    expect(publicOps).not.toContain('post /v1/orders');
    const bearer = doc.components.securitySchemes.bearer;
    expect(bearer).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    expect(bearer.description).toContain('POST /v1/dev/tokens');
  });

  it('tags follow the README walk-through, each with a one-line description, and every used tag is declared', () => {
    expect(doc.tags.map((x: Op) => x.name)).toEqual(OPENAPI_TAGS.map(([n]) => n));
    expect(doc.tags.slice(0, 7).map((x: Op) => x.name)).toEqual([
      'dev',
      'catalog',
      'orders',
      'payments',
      'sandbox',
      'wallet',
      'refunds',
    ]);
    for (const tag of doc.tags) expect(tag.description).toMatch(/^[^\n]{10,140}$/);
    const declared = new Set(doc.tags.map((x: Op) => x.name));
    for (const { op } of ops)
      for (const tag of op.tags)
        expect({ tag, declared: declared.has(tag) }).toEqual({ tag, declared: true });
    expect(doc.paths['/v1/recharges'].post.tags).toEqual(['wallet']);
  });

  it('sandbox answers are typed, and request bodies offer the walk-through values', () => {
    // every JSON answer meant for people or clients has a schema (the gateway protocol mimics excepted)
    const untyped = ops
      .filter(({ path }) => !/^\/sandbox\/(alipay\/gateway\.do|wechat\/v3\/)/.test(path))
      .flatMap(({ method, path, op }) =>
        Object.entries(op.responses as Record<string, Op>)
          .filter(([status]) => Number(status) < 300 && status !== '204')
          .filter(([, r]) => !Object.values((r.content ?? {}) as Record<string, Op>).some((c) => c.schema))
          .map(([status]) => `${method} ${path} ${status}`),
      );
    expect(untyped).toEqual([]);
    expect(
      doc.paths['/sandbox/wechat/transactions/{outTradeNo}'].get.responses['200'].content['application/json']
        .schema,
    ).toEqual({
      $ref: '#/components/schemas/WxTransactionDetailResponse',
    });
    const show = doc.paths['/sandbox/alipay/trades/{outTradeNo}'].get;
    expect(show.responses['200'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/SandboxTradeDetailResponse',
    });
    expect(show.parameters[0].description).toContain('paymentNo');
    const pay = doc.paths['/sandbox/alipay/trades/{outTradeNo}/pay'].post;
    expect(pay.responses['200'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/SandboxTradeResponse',
    });
    const payExamples = pay.requestBody.content['application/json'].examples;
    expect(Object.values(payExamples)[0]).toMatchObject({ value: { notify: { mode: 'normal' } } });
    const tokenExamples = doc.paths['/v1/dev/tokens'].post.requestBody.content['application/json'].examples;
    expect(Object.values(tokenExamples).map((e: any) => e.value)).toEqual([
      { userId: 'admin-1', role: 'admin' },
      { userId: 'u-1001', role: 'user' },
    ]);
    // examples tell one story: a CREATED order has no paidAt / cancelledAt
    const created = doc.paths['/v1/orders'].post.responses['201'].content['application/json'].example;
    expect(created).toMatchObject({ status: 'CREATED', totalAmount: 17600 });
    expect(created).not.toHaveProperty('paidAt');
    expect(created).not.toHaveProperty('cancelledAt');
    expect(
      doc.paths['/v1/recharges'].post.responses['201'].content['application/json'].example,
    ).toMatchObject({
      type: 'RECHARGE',
      items: [],
    });
  });

  it('is the document `npm run lint:openapi` lints (scripts/openapi.ts, built without MySQL or Redis)', async () => {
    expect(JSON.parse(JSON.stringify(await offlineOpenApi(t.baseUrl)))).toEqual(doc);
  });

  it('Swagger UI keeps the token across reloads', async () => {
    const init = await t.http().get('/docs/swagger-ui-init.js').expect(200);
    expect(init.text).toMatch(/"persistAuthorization":\s*true/);
  });
});
