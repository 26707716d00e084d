import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { ERROR_STATUS, ErrorCode } from '../errors';
import { ErrorEnvelope } from '../errors/error-envelope.dto';
import { EX } from './examples';

/**
 * Declares the error answers of a route in Swagger, grouped by status, each code with an example
 * body in the one error envelope `{statusCode, code, message, details?, requestId}` (schema ErrorResponse).
 */
export function ApiErrors(...errors: Array<[ErrorCode, string, Record<string, unknown>?]>) {
  const byStatus = new Map<number, Array<[ErrorCode, string, Record<string, unknown>?]>>();
  for (const e of errors) {
    const s = ERROR_STATUS[e[0]];
    byStatus.set(s, [...(byStatus.get(s) ?? []), e]);
  }
  return applyDecorators(
    ApiExtraModels(ErrorEnvelope),
    ...[...byStatus.entries()].map(([status, list]) =>
      ApiResponse({
        status,
        description: list.map(([code, message]) => `${code}: ${message}`).join('; '),
        content: {
          'application/json': {
            schema: { $ref: getSchemaPath(ErrorEnvelope) },
            examples: Object.fromEntries(
              list.map(([code, message, details]) => [
                code,
                {
                  value: {
                    statusCode: status,
                    code,
                    message,
                    ...(details ? { details } : {}),
                    requestId: EX.requestId,
                  },
                },
              ]),
            ),
          },
        },
      }),
    ),
  );
}
