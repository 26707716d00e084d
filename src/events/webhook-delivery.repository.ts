import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { typeMatches } from '../common/events/public-events';
import { TransactionService } from '../common/database/transaction.service';

export type DeliveryStatus = 'PENDING' | 'DELIVERED' | 'FAILED' | 'CANCELLED';
export type AttemptOutcome = 'delivered' | 'retry' | 'failed';

/** A claimed delivery: `attempts` counts this try. */
export interface ClaimedDelivery {
  id: string;
  endpointId: string;
  eventPosition: number;
  eventId: string;
  attempts: number;
  leaseToken: string;
}

export interface AttemptRecord {
  startedAt: Date;
  latencyMs: number;
  statusCode: number | null;
  error: string | null;
  responseBody: string | null;
  outcome: AttemptOutcome;
  /** the next try (retry only) */
  nextDelayMs: number | null;
}

export interface AttemptRow {
  eventId: string;
  type: string;
  attempt: number;
  outcome: AttemptOutcome;
  statusCode: number | null;
  error: string | null;
  latencyMs: number;
  responseBody: string | null;
  startedAt: Date;
  nextAttemptAt: Date | null;
}

/** The one way to t_webhook_delivery and t_webhook_attempt. */
@Injectable()
export class WebhookDeliveryRepository {
  constructor(
    private readonly ds: DataSource,
    private readonly tx: TransactionService,
  ) {}

  /** One PENDING delivery per (subscribed endpoint, event), in the sequencer's transaction. */
  async fanOut(
    m: EntityManager,
    events: Array<{ position: number; id: string; type: string }>,
    endpoints: Array<{ id: string; events: string[] }>,
  ): Promise<number> {
    const rows: unknown[][] = [];
    for (const e of events) {
      for (const ep of endpoints) {
        if (ep.events.some((p) => typeMatches(p, e.type))) rows.push([ep.id, e.position, e.id]);
      }
    }
    if (!rows.length) return 0;
    await m.query(`INSERT IGNORE INTO t_webhook_delivery (endpoint_id, event_position, event_id) VALUES ?`, [
      rows,
    ]);
    return rows.length;
  }

  /**
   * Claims up to `batch` due deliveries of the given (enabled) endpoints for `leaseMs`: `FOR UPDATE SKIP
   * LOCKED`, then the lease and a fencing token in the same short transaction. A leased delivery is not
   * claimed again before its lease ends, whatever its `available_at` (a redeliver asked meanwhile waits),
   * so one event never has two attempts to one endpoint at once.
   */
  claim(endpointIds: string[], batch: number, leaseMs: number, token: string): Promise<ClaimedDelivery[]> {
    if (!endpointIds.length) return Promise.resolve([]);
    return this.tx.run(async (m) => {
      const rows: Array<Record<string, unknown>> = await m.query(
        `SELECT id, endpoint_id, event_position, event_id, attempts FROM t_webhook_delivery
          WHERE status = 'PENDING' AND available_at <= NOW(3) AND endpoint_id IN (?)
            AND (leased_until IS NULL OR leased_until < NOW(3))
          ORDER BY available_at, id LIMIT ? FOR UPDATE SKIP LOCKED`,
        [endpointIds, batch],
      );
      if (!rows.length) return [];
      await m.query(
        `UPDATE t_webhook_delivery SET attempts = attempts + 1, lease_token = ?,
            leased_until = NOW(3) + INTERVAL ? MICROSECOND WHERE id IN (?)`,
        [token, leaseMs * 1000, rows.map((r) => r.id)],
      );
      return rows.map((r) => ({
        id: String(r.id),
        endpointId: String(r.endpoint_id),
        eventPosition: Number(r.event_position),
        eventId: String(r.event_id),
        attempts: Number(r.attempts) + 1,
        leaseToken: token,
      }));
    });
  }

  /**
   * Keeps the attempt and settles the delivery (delivered, due again later, or given up), only while this
   * worker's lease token is still on it. @returns false when the lease was lost (nothing settled).
   */
  async finish(d: ClaimedDelivery, a: AttemptRecord): Promise<boolean> {
    return this.tx.run(async (m) => {
      const status: DeliveryStatus =
        a.outcome === 'delivered' ? 'DELIVERED' : a.outcome === 'failed' ? 'FAILED' : 'PENDING';
      const res = await m.query(
        `UPDATE t_webhook_delivery SET status = ?, leased_until = NULL, lease_token = NULL,
            available_at = NOW(3) + INTERVAL ? MICROSECOND,
            delivered_at = IF(? = 'DELIVERED', NOW(3), delivered_at)
          WHERE id = ? AND lease_token = ? AND status = 'PENDING'`,
        [status, (a.nextDelayMs ?? 0) * 1000, status, d.id, d.leaseToken],
      );
      const settled = Number(res.affectedRows ?? 0) === 1;
      await m.query(
        `INSERT INTO t_webhook_attempt (delivery_id, endpoint_id, event_id, attempt, started_at, latency_ms,
            status_code, error, response_body, outcome, next_attempt_at)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, IF(? IS NULL, NULL, NOW(3) + INTERVAL ? MICROSECOND))`,
        [
          d.id,
          d.endpointId,
          d.eventId,
          d.attempts,
          a.startedAt,
          a.latencyMs,
          a.statusCode,
          a.error?.slice(0, 255) ?? null,
          a.responseBody,
          settled ? a.outcome : 'failed',
          settled ? a.nextDelayMs : null,
          (a.nextDelayMs ?? 0) * 1000,
        ],
      );
      return settled;
    });
  }

  /** Deliveries of an endpoint that will never be tried (the endpoint was deleted). */
  async cancelPending(endpointId: string): Promise<void> {
    await this.ds.query(
      `UPDATE t_webhook_delivery SET status = 'CANCELLED' WHERE endpoint_id = ? AND status = 'PENDING'`,
      [endpointId],
    );
  }

  /**
   * Sends the event again now to every enabled endpoint subscribed to its type (a delivery row is made
   * for one that had none, e.g. registered after the event). Delivered or given-up deliveries become
   * PENDING and due now; one in flight keeps its lease and is tried again once it ends.
   * @returns how many deliveries are due
   */
  async redeliver(
    event: { position: number; id: string; type: string },
    endpoints: Array<{ id: string; events: string[] }>,
  ): Promise<number> {
    return this.tx.run(async (m) => {
      await this.fanOut(m, [event], endpoints);
      const ids = endpoints
        .filter((ep) => ep.events.some((p) => typeMatches(p, event.type)))
        .map((e) => e.id);
      if (!ids.length) return 0;
      const res = await m.query(
        `UPDATE t_webhook_delivery SET status = 'PENDING', available_at = NOW(3)
          WHERE event_position = ? AND endpoint_id IN (?) AND status <> 'CANCELLED'`,
        [event.position, ids],
      );
      return Number(res.affectedRows ?? 0);
    });
  }

  /** An endpoint's attempts, newest first. */
  async attempts(endpointId: string, limit: number): Promise<AttemptRow[]> {
    const rows: Array<Record<string, unknown>> = await this.ds.query(
      `SELECT a.event_id, e.type, a.attempt, a.outcome, a.status_code, a.error, a.latency_ms, a.response_body,
              a.started_at, a.next_attempt_at
         FROM t_webhook_attempt a
         JOIN t_webhook_delivery d ON d.id = a.delivery_id
         JOIN t_event e ON e.position = d.event_position
        WHERE a.endpoint_id = ? ORDER BY a.id DESC LIMIT ?`,
      [endpointId, limit],
    );
    return rows.map((r) => ({
      eventId: String(r.event_id),
      type: String(r.type),
      attempt: Number(r.attempt),
      outcome: r.outcome as AttemptOutcome,
      statusCode: r.status_code === null ? null : Number(r.status_code),
      error: (r.error as string | null) ?? null,
      latencyMs: Number(r.latency_ms),
      responseBody: (r.response_body as string | null) ?? null,
      startedAt: r.started_at as Date,
      nextAttemptAt: (r.next_attempt_at as Date | null) ?? null,
    }));
  }
}
