/**
 * Control characters that free text may not carry: C0 except tab, line feed and carriage return,
 * DEL, and C1. They have no business in a remark or a name, and NUL in particular truncates or breaks
 * what reads the value later (logs, CSV exports, the gateway's subject).
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
export const CONTROL_CHARS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

export type JsonProblem =
  { reason: 'JSON_TOO_DEEP'; maxDepth: number } | { reason: 'CONTROL_CHARACTER'; path: string };

/**
 * Checks a parsed JSON body before anything walks it recursively (the idempotency fingerprint,
 * class-transformer): nesting at most `maxDepth` levels, and no control character in any key or string.
 * Iterative (an explicit stack), so the check itself cannot overflow the call stack.
 */
export function checkJsonBody(body: unknown, maxDepth: number): JsonProblem | null {
  // almost every body is fine: find that out without building a path per value, and walk again with
  // paths only to name the first problem (the walk below decides which one that is)
  return jsonBodyFine(body, maxDepth) ? null : firstProblem(body, maxDepth);
}

/** True iff `firstProblem` finds nothing: the same conditions, no paths. */
export function jsonBodyFine(body: unknown, maxDepth: number): boolean {
  const values: unknown[] = [body];
  const depths: number[] = [0];
  while (values.length) {
    const v = values.pop();
    const depth = depths.pop()!;
    if (typeof v === 'string') {
      if (CONTROL_CHARS.test(v)) return false;
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth >= maxDepth) return false;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        values.push(v[i]);
        depths.push(depth + 1);
      }
    } else {
      for (const k in v) {
        if (!Object.hasOwn(v, k)) continue;
        if (CONTROL_CHARS.test(k)) return false;
        values.push((v as Record<string, unknown>)[k]);
        depths.push(depth + 1);
      }
    }
  }
  return true;
}

/** The first problem in walk order, with its path (what checkJsonBody answers). */
export function firstProblem(body: unknown, maxDepth: number): JsonProblem | null {
  const stack: Array<{ v: unknown; depth: number; path: string }> = [{ v: body, depth: 0, path: '' }];
  while (stack.length) {
    const { v, depth, path } = stack.pop()!;
    if (typeof v === 'string') {
      if (CONTROL_CHARS.test(v)) return { reason: 'CONTROL_CHARACTER', path: path || '(body)' };
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth >= maxDepth) return { reason: 'JSON_TOO_DEEP', maxDepth };
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) stack.push({ v: v[i], depth: depth + 1, path: `${path}[${i}]` });
    } else {
      for (const [k, child] of Object.entries(v as Record<string, unknown>)) {
        const p = path ? `${path}.${k}` : k;
        if (CONTROL_CHARS.test(k)) return { reason: 'CONTROL_CHARACTER', path: p };
        stack.push({ v: child, depth: depth + 1, path: p });
      }
    }
  }
  return null;
}
