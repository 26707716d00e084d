import { DomainError, ErrorCode } from '../common/errors';

/** An opaque keyset cursor over a positive integer id (the wallet module's pages). */
export function encodeIdCursor(id: number): string {
  return Buffer.from(JSON.stringify({ id })).toString('base64url');
}

/** @throws VALIDATION_FAILED when the cursor is not one `encodeIdCursor` made */
export function decodeIdCursor(cursor: string): number {
  try {
    const { id } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { id: unknown };
    if (typeof id === 'number' && Number.isSafeInteger(id) && id > 0) return id;
  } catch {
    // fall through
  }
  throw new DomainError(ErrorCode.VALIDATION_FAILED, 'cursor is not valid', { cursor });
}
