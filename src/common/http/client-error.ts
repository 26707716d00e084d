import type { Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import { ERROR_STATUS, ErrorCode } from '../errors/error-code.enum';

/**
 * Fastify's clientErrorHandler: what Node's HTTP parser refuses before any route runs (headers over
 * the limit, a broken request line, a request timeout) still answers the error envelope.
 */
export function clientErrorHandler(err: Error & { code?: string }, socket: Socket): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const code =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? ErrorCode.HEADERS_TOO_LARGE
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? ErrorCode.REQUEST_TIMEOUT
        : ErrorCode.VALIDATION_FAILED;
  const status = ERROR_STATUS[code];
  const message =
    code === ErrorCode.HEADERS_TOO_LARGE
      ? 'Request headers are too large'
      : code === ErrorCode.REQUEST_TIMEOUT
        ? 'Request timed out'
        : 'Malformed HTTP request';
  const body = JSON.stringify({ statusCode: status, code, message, requestId: randomUUID() });
  const reason = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' }[
    status
  ];
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
