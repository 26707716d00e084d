import { HttpException, HttpStatus } from '@nestjs/common';
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
  429: ErrorCode.TOO_MANY_REQUESTS,
  503: ErrorCode.SERVICE_UNAVAILABLE,
};

/**
 * Maps anything thrown to the public error envelope. Shared by AllExceptionsFilter (every error a
 * request ends with) and the Idempotency-Key interceptor (which stores business errors for replay),
 * so both agree on status and body.
 */
export function toErrorResponse(err: unknown, requestId?: string): ErrorResponse {
  if (err instanceof DomainError) {
    const status = ERROR_STATUS[err.code];
    return {
      status,
      body: { statusCode: status, code: err.code, message: err.message, details: err.details, requestId },
      headers: err.headers ?? {},
      unexpected: status >= 500 && err.code === ErrorCode.INTERNAL,
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
      headers: {},
      unexpected: status >= 500,
    };
  }
  // Fastify and its plugins throw errors carrying a statusCode (body too large, bad JSON, ...)
  const fst = err as { statusCode?: number; code?: string; message?: string };
  if (fst && typeof fst.statusCode === 'number' && fst.statusCode >= 400 && fst.statusCode < 500) {
    const status = fst.statusCode;
    const code = CODE_BY_STATUS[status] ?? ErrorCode.VALIDATION_FAILED;
    const message =
      status === 400 && /JSON/i.test(fst.message ?? '')
        ? 'Malformed JSON body'
        : status === 413
          ? 'Request body is too large'
          : (fst.message ?? 'Bad request');
    return {
      status,
      body: {
        statusCode: status,
        code,
        message,
        details: fst.code ? { reason: fst.code } : undefined,
        requestId,
      },
      headers: {},
      unexpected: false,
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
