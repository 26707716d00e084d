import { checkJsonBody } from './json-guard';

describe('checkJsonBody', () => {
  it('accepts ordinary bodies, tabs and line breaks', () => {
    expect(checkJsonBody({ items: [{ productId: 1, quantity: 2 }], remark: 'a\tb\r\nc' }, 16)).toBeNull();
    expect(checkJsonBody(null, 16)).toBeNull();
  });

  it('refuses nesting past the limit without recursing (20,000 levels)', () => {
    const deep = JSON.parse(`{"items":${'['.repeat(20000)}${']'.repeat(20000)}}`);
    expect(checkJsonBody(deep, 16)).toEqual({ reason: 'JSON_TOO_DEEP', maxDepth: 16 });
    expect(checkJsonBody({ a: { b: { c: 1 } } }, 3)).toBeNull();
    expect(checkJsonBody({ a: { b: { c: {} } } }, 3)).toEqual({ reason: 'JSON_TOO_DEEP', maxDepth: 3 });
  });

  it('refuses control characters in values and keys, naming the path', () => {
    expect(checkJsonBody({ remark: 'a\u0000b' }, 16)).toEqual({
      reason: 'CONTROL_CHARACTER',
      path: 'remark',
    });
    expect(checkJsonBody({ items: [{ x: '\u0085' }] }, 16)).toEqual({
      reason: 'CONTROL_CHARACTER',
      path: 'items[0].x',
    });
    expect(checkJsonBody({ 'k\u0007': 1 }, 16)).toEqual({ reason: 'CONTROL_CHARACTER', path: 'k\u0007' });
  });
});
