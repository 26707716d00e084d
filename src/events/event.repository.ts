import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

/** An outbox row the sequencer has not turned into events yet. */
export interface OutboxRow {
  id: string;
  topic: string;
  payload: Record<string, unknown>;
  createdAt: Date;
}

/** One row of t_event as the feed and the deliveries read it. */
export interface EventRow {
  position: number;
  id: string;
  type: string;
  resource: string;
  version: number;
  data: Record<string, unknown>;
  createdAt: Date;
}

export interface NewEvent {
  position: number;
  id: string;
  type: string;
  resource: string;
  version: number;
  outboxId: string;
  data: Record<string, unknown>;
  createdAt: Date;
}

const EVENT_COLUMNS = 'position, id, type, resource, version, data, created_at';

/**
 * The one way to t_event and t_event_sequencer, and the events module's only read of t_outbox (owned by
 * common/outbox; read, never written).
 */
@Injectable()
export class EventRepository {
  constructor(private readonly ds: DataSource) {}

  /**
   * Takes or renews the sequencer's lease (one row): true iff `owner` holds it for `leaseMs` from now.
   * Only an efficiency measure: two writers at once are safe (see EventSequencer), just wasteful.
   */
  async takeLease(owner: string, leaseMs: number): Promise<boolean> {
    const res = await this.ds.query(
      `UPDATE t_event_sequencer SET lease_owner = ?, lease_until = NOW(3) + INTERVAL ? MICROSECOND
        WHERE id = 1 AND (lease_owner = ? OR lease_owner IS NULL OR lease_until < NOW(3))`,
      [owner, leaseMs * 1000, owner],
    );
    return Number(res.affectedRows ?? 0) === 1;
  }

  async releaseLease(owner: string): Promise<void> {
    await this.ds.query(
      `UPDATE t_event_sequencer SET lease_owner = NULL, lease_until = NULL WHERE id = 1 AND lease_owner = ?`,
      [owner],
    );
  }

  /** The time watermark: every outbox row created before it is an event already (or never will be). */
  async watermark(): Promise<string> {
    const rows = await this.ds.query(
      `SELECT DATE_FORMAT(COALESCE(time_watermark, '1970-01-01'), '%Y-%m-%d %H:%i:%s.%f') AS w
         FROM t_event_sequencer WHERE id = 1`,
    );
    return String(rows[0]?.w ?? '1970-01-01 00:00:00.000000');
  }

  /** Moves the watermark up (never down). */
  async raiseWatermark(to: string): Promise<void> {
    await this.ds.query(
      `UPDATE t_event_sequencer SET time_watermark = ?
        WHERE id = 1 AND (time_watermark IS NULL OR time_watermark < ?)`,
      [to, to],
    );
  }

  /**
   * Committed outbox rows created at or after the watermark, of the given topics, that are not events
   * yet, in id order. Run in `m` (a transaction: causal reads on a Galera node, so every write committed
   * anywhere in the cluster before this read is seen).
   */
  async unsequenced(m: EntityManager, after: string, topics: string[], limit: number): Promise<OutboxRow[]> {
    const rows: Array<{ id: string; topic: string; payload: unknown; created_at: Date }> = await m.query(
      `SELECT o.id, o.topic, o.payload, o.created_at FROM t_outbox o
        WHERE o.created_at >= ? AND o.topic IN (?)
          AND NOT EXISTS (SELECT 1 FROM t_event e WHERE e.outbox_id = o.id)
        ORDER BY o.id LIMIT ?`,
      [after, topics, limit],
    );
    return rows.map((r) => ({
      id: String(r.id),
      topic: r.topic,
      payload: (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload) as Record<string, unknown>,
      createdAt: r.created_at,
    }));
  }

  /** The last position, read in `m` (the sequencer's transaction). */
  async lastPosition(m: EntityManager): Promise<number> {
    const rows = await m.query(`SELECT COALESCE(MAX(position), 0) AS p FROM t_event`);
    return Number(rows[0].p);
  }

  /** Each resource's latest version, in `m`. */
  async lastVersions(m: EntityManager, resources: string[]): Promise<Map<string, number>> {
    if (!resources.length) return new Map();
    const rows: Array<{ resource: string; v: number }> = await m.query(
      `SELECT resource, MAX(version) AS v FROM t_event WHERE resource IN (?) GROUP BY resource`,
      [resources],
    );
    return new Map(rows.map((r) => [r.resource, Number(r.v)]));
  }

  async insert(m: EntityManager, events: NewEvent[]): Promise<void> {
    if (!events.length) return;
    await m.query(
      `INSERT INTO t_event (position, id, type, resource, version, outbox_id, data, created_at) VALUES ?`,
      [
        events.map((e) => [
          e.position,
          e.id,
          e.type,
          e.resource,
          e.version,
          e.outboxId,
          JSON.stringify(e.data),
          e.createdAt,
        ]),
      ],
    );
  }

  /** One page of the feed: positions after `after`, in order. */
  async page(after: number, limit: number): Promise<EventRow[]> {
    const rows = await this.ds.query(
      `SELECT ${EVENT_COLUMNS} FROM t_event WHERE position > ? ORDER BY position LIMIT ?`,
      [after, limit],
    );
    return rows.map(toEvent);
  }

  async findById(id: string): Promise<EventRow | null> {
    const rows = await this.ds.query(`SELECT ${EVENT_COLUMNS} FROM t_event WHERE id = ?`, [id]);
    return rows.length ? toEvent(rows[0]) : null;
  }

  async findByPositions(positions: number[]): Promise<Map<number, EventRow>> {
    if (!positions.length) return new Map();
    const rows = await this.ds.query(`SELECT ${EVENT_COLUMNS} FROM t_event WHERE position IN (?)`, [
      positions,
    ]);
    return new Map(rows.map((r: Record<string, unknown>) => [Number(r.position), toEvent(r)]));
  }
}

function toEvent(r: Record<string, unknown>): EventRow {
  return {
    position: Number(r.position),
    id: String(r.id),
    type: String(r.type),
    resource: String(r.resource),
    version: Number(r.version),
    data: (typeof r.data === 'string' ? JSON.parse(r.data) : r.data) as Record<string, unknown>,
    createdAt: r.created_at as Date,
  };
}
