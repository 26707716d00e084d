import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';

/** A stand-in merchant notify endpoint: records every form it receives and answers what `respond` says. */
export interface NotifyReceiver {
  url: string;
  received: Array<Record<string, string>>;
  respond: (params: Record<string, string>) => string | Promise<string>;
  close: () => Promise<void>;
}

export async function startNotifyReceiver(
  respond: (p: Record<string, string>) => string | Promise<string>,
): Promise<NotifyReceiver> {
  const received: Array<Record<string, string>> = [];
  const r: Partial<NotifyReceiver> = { received, respond };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const params = Object.fromEntries(new URLSearchParams(body));
      received.push(params);
      void Promise.resolve(r.respond!(params)).then((answer) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(answer);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  r.url = `http://127.0.0.1:${port}/notify`;
  r.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return r as NotifyReceiver;
}

/** Polls until `fn` returns a truthy value (or throws after `timeoutMs`). */
export async function waitFor<T>(
  fn: () => Promise<T> | T,
  timeoutMs = 10000,
  stepMs = 50,
): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`waitFor timed out${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
