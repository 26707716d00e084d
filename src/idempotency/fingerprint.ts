import { createHash } from 'node:crypto';

/**
 * Canonical JSON: object keys sorted (recursively), no whitespace, arrays kept in order unless the
 * caller names them as sets (then their canonical elements are sorted too). `undefined` members drop
 * out as JSON.stringify does. Two bodies that differ only in key order or whitespace are equal here.
 */
export function canonicalJson(value: unknown, setPaths: ReadonlySet<string> = new Set(), path = ''): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    const items = value.map((v) => canonicalJson(v === undefined ? null : v, setPaths, `${path}[]`));
    if (setPaths.has(path)) items.sort();
    return `[${items.join(',')}]`;
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  const child = (k: string) => (path ? `${path}.${k}` : k);
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k], setPaths, child(k))}`).join(',')}}`;
}

/** SHA-256 (hex) of the canonical JSON of who asked, what for, and with what body. */
export function requestFingerprint(
  userId: string,
  scope: string,
  body: unknown,
  setPaths: ReadonlySet<string> = new Set(),
): string {
  return createHash('sha256')
    .update(
      canonicalJson(
        { user: userId, scope, body: body ?? null },
        new Set([...setPaths].map((p) => `body.${p}`)),
      ),
    )
    .digest('hex');
}

/** Hash of a client-chosen key, so arbitrary (≤ 255 char) keys make short, safe Redis keys. */
export function keyDigest(key: string): string {
  return createHash('sha256').update(key).digest('base64url');
}
