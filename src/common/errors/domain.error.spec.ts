import { DomainError } from './domain.error';
import { ErrorCode } from './error-code.enum';
import { toErrorResponse } from './error-response';

describe('DomainError.expected', () => {
  it('is the same error and the same answer, without stack frames; the stack limit is restored', () => {
    const limit = Error.stackTraceLimit;
    const plain = new DomainError(ErrorCode.DUPLICATE_SUBMIT, 'dup', { orderNo: 'X' }, { 'X-A': '1' });
    const cheap = DomainError.expected(ErrorCode.DUPLICATE_SUBMIT, 'dup', { orderNo: 'X' }, { 'X-A': '1' });
    expect(cheap).toBeInstanceOf(DomainError);
    expect(cheap).toMatchObject({ name: 'DomainError', code: plain.code, message: plain.message });
    expect(cheap.details).toEqual(plain.details);
    expect(cheap.headers).toEqual(plain.headers);
    expect(toErrorResponse(cheap, 'rid')).toEqual(toErrorResponse(plain, 'rid'));
    expect(plain.stack).toMatch(/\n\s+at /);
    expect(cheap.stack).toBe('DomainError: dup');
    expect(Error.stackTraceLimit).toBe(limit);
  });
});
