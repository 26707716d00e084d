import { createHash } from 'node:crypto';
import { canonicalJson, requestFingerprint } from './fingerprint';

/** The first implementation, verbatim: stored fingerprints were made by it, so the output must not move. */
function originalCanonicalJson(value: unknown, setPaths: ReadonlySet<string> = new Set(), path = ''): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    const items = value.map((v) => originalCanonicalJson(v === undefined ? null : v, setPaths, `${path}[]`));
    if (setPaths.has(path)) items.sort();
    return `[${items.join(',')}]`;
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  const child = (k: string) => (path ? `${path}.${k}` : k);
  return `{${keys.map((k) => `${JSON.stringify(k)}:${originalCanonicalJson(obj[k], setPaths, child(k))}`).join(',')}}`;
}

function originalFingerprint(
  userId: string,
  scope: string,
  body: unknown,
  setPaths: ReadonlySet<string> = new Set(),
) {
  const sets = new Set([...setPaths].map((p) => `body.${p}`));
  return createHash('sha256')
    .update(originalCanonicalJson({ user: userId, scope, body: body ?? null }, sets))
    .digest('hex');
}

/** Deterministic pseudo-random JSON-like values: nested objects and arrays, undefined members, odd keys. */
function randomValue(seed: { n: number }, depth = 0): unknown {
  const r = () => (seed.n = (seed.n * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const pick = Math.floor(r() * (depth > 3 ? 6 : 9));
  switch (pick) {
    case 0:
      return null;
    case 1:
      return undefined;
    case 2:
      return Math.floor(r() * 2000) - 1000;
    case 3:
      return r() * 10;
    case 4:
      return r() < 0.5;
    case 5:
      return ['', 'x', 'é', 'a"b', '\\', '1', 'items', '中文'][Math.floor(r() * 8)];
    case 6:
    case 7: {
      const o: Record<string, unknown> = {};
      for (let i = Math.floor(r() * 5); i > 0; i--)
        o[['b', 'a', 'items', 'é', '"q"', '10', '2', ''][Math.floor(r() * 8)]] = randomValue(seed, depth + 1);
      return o;
    }
    default:
      return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(seed, depth + 1));
  }
}

describe('canonicalJson / requestFingerprint', () => {
  it('ignores key order and whitespace, recursively', () => {
    const a = JSON.parse('{ "items": [ {"productId": 1, "quantity": 2} ], "remark": "x" }');
    const b = JSON.parse('{"remark":"x","items":[{"quantity":2,"productId":1}]}');
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(requestFingerprint('u1', 'orders.create', a)).toBe(requestFingerprint('u1', 'orders.create', b));
  });

  it('keeps array order unless the path is declared a set', () => {
    const a = { items: [{ productId: 1 }, { productId: 2 }] };
    const b = { items: [{ productId: 2 }, { productId: 1 }] };
    expect(requestFingerprint('u1', 's', a)).not.toBe(requestFingerprint('u1', 's', b));
    const sets = new Set(['items']);
    expect(requestFingerprint('u1', 's', a, sets)).toBe(requestFingerprint('u1', 's', b, sets));
  });

  it('gives byte for byte what the original implementation gave (stored fingerprints stay valid)', () => {
    const seed = { n: 42 };
    for (let i = 0; i < 3000; i++) {
      const body = randomValue(seed);
      expect(canonicalJson(body)).toBe(originalCanonicalJson(body));
      expect(requestFingerprint('u1', 'orders.create', body)).toBe(
        originalFingerprint('u1', 'orders.create', body),
      );
      const sets = new Set(['items', '', 'a']);
      expect(canonicalJson(body, sets)).toBe(originalCanonicalJson(body, sets));
      expect(requestFingerprint('u1', 's', body, sets)).toBe(originalFingerprint('u1', 's', body, sets));
    }
    const order = {
      items: [
        { productId: 1, quantity: 2 },
        { productId: 3, quantity: 1 },
      ],
      remark: undefined,
    };
    expect(requestFingerprint('u1', 'orders.create', order)).toBe(
      originalFingerprint('u1', 'orders.create', order),
    );
  });

  it('differs by user, scope and value', () => {
    const body = { amount: 100 };
    const base = requestFingerprint('u1', 's', body);
    expect(requestFingerprint('u2', 's', body)).not.toBe(base);
    expect(requestFingerprint('u1', 't', body)).not.toBe(base);
    expect(requestFingerprint('u1', 's', { amount: 101 })).not.toBe(base);
    expect(requestFingerprint('u1', 's', { amount: '100' })).not.toBe(base);
  });
});
