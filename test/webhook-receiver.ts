import { createServer, IncomingMessage, Server } from 'node:http';

/** One request a test receiver got. */
export interface Received {
  eventId: string;
  signature: string;
  body: string;
  json: { id: string; type: string; createdAt: string; version: number; data: Record<string, any> };
  at: number;
}

/** What the receiver answers a request: a status, after `delayMs` (longer than the timeout = a hang). */
export type Behaviour = (r: Received, nth: number) => { status: number; delayMs?: number };

/**
 * A real HTTP receiver on 127.0.0.1 for webhook tests: records every request (raw body, headers), answers
 * per `behaviour` (by default 200), and counts how many requests of one event id were in flight at once.
 */
export class WebhookReceiver {
  readonly received: Received[] = [];
  maxInFlightPerEvent = 0;
  private readonly inFlight = new Map<string, number>();
  private server?: Server;
  port = 0;

  constructor(public behaviour: Behaviour = () => ({ status: 200 })) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  /** Starts listening (on `port` when given: a receiver that comes back on its old address). */
  async start(port = 0): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise((r) => this.server!.close(r));
    this.server = undefined;
  }

  of(predicate: (r: Received) => boolean): Received[] {
    return this.received.filter(predicate);
  }

  private async handle(req: IncomingMessage, res: import('node:http').ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const r: Received = {
      eventId: String(req.headers['oncepay-event-id']),
      signature: String(req.headers['oncepay-signature']),
      body,
      json: JSON.parse(body),
      at: Date.now(),
    };
    const nth = this.received.filter((x) => x.eventId === r.eventId).length + 1;
    this.received.push(r);
    const n = (this.inFlight.get(r.eventId) ?? 0) + 1;
    this.inFlight.set(r.eventId, n);
    this.maxInFlightPerEvent = Math.max(this.maxInFlightPerEvent, n);
    const { status, delayMs } = this.behaviour(r, nth);
    let over = false;
    const leave = () => {
      // the attempt is over for both sides when we answer or when the sender hangs up (its timeout)
      if (over) return;
      over = true;
      this.inFlight.set(r.eventId, (this.inFlight.get(r.eventId) ?? 1) - 1);
    };
    const done = () => {
      leave();
      if (!res.destroyed) res.writeHead(status, { 'content-type': 'text/plain' }).end(`answer ${status}`);
    };
    res.on('close', leave);
    if (delayMs) setTimeout(done, delayMs);
    else done();
  }
}
