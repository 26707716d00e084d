import { hash } from 'node:crypto';

const NO_SETS: ReadonlySet<string> = new Set();

/**
 * Canonical JSON: object keys sorted (recursively), no whitespace, arrays kept in order unless the
 * caller names them as sets (then their canonical elements are sorted too). `undefined` members drop
 * out as JSON.stringify does. Two bodies that differ only in key order or whitespace are equal here.
 * The output is stored (order and refund rows keep the fingerprint of their Idempotency-Key request), so
 * it must never change: fingerprint.spec.ts checks it against the original implementation.
 */
export function canonicalJson(value: unknown, setPaths: ReadonlySet<string> = NO_SETS, path = ''): string {
  return setPaths.size === 0 ? canonical(value) : withSets(value, setPaths, path);
}

/** canonicalJson without set paths (every request without them): no path strings built. */
function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i) out += ',';
      if (i in value) out += canonical(value[i] === undefined ? null : value[i]); // a hole stays empty, as before
    }
    return out + ']';
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).sort();
  let out = '{';
  for (const k of keys) {
    const v = obj[k];
    if (v === undefined) continue;
    if (out.length > 1) out += ',';
    out += JSON.stringify(k) + ':' + canonical(v);
  }
  return out + '}';
}

function withSets(value: unknown, setPaths: ReadonlySet<string>, path: string): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    const items = value.map((v) => withSets(v === undefined ? null : v, setPaths, `${path}[]`));
    if (setPaths.has(path)) items.sort();
    return `[${items.join(',')}]`;
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  const child = (k: string) => (path ? `${path}.${k}` : k);
  return `{${keys.map((k) => `${JSON.stringify(k)}:${withSets(obj[k], setPaths, child(k))}`).join(',')}}`;
}

/** SHA-256 (hex) of the canonical JSON of who asked, what for, and with what body. */
export function requestFingerprint(
  userId: string,
  scope: string,
  body: unknown,
  setPaths: ReadonlySet<string> = NO_SETS,
): string {
  // one-shot crypto.hash: the same digest as createHash().update().digest() without a Hash object
  return hash(
    'sha256',
    canonicalJson(
      { user: userId, scope, body: body ?? null },
      setPaths.size ? new Set([...setPaths].map((p) => `body.${p}`)) : NO_SETS,
    ),
    'hex',
  );
}

/** Hash of a client-chosen key, so arbitrary (≤ 255 char) keys make short, safe Redis keys. */
export function keyDigest(key: string): string {
  return hash('sha256', key, 'base64url');
}
