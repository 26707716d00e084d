import autocannon from 'autocannon';

export interface LoadRequest {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  /** A fixed body (object → JSON) or a function making each request's body. */
  body?: unknown | ((i: number) => unknown);
  /** Per-request extra headers (e.g. a fresh Idempotency-Key). */
  headersFn?: (i: number) => Record<string, string>;
  /** Per-request path (e.g. the i-th pre-made transfer's execute). */
  pathFn?: (i: number) => string;
}

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  total: number;
  durationS: number;
  status: Record<string, number>;
  errors: number;
  timeouts: number;
}

/**
 * One autocannon run. `duration` (s) or `amount` (requests); bodies/headers may vary per request,
 * numbered from 0 across all connections.
 */
export async function load(
  url: string,
  req: LoadRequest | LoadRequest[],
  opts: {
    connections?: number;
    duration?: number;
    amount?: number;
    pipelining?: number;
    timeout?: number;
    /** Open-loop: this many requests per second in total (latency at a fixed offered load). */
    rate?: number;
  },
): Promise<LoadResult> {
  const reqs = Array.isArray(req) ? req : [req];
  let n = 0;
  const requests = reqs.map((r) => ({
    method: (r.method ?? 'GET') as 'GET',
    path: r.path,
    headers: { 'content-type': 'application/json', ...r.headers },
    setupRequest: (ar: Record<string, any>) => {
      const i = n++;
      const body = typeof r.body === 'function' ? (r.body as (i: number) => unknown)(i) : r.body;
      if (body !== undefined) ar.body = typeof body === 'string' ? body : JSON.stringify(body);
      if (r.headersFn) ar.headers = { ...ar.headers, ...r.headersFn(i) };
      if (r.pathFn) ar.path = r.pathFn(i);
      return ar;
    },
  }));
  const res = await autocannon({
    url,
    connections: opts.connections ?? 50,
    ...(opts.amount ? { amount: opts.amount } : { duration: opts.duration ?? 5 }),
    pipelining: opts.pipelining ?? 1,
    ...(opts.rate ? { overallRate: opts.rate } : {}),
    timeout: opts.timeout ?? 30,
    requests,
  } as autocannon.Options);
  const status: Record<string, number> = {};
  for (const [code, v] of Object.entries(
    (res as unknown as { statusCodeStats?: Record<string, { count: number }> }).statusCodeStats ?? {},
  )) {
    status[code] = v.count;
  }
  const total = res.requests.total;
  const durationS = res.duration;
  return {
    rps: durationS > 0 ? total / durationS : 0,
    p50: res.latency.p50,
    p99: res.latency.p99,
    total,
    durationS,
    status,
    errors: res.errors,
    timeouts: res.timeouts,
  };
}

export const count = (r: LoadResult, ...codes: number[]) => codes.reduce((s, c) => s + (r.status[c] ?? 0), 0);

/**
 * Sends each request exactly once with at most `concurrency` in flight, timing the whole batch with
 * the wall clock. For fixed-size batches (each notify once, N copies of one): autocannon's `amount`
 * mode stops on its one-second tick, which quantises the rate of a batch that lasts a few seconds.
 */
export async function blastOnce(
  reqs: Array<{ url: string; body: string; headers: Record<string, string> }>,
  concurrency: number,
): Promise<{ wallS: number; status: Record<string, number>; errors: number; p99: number }> {
  const status: Record<string, number> = {};
  const lat: number[] = [];
  let errors = 0;
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, reqs.length) }, async () => {
      while (next < reqs.length) {
        const r = reqs[next++];
        const s = performance.now();
        try {
          const res = await fetch(r.url, {
            method: 'POST',
            headers: r.headers,
            body: r.body,
            signal: AbortSignal.timeout(30000),
          });
          await res.arrayBuffer();
          status[res.status] = (status[res.status] ?? 0) + 1;
        } catch {
          errors++;
        }
        lat.push(performance.now() - s);
      }
    }),
  );
  const wallS = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  return { wallS, status, errors, p99: lat[Math.min(lat.length - 1, Math.floor(lat.length * 0.99))] ?? NaN };
}
