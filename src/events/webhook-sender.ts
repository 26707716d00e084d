import { request as httpRequest, RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { checkWebhookUrl } from './webhook-url';

/** What one POST to an endpoint gave. */
export interface SendResult {
  statusCode: number | null;
  /** the first RESPONSE_CLIP characters of the answer */
  body: string | null;
  error: string | null;
  latencyMs: number;
}

export const RESPONSE_CLIP = 512;

/**
 * One POST of a signed body, with a hard timeout over the whole exchange. In production the URL is
 * checked again right before the send (https, public addresses only) and the connection is pinned to
 * the checked address, so a name that changed its answer since registration (DNS rebinding) cannot
 * aim a delivery at an internal address.
 */
export async function sendWebhook(
  url: string,
  headers: Record<string, string>,
  body: string,
  opts: { timeoutMs: number; production: boolean },
): Promise<SendResult> {
  const started = Date.now();
  const check = await checkWebhookUrl(url, { production: opts.production });
  if (check.refusal) {
    return { statusCode: null, body: null, error: `refused: ${check.refusal}`, latencyMs: 0 };
  }
  const u = new URL(url);
  const options: RequestOptions = {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      'user-agent': 'oncepay-webhooks/1',
      ...headers,
    },
  };
  if (check.addresses.length) options.lookup = pinnedLookup(check.addresses[0]);
  return new Promise<SendResult>((resolve) => {
    let done = false;
    const finish = (r: Omit<SendResult, 'latencyMs'>) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ ...r, latencyMs: Date.now() - started });
    };
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(u, options, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (text.length < RESPONSE_CLIP) text += chunk;
      });
      res.on('end', () =>
        finish({ statusCode: res.statusCode ?? null, body: text.slice(0, RESPONSE_CLIP), error: null }),
      );
      res.on('error', (err) =>
        finish({ statusCode: res.statusCode ?? null, body: null, error: err.message }),
      );
    });
    const timer = setTimeout(() => {
      finish({ statusCode: null, body: null, error: `timed out after ${opts.timeoutMs} ms` });
      req.destroy();
    }, opts.timeoutMs);
    req.on('error', (err) => finish({ statusCode: null, body: null, error: err.message }));
    req.end(body);
  });
}

/** A `lookup` that answers the address already checked, whatever the name resolves to by now. */
function pinnedLookup(address: string): LookupFunction {
  const family = address.includes(':') ? 6 : 4;
  return ((_host: string, opts: { all?: boolean }, cb: (...args: unknown[]) => void) => {
    if (opts?.all) cb(null, [{ address, family }]);
    else cb(null, address, family);
  }) as unknown as LookupFunction;
}
