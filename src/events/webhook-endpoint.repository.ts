import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

export type EndpointStatus = 'ENABLED' | 'DISABLED' | 'DELETED';

/** An endpoint as the module uses it; `secret` / `previousSecret` never leave the module. */
export interface EndpointRow {
  id: string;
  url: string;
  events: string[];
  status: EndpointStatus;
  secret: string;
  previousSecret: string | null;
  previousSecretUntil: Date | null;
  disabledReason: string | null;
  disabledAt: Date | null;
  failingSince: Date | null;
  createdAt: Date;
}

const COLUMNS = `id, url, events, status, secret, previous_secret, previous_secret_until, disabled_reason,
  disabled_at, failing_since, created_at`;

/** The one way to t_webhook_endpoint. */
@Injectable()
export class WebhookEndpointRepository {
  constructor(private readonly ds: DataSource) {}

  async insert(e: { id: string; url: string; events: string[]; secret: string }): Promise<void> {
    await this.ds.query(`INSERT INTO t_webhook_endpoint (id, url, events, secret) VALUES (?, ?, ?, ?)`, [
      e.id,
      e.url,
      JSON.stringify(e.events),
      e.secret,
    ]);
  }

  async list(): Promise<EndpointRow[]> {
    const rows = await this.ds.query(
      `SELECT ${COLUMNS} FROM t_webhook_endpoint WHERE status <> 'DELETED' ORDER BY created_at, id`,
    );
    return rows.map(toEndpoint);
  }

  async findById(id: string): Promise<EndpointRow | null> {
    const rows = await this.ds.query(
      `SELECT ${COLUMNS} FROM t_webhook_endpoint WHERE id = ? AND status <> 'DELETED'`,
      [id],
    );
    return rows.length ? toEndpoint(rows[0]) : null;
  }

  /** Endpoints by id (any status), for the delivery worker. */
  async findByIds(ids: string[]): Promise<Map<string, EndpointRow>> {
    if (!ids.length) return new Map();
    const rows = await this.ds.query(`SELECT ${COLUMNS} FROM t_webhook_endpoint WHERE id IN (?)`, [ids]);
    return new Map(rows.map((r: Record<string, unknown>) => [String(r.id), toEndpoint(r)]));
  }

  /** The enabled endpoints and what they subscribe to (read in the sequencer's transaction). */
  async enabled(m: EntityManager | null): Promise<Array<{ id: string; events: string[] }>> {
    const rows = await (m ?? this.ds.manager).query(
      `SELECT id, events FROM t_webhook_endpoint WHERE status = 'ENABLED'`,
    );
    return rows.map((r: Record<string, unknown>) => ({ id: String(r.id), events: parseEvents(r.events) }));
  }

  /** @returns false when there is no such (undeleted) endpoint */
  async markDeleted(id: string): Promise<boolean> {
    const res = await this.ds.query(
      `UPDATE t_webhook_endpoint SET status = 'DELETED' WHERE id = ? AND status <> 'DELETED'`,
      [id],
    );
    return Number(res.affectedRows ?? 0) === 1;
  }

  /** New secret; the old one stays valid (signed too) until `overlapMs` from now. */
  async rotate(id: string, secret: string, overlapMs: number): Promise<boolean> {
    const res = await this.ds.query(
      `UPDATE t_webhook_endpoint SET previous_secret = secret, secret = ?,
          previous_secret_until = NOW(3) + INTERVAL ? MICROSECOND
        WHERE id = ? AND status <> 'DELETED'`,
      [secret, overlapMs * 1000, id],
    );
    return Number(res.affectedRows ?? 0) === 1;
  }

  /** An attempt succeeded: the endpoint is healthy again. */
  async markHealthy(id: string): Promise<void> {
    await this.ds.query(
      `UPDATE t_webhook_endpoint SET failing_since = NULL WHERE id = ? AND failing_since IS NOT NULL`,
      [id],
    );
  }

  /**
   * An attempt failed: remember since when the endpoint fails everything, and disable it once that is
   * longer than `disableAfterMs`. @returns true iff this call disabled it.
   */
  async markFailing(id: string, disableAfterMs: number, reason: string): Promise<boolean> {
    await this.ds.query(
      `UPDATE t_webhook_endpoint SET failing_since = NOW(3) WHERE id = ? AND failing_since IS NULL`,
      [id],
    );
    const res = await this.ds.query(
      `UPDATE t_webhook_endpoint SET status = 'DISABLED', disabled_reason = ?, disabled_at = NOW(3)
        WHERE id = ? AND status = 'ENABLED' AND failing_since < NOW(3) - INTERVAL ? MICROSECOND`,
      [reason.slice(0, 255), id, disableAfterMs * 1000],
    );
    return Number(res.affectedRows ?? 0) === 1;
  }

  /** Re-enables a disabled endpoint (its pending deliveries resume). */
  async enable(id: string): Promise<boolean> {
    const res = await this.ds.query(
      `UPDATE t_webhook_endpoint SET status = 'ENABLED', disabled_reason = NULL, disabled_at = NULL,
          failing_since = NULL WHERE id = ? AND status = 'DISABLED'`,
      [id],
    );
    return Number(res.affectedRows ?? 0) === 1;
  }
}

function parseEvents(v: unknown): string[] {
  return (typeof v === 'string' ? JSON.parse(v) : v) as string[];
}

function toEndpoint(r: Record<string, unknown>): EndpointRow {
  return {
    id: String(r.id),
    url: String(r.url),
    events: parseEvents(r.events),
    status: r.status as EndpointStatus,
    secret: String(r.secret),
    previousSecret: (r.previous_secret as string | null) ?? null,
    previousSecretUntil: (r.previous_secret_until as Date | null) ?? null,
    disabledReason: (r.disabled_reason as string | null) ?? null,
    disabledAt: (r.disabled_at as Date | null) ?? null,
    failingSince: (r.failing_since as Date | null) ?? null,
    createdAt: r.created_at as Date,
  };
}
