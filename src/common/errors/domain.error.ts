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

  /**
   * The same error without a stack trace, for a refusal that is the expected answer on a hot path (a
   * duplicate submit). Its stack is never read (the filter logs only unexpected errors), and capturing it,
   * async frames included, was the largest self-time item in the profile of a rejected duplicate submit.
   */
  static expected(
    code: ErrorCode,
    message: string,
    details?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): DomainError {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      return new DomainError(code, message, details, headers);
    } finally {
      Error.stackTraceLimit = limit;
    }
  }
}
