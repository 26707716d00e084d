import { HttpException, HttpStatus } from '@nestjs/common';
import { isDatabaseUnavailable } from '../database/db-errors';
import { DomainError } from './domain.error';
import { ERROR_STATUS, ErrorCode } from './error-code.enum';

export interface ErrorBody {
  statusCode: number;
  code: string;
  message: string;
  details?: unknown;
  requestId?: string;
}

export interface ErrorResponse {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
  /** true for errors the server caused (log at error level, never store as an idempotent result). */
  unexpected: boolean;
}

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: ErrorCode.VALIDATION_FAILED,
  401: ErrorCode.UNAUTHORIZED,
  403: ErrorCode.FORBIDDEN,
  404: ErrorCode.NOT_FOUND,
  409: ErrorCode.CONFLICT,
  413: ErrorCode.PAYLOAD_TOO_LARGE,
  415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
  408: ErrorCode.REQUEST_TIMEOUT,
  429: ErrorCode.RATE_LIMITED,
  431: ErrorCode.HEADERS_TOO_LARGE,
  503: ErrorCode.SERVICE_UNAVAILABLE,
};

/** Seconds a client is told to wait on a 502/503 that does not say otherwise. */
const DEFAULT_RETRY_AFTER_S: Record<number, string> = { 502: '5', 503: '1' };

/**
 * Stable reasons for errors raised by Fastify and its parsers: the client gets one of these in
 * `details.reason`, never a library's own code or message (those are logged).
 */
function fastifyReason(code: string | undefined, status: number): string {
  switch (code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return 'MALFORMED_JSON';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'EMPTY_BODY';
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'BODY_TOO_LARGE';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return status === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : 'BAD_CONTENT_LENGTH';
    case 'FST_ERR_BAD_URL':
      return 'MALFORMED_URL';
    default:
      return status === 413
        ? 'BODY_TOO_LARGE'
        : status === 415
          ? 'UNSUPPORTED_MEDIA_TYPE'
          : 'MALFORMED_REQUEST';
  }
}

const FASTIFY_MESSAGE: Record<string, string> = {
  MALFORMED_JSON: 'Malformed JSON body',
  EMPTY_BODY: 'Body is empty but Content-Type says JSON',
  BODY_TOO_LARGE: 'Request body is too large',
  UNSUPPORTED_MEDIA_TYPE: 'Unsupported Content-Type',
  BAD_CONTENT_LENGTH: 'Content-Length does not match the body',
  MALFORMED_URL: 'Malformed URL',
  MALFORMED_REQUEST: 'Bad request',
};

/** Errors a server-side status carries: a Retry-After on every 502/503 unless the error set one. */
function withRetryAfter(status: number, headers: Record<string, string> | undefined): Record<string, string> {
  const h = { ...(headers ?? {}) };
  if (DEFAULT_RETRY_AFTER_S[status] && !Object.keys(h).some((k) => k.toLowerCase() === 'retry-after')) {
    h['Retry-After'] = DEFAULT_RETRY_AFTER_S[status];
  }
  return h;
}

/**
 * Maps anything thrown to the public error envelope. Shared by AllExceptionsFilter (every error a
 * request ends with) and IdempotentSubmitInterceptor (src/idempotency, which stores an
 * Idempotency-Key request's business errors for replay), so both agree on status and body.
 */
export function toErrorResponse(err: unknown, requestId?: string): ErrorResponse {
  if (err instanceof DomainError) {
    const status = ERROR_STATUS[err.code];
    return {
      status,
      body: { statusCode: status, code: err.code, message: err.message, details: err.details, requestId },
      // an unknown outcome does not invite a retry: the work may be done (details name what to look up)
      headers:
        err.code === ErrorCode.OUTCOME_UNKNOWN ? { ...err.headers } : withRetryAfter(status, err.headers),
      unexpected:
        status >= 500 && (err.code === ErrorCode.INTERNAL || err.code === ErrorCode.OUTCOME_UNKNOWN),
    };
  }
  if (err instanceof HttpException) {
    const status = err.getStatus();
    const res = err.getResponse() as string | { message?: unknown; code?: string; details?: unknown };
    const code = (typeof res === 'object' && res.code) || CODE_BY_STATUS[status] || ErrorCode.INTERNAL;
    let message = typeof res === 'string' ? res : err.message;
    let details: unknown = typeof res === 'object' ? res.details : undefined;
    if (typeof res === 'object' && Array.isArray(res.message)) {
      // class-validator messages from the ValidationPipe
      message = 'Request validation failed';
      details = { errors: res.message };
    } else if (typeof res === 'object' && typeof res.message === 'string') {
      message = res.message;
    }
    return {
      status,
      body: { statusCode: status, code, message, details, requestId },
      headers: withRetryAfter(status, undefined),
      unexpected: status >= 500,
    };
  }
  // Fastify and its plugins throw errors carrying a statusCode (body too large, bad JSON, ...)
  const fst = err as { statusCode?: number; code?: string; message?: string };
  if (fst && typeof fst.statusCode === 'number' && fst.statusCode >= 400 && fst.statusCode < 500) {
    const status = fst.statusCode;
    const code = CODE_BY_STATUS[status] ?? ErrorCode.VALIDATION_FAILED;
    const reason = fastifyReason(fst.code, status);
    return {
      status,
      body: { statusCode: status, code, message: FASTIFY_MESSAGE[reason], details: { reason }, requestId },
      headers: {},
      unexpected: false,
    };
  }
  if (isDatabaseUnavailable(err)) {
    // transient: the client may retry (an Idempotency-Key retry replays if the work did commit);
    // still logged as unexpected and never stored as a key's result
    const status = HttpStatus.SERVICE_UNAVAILABLE;
    return {
      status,
      body: {
        statusCode: status,
        code: ErrorCode.SERVICE_UNAVAILABLE,
        message: 'Database unavailable, retry later',
        details: { reason: 'DATABASE_UNAVAILABLE' },
        requestId,
      },
      headers: withRetryAfter(status, undefined),
      unexpected: true,
    };
  }
  const status = HttpStatus.INTERNAL_SERVER_ERROR;
  return {
    status,
    body: { statusCode: status, code: ErrorCode.INTERNAL, message: 'Internal server error', requestId },
    headers: {},
    unexpected: true,
  };
}
