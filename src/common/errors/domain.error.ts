import { ErrorCode } from './error-code.enum';

/**
 * What services throw for an outcome the client must hear about. Services never throw HTTP
 * exceptions: the one filter maps the code to its status. `headers` lets a rule add e.g. Retry-After.
 */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}
