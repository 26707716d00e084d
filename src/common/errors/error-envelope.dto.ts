import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { EX } from '../openapi/examples';
import { ErrorCode } from './error-code.enum';

/**
 * The one error envelope every error answer carries (AllExceptionsFilter builds it), as the OpenAPI
 * schema `ErrorResponse` that every documented error response references.
 */
@ApiSchema({
  name: 'ErrorResponse',
  description: 'Every error answer: `code` is stable (switch on it), `message` is for people.',
})
export class ErrorEnvelope {
  @ApiProperty({ type: 'integer', minimum: 400, maximum: 599, example: 409 })
  statusCode: number;

  @ApiProperty({ enum: ErrorCode, enumName: 'ErrorCode', example: ErrorCode.DUPLICATE_SUBMIT })
  code: ErrorCode;

  @ApiProperty({ example: 'The same request was just submitted' })
  message: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'what the code is about (e.g. `orderNo`, `productId`, `errors` of a validation failure)',
    example: { orderNo: EX.orderNo },
  })
  details?: Record<string, unknown>;

  @ApiProperty({ example: EX.requestId, description: 'also in the X-Request-Id header; quote it to support' })
  requestId: string;
}
