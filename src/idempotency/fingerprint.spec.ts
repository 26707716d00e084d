import { canonicalJson, requestFingerprint } from './fingerprint';

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

  it('differs by user, scope and value', () => {
    const body = { amount: 100 };
    const base = requestFingerprint('u1', 's', body);
    expect(requestFingerprint('u2', 's', body)).not.toBe(base);
    expect(requestFingerprint('u1', 't', body)).not.toBe(base);
    expect(requestFingerprint('u1', 's', { amount: 101 })).not.toBe(base);
    expect(requestFingerprint('u1', 's', { amount: '100' })).not.toBe(base);
  });
});
