import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { ReconciliationMismatchDto } from './dto/reconciliation.dto';

export type RunTrigger = 'scheduled' | 'requested';
export type RunStatus = 'RUNNING' | 'OK' | 'MISMATCHES' | 'FAILED';

export interface ReconciliationRun {
  id: string;
  date: string;
  channels: string[];
  trigger: RunTrigger;
  requestedBy: string | null;
  status: RunStatus;
  checked: number;
  mismatchCount: number;
  repairedCount: number;
  mismatches: ReconciliationMismatchDto[];
  error: string | null;
  startedAt: Date;
  finishedAt: Date | null;
}

/** t_reconciliation_run: every reconciliation run, the one way to the table. */
@Injectable()
export class ReconciliationRunRepository {
  constructor(private readonly ds: DataSource) {}

  /** A run starts RUNNING (so a run that dies half-way is still visible). @returns its id */
  async start(
    date: string,
    channels: string[],
    trigger: RunTrigger,
    requestedBy: string | null,
  ): Promise<string> {
    const res = await this.ds.query(
      `INSERT INTO t_reconciliation_run (bill_date, channels, \`trigger\`, requested_by, status, started_at)
       VALUES (?, ?, ?, ?, 'RUNNING', CURRENT_TIMESTAMP(3))`,
      [date, channels.join(','), trigger, requestedBy],
    );
    return String(res.insertId);
  }

  async finish(id: string, checked: number, mismatches: ReconciliationMismatchDto[]): Promise<void> {
    const repaired = mismatches.filter((m) => m.repaired).length;
    await this.ds.query(
      `UPDATE t_reconciliation_run SET status = ?, checked = ?, mismatch_count = ?, repaired_count = ?,
         mismatches = ?, finished_at = CURRENT_TIMESTAMP(3) WHERE id = ?`,
      [
        mismatches.some((m) => !m.repaired) ? 'MISMATCHES' : 'OK',
        checked,
        mismatches.length,
        repaired,
        JSON.stringify(mismatches),
        id,
      ],
    );
  }

  async fail(id: string, error: string): Promise<void> {
    await this.ds.query(
      `UPDATE t_reconciliation_run SET status = 'FAILED', error = ?, finished_at = CURRENT_TIMESTAMP(3) WHERE id = ?`,
      [error.slice(0, 512), id],
    );
  }

  /** Newest first; `before` an id, `date` one bill day. */
  async list(f: { before?: string; date?: string; limit: number }): Promise<ReconciliationRun[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (f.before) {
      where.push('id < ?');
      params.push(f.before);
    }
    if (f.date) {
      where.push('bill_date = ?');
      params.push(f.date);
    }
    const rows = await this.ds.query(
      `SELECT * FROM t_reconciliation_run ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY id DESC LIMIT ?`,
      [...params, f.limit],
    );
    return rows.map(toRun);
  }

  async find(id: string): Promise<ReconciliationRun | null> {
    const rows = await this.ds.query(`SELECT * FROM t_reconciliation_run WHERE id = ?`, [id]);
    return rows.length ? toRun(rows[0]) : null;
  }
}

function toRun(r: any): ReconciliationRun {
  const m = typeof r.mismatches === 'string' ? JSON.parse(r.mismatches) : r.mismatches;
  return {
    id: String(r.id),
    date: r.bill_date,
    channels: String(r.channels).split(',').filter(Boolean),
    trigger: r.trigger,
    requestedBy: r.requested_by ?? null,
    status: r.status,
    checked: Number(r.checked),
    mismatchCount: Number(r.mismatch_count),
    repairedCount: Number(r.repaired_count),
    mismatches: m ?? [],
    error: r.error ?? null,
    startedAt: new Date(r.started_at),
    finishedAt: r.finished_at ? new Date(r.finished_at) : null,
  };
}
