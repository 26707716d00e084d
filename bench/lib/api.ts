/** Small HTTP client for setting up bench and chaos data through the public API. */
export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export class Api {
  private tokens = new Map<string, string>();

  constructor(public baseUrl: string) {}

  async call<T = any>(
    method: string,
    path: string,
    body?: unknown,
    opts: { token?: string; headers?: Record<string, string>; form?: boolean; timeoutMs?: number } = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    let payload: string | undefined;
    if (body !== undefined) {
      if (opts.form) {
        headers['content-type'] = 'application/x-www-form-urlencoded';
        payload = new URLSearchParams(body as Record<string, string>).toString();
      } else {
        headers['content-type'] = 'application/json';
        payload = JSON.stringify(body);
      }
    }
    const res = await fetch(this.baseUrl + path, {
      method,
      headers,
      body: payload,
      signal: AbortSignal.timeout(opts.timeoutMs ?? 15000),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // text answers (callbacks: success / fail)
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  /** A JWT from POST /v1/dev/tokens (cached per user and role). */
  async token(userId: string, role: 'user' | 'admin' = 'user'): Promise<string> {
    const k = `${userId}/${role}`;
    const hit = this.tokens.get(k);
    if (hit) return hit;
    const res = await this.call<{ token: string }>('POST', '/v1/dev/tokens', { userId, role });
    if (res.status !== 201) throw new Error(`dev token: ${res.status} ${JSON.stringify(res.body)}`);
    this.tokens.set(k, res.body.token);
    return res.body.token;
  }

  /**
   * Whether a route exists: Nest answers an unknown route with 404 "Cannot METHOD path"; a known
   * route answers anything else for an empty or bogus request (400, 401, 404 with a code, ...).
   */
  async routeExists(method: string, path: string, token?: string): Promise<boolean> {
    try {
      const res = await this.call(method, path, method === 'GET' ? undefined : {}, { token });
      const msg =
        typeof res.body === 'object' && res.body ? String((res.body as { message?: unknown }).message) : '';
      return !(res.status === 404 && /^Cannot /.test(msg));
    } catch {
      return false;
    }
  }
}

/** Runs `fn` over items with at most `n` in flight. */
export async function pool<T, R>(
  items: T[],
  n: number,
  fn: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i], i);
      }
    }),
  );
  return out;
}
