import { checkJsonBody, firstProblem, jsonBodyFine } from './json-guard';

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

describe('the fast walk and the walk with paths agree (issue 28)', () => {
  // a small deterministic generator: objects, arrays, strings with and without control characters
  let seed = 28; // mulberry32: the same bodies on every run
  const rnd = (n: number) => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) % n;
  };
  const str = () => ['ok', 'a\tb', 'x\u0000', '\u009f', 'line\nbreak', 'é'][rnd(6)];
  const value = (depth: number): unknown => {
    const k = rnd(depth > 6 ? 3 : 6);
    if (k === 0) return rnd(100);
    if (k === 1) return str();
    if (k === 2) return null;
    if (k === 3) return Array.from({ length: rnd(4) }, () => value(depth + 1));
    const o: Record<string, unknown> = {};
    for (let i = rnd(4); i > 0; i--) o[rnd(8) === 0 ? `k\u0001${i}` : `k${i}`] = value(depth + 1);
    return o;
  };

  it('on 2,000 generated bodies, at depth limits 2, 4 and 16', () => {
    let problems = 0;
    for (let i = 0; i < 2000; i++) {
      const body = value(0);
      for (const max of [2, 4, 16]) {
        const found = firstProblem(body, max);
        expect(jsonBodyFine(body, max)).toBe(found === null);
        expect(checkJsonBody(body, max)).toEqual(found);
        if (found) problems++;
      }
    }
    expect(problems).toBeGreaterThan(500); // both kinds of answer are exercised
    expect(problems).toBeLessThan(5500);
  });
});
