import {
  applyDecorators,
  createParamDecorator,
  ExecutionContext,
  SetMetadata,
  UseInterceptors,
} from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiHeader,
  ApiServiceUnavailableResponse,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { IdempotentSubmitInterceptor } from './idempotent-submit.interceptor';

export const IDEMPOTENT_SUBMIT = 'oncepay:idempotentSubmit';

export interface IdempotentSubmitOptions {
  /** Names the operation; part of every fingerprint and key (e.g. 'orders.create'). */
  scope: string;
  /** Field of the response body that identifies the created resource (reported on DUPLICATE_SUBMIT). */
  resultIdField: string;
  /** Body paths whose arrays are sets (order does not matter to the fingerprint). */
  setPaths?: string[];
  /**
   * Route params that are part of the request (e.g. `orderNo` of /orders/{orderNo}/refunds): they enter
   * the fingerprint with the body, so one key or body on another order is another request.
   */
  params?: string[];
}

/** What the handler learns: the caller's Idempotency-Key (if any) and the request fingerprint. */
export interface IdempotencyContext {
  key: string | null;
  fingerprint: string;
}

/**
 * Protects a create route against double submits, in one decorator:
 * `Idempotency-Key` (replay / 422 / 409 + Retry-After, stored 24 h) when present; else a one-time
 * `Idempotency-Token` when present; else the content guard (409 DUPLICATE_SUBMIT within the window).
 */
export const IdempotentSubmit = (opts: IdempotentSubmitOptions) =>
  applyDecorators(
    SetMetadata(IDEMPOTENT_SUBMIT, opts),
    UseInterceptors(IdempotentSubmitInterceptor),
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      // no `example`: Swagger UI would fill it in, and every "Execute" would replay the first request
      description:
        'Optional. Up to 255 printable ASCII characters, new for each operation you mean, e.g. ' +
        '`order-7f3c2a10-9b8e-4c55-a1d2-0e6f5b4c3a21`. A retry with the same key and body gets the first ' +
        'answer again (header Idempotent-Replayed: true) for IDEMPOTENCY_KEY_TTL_MS (24 h); the same key ' +
        'with another body is 422 IDEMPOTENCY_KEY_REUSED. Leave it empty to get the duplicate-submit ' +
        'guard instead (the same body again within 10 s is 409 DUPLICATE_SUBMIT).',
      schema: { type: 'string', minLength: 1, maxLength: 255 },
    }),
    ApiHeader({
      name: 'Idempotency-Token',
      required: false,
      description: 'Optional. A one-time token from POST /v1/idempotency-tokens; its first use wins.',
      schema: { type: 'string' },
    }),
    ApiConflictResponse({
      description:
        'DUPLICATE_SUBMIT (details.orderNo once known), REQUEST_IN_PROGRESS (Retry-After), TOKEN_USED, TOKEN_INVALID',
    }),
    ApiUnprocessableEntityResponse({ description: 'IDEMPOTENCY_KEY_REUSED: same key, different request' }),
    ApiServiceUnavailableResponse({
      description: 'SERVICE_UNAVAILABLE: the guard store (Redis) is down (fail-closed)',
    }),
  );

/** The handler's view of the key and fingerprint set by @IdempotentSubmit. */
export const IdemContext = createParamDecorator((_: unknown, ctx: ExecutionContext): IdempotencyContext => {
  return ctx.switchToHttp().getRequest().idempotency as IdempotencyContext;
});
