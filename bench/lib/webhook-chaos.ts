import type { Connection } from 'mysql2/promise';
import { createServer, Server } from 'node:http';
import type { Invariant } from './invariants';

/**
 * The chaos run's webhook receiver (npm run chaos): on 127.0.0.1, it answers most deliveries 200 but
 * also 500s, answers slower than WEBHOOK_TIMEOUT_MS and cuts connections, so deliveries are retried
 * across the instance kills. It keeps every event id it answered 2xx.
 */
export class ChaosReceiver {
  /** event id → times answered 2xx */
  readonly delivered = new Map<string, number>();
  requests = 0;
  private server?: Server;
  port = 0;

  constructor(private readonly slowMs: number) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.requests++;
        const id = String(req.headers['oncepay-event-id']);
        const roll = Math.random();
        if (roll < 0.15) return void res.writeHead(500).end('chaos: 500');
        if (roll < 0.2) return void req.socket.destroy(); // connection cut, no answer
        if (roll < 0.25) return void setTimeout(() => res.writeHead(200).end('late'), this.slowMs); // a timeout
        this.delivered.set(id, (this.delivered.get(id) ?? 0) + 1);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => (this.server ? this.server.close(r) : r(undefined)));
  }
}

async function rows<T>(c: Connection, sql: string, params: unknown[] = []): Promise<T[]> {
  const [r] = await c.query(sql, params);
  return r as T[];
}

/**
 * Events out, from MySQL and the receiver: every public outbox row became its events; every event was
 * delivered to the endpoint (registered before the load) and its id answered 2xx at least once; each
 * resource's events (an order's paid, refunded, cancelled, …) have versions 1, 2, … in feed order.
 */
export async function webhookInvariants(
  c: Connection,
  receiver: ChaosReceiver,
  publicTopics: string[],
): Promise<Invariant[]> {
  const out: Invariant[] = [];
  const missing = await rows<{ id: string; topic: string }>(
    c,
    `SELECT o.id, o.topic FROM t_outbox o WHERE o.topic IN (?)
      AND NOT EXISTS (SELECT 1 FROM t_event e WHERE e.outbox_id = o.id)`,
    [publicTopics],
  );
  const [{ n: events }] = await rows<{ n: number }>(c, 'SELECT COUNT(*) AS n FROM t_event');
  out.push({
    name: 'every public outbox event is in the feed',
    violations: missing.length,
    detail: `${events} events; missing: ${
      missing
        .slice(0, 3)
        .map((m) => `${m.topic}#${m.id}`)
        .join(', ') || 'none'
    }`,
  });
  const undelivered = await rows<{ id: string; type: string; status: string | null }>(
    c,
    `SELECT e.id, e.type, d.status FROM t_event e
       LEFT JOIN t_webhook_delivery d ON d.event_position = e.position
      WHERE d.status IS NULL OR d.status <> 'DELIVERED'`,
  );
  out.push({
    name: 'every event delivered to the endpoint',
    violations: undelivered.length,
    detail: `${
      undelivered
        .slice(0, 3)
        .map((u) => `${u.type} ${u.id} (${u.status ?? 'no delivery'})`)
        .join(', ') || 'all DELIVERED'
    }`,
  });
  const ids = await rows<{ id: string }>(c, 'SELECT id FROM t_event');
  const notAnswered = ids.filter((r) => !receiver.delivered.has(r.id));
  const dupes = [...receiver.delivered.values()].filter((n) => n > 1).length;
  out.push({
    name: 'each event id answered 2xx at least once by the receiver',
    violations: notAnswered.length,
    detail: `${receiver.requests} requests, ${receiver.delivered.size} ids answered 2xx (${dupes} more than once: at-least-once)`,
  });
  const seq = await rows<{ resource: string; version: number; type: string }>(
    c,
    'SELECT resource, version, type FROM t_event ORDER BY position',
  );
  const last = new Map<string, { version: number; type: string }>();
  const bad: string[] = [];
  for (const e of seq) {
    const prev = last.get(e.resource);
    const expected = (prev?.version ?? 0) + 1;
    if (Number(e.version) !== expected) bad.push(`${e.resource} v${e.version} after v${prev?.version ?? 0}`);
    else if (
      prev &&
      ['order.cancelled', 'order.refunded'].includes(prev.type) &&
      e.resource.startsWith('order:')
    ) {
      bad.push(`${e.resource}: ${e.type} after ${prev.type}`);
    }
    last.set(e.resource, { version: Number(e.version), type: e.type });
  }
  out.push({
    name: "each resource's events in version order (1, 2, … in feed order; nothing after a terminal order event)",
    violations: bad.length,
    detail: `${last.size} resources; ${bad.slice(0, 3).join('; ') || 'in order'}`,
  });
  return out;
}
