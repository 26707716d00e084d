import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { TRANSFER_MACHINE, TransferStatus } from './transfer-state';

export interface Transfer {
  id: number;
  transferNo: string;
  fromUser: string;
  toUser: string;
  amount: number;
  currency: string;
  memo: string | null;
  status: TransferStatus;
  idempotencyKey: string | null;
  requestFingerprint: string | null;
  createdAt: Date;
  expiresAt: Date;
  executedAt: Date | null;
  cancelledAt: Date | null;
}

export type NewTransfer = Omit<Transfer, 'id' | 'status' | 'executedAt' | 'cancelledAt'>;

const COLUMNS = `id, transfer_no, from_user, to_user, amount, currency, memo, status, idempotency_key,
  request_fingerprint, created_at, expires_at, executed_at, cancelled_at`;

const date = (v: unknown): Date | null => (v === null || v === undefined ? null : new Date(v as string));

function toTransfer(r: Record<string, unknown>): Transfer {
  return {
    id: Number(r.id),
    transferNo: String(r.transfer_no),
    fromUser: String(r.from_user),
    toUser: String(r.to_user),
    amount: Number(r.amount),
    currency: String(r.currency),
    memo: (r.memo as string | null) ?? null,
    status: r.status as TransferStatus,
    idempotencyKey: (r.idempotency_key as string | null) ?? null,
    requestFingerprint: (r.request_fingerprint as string | null) ?? null,
    createdAt: date(r.created_at)!,
    expiresAt: date(r.expires_at)!,
    executedAt: date(r.executed_at),
    cancelledAt: date(r.cancelled_at),
  };
}

/**
 * t_transfer in plain SQL (the wallet module's style). Every status change is a CAS from CREATED
 * (TRANSFER_MACHINE); execute's and expiry's also say which side of `expires_at` they stand on, so an
 * execute can never win against a transfer that is already due to expire.
 */
@Injectable()
export class TransferRepository {
  constructor(private readonly dataSource: DataSource) {}

  private m(manager: EntityManager | null): EntityManager {
    return manager ?? this.dataSource.manager;
  }

  async insert(m: EntityManager | null, t: NewTransfer): Promise<void> {
    await this.m(m).query(
      `INSERT INTO t_transfer (transfer_no, from_user, to_user, amount, currency, memo, status, idempotency_key,
         request_fingerprint, version, created_at, updated_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, 'CREATED', ?, ?, 0, ?, ?, ?)`,
      [
        t.transferNo,
        t.fromUser,
        t.toUser,
        t.amount,
        t.currency,
        t.memo,
        t.idempotencyKey,
        t.requestFingerprint,
        t.createdAt,
        t.createdAt,
        t.expiresAt,
      ],
    );
  }

  async findByNo(m: EntityManager | null, transferNo: string): Promise<Transfer | null> {
    const rows = await this.m(m).query(`SELECT ${COLUMNS} FROM t_transfer WHERE transfer_no = ?`, [
      transferNo,
    ]);
    return rows.length ? toTransfer(rows[0]) : null;
  }

  async findByUserKey(m: EntityManager | null, fromUser: string, key: string): Promise<Transfer | null> {
    const rows = await this.m(m).query(
      `SELECT ${COLUMNS} FROM t_transfer WHERE from_user = ? AND idempotency_key = ?`,
      [fromUser, key],
    );
    return rows.length ? toTransfer(rows[0]) : null;
  }

  /** The user's transfers, sent and received, newest first, ids below `beforeId` (keyset). */
  async listByUser(
    m: EntityManager | null,
    userId: string,
    beforeId: number | null,
    limit: number,
  ): Promise<Transfer[]> {
    const below = beforeId ? 'AND id < ?' : '';
    const one = (col: string) =>
      `(SELECT ${COLUMNS} FROM t_transfer WHERE ${col} = ? ${below} ORDER BY id DESC LIMIT ${Number(limit)})`;
    const p = beforeId ? [userId, beforeId] : [userId];
    const rows = await this.m(m).query(
      `${one('from_user')} UNION ${one('to_user')} ORDER BY id DESC LIMIT ${Number(limit)}`,
      [...p, ...p],
    );
    return rows.map(toTransfer);
  }

  /** CAS CREATED → SUCCEEDED while not yet due (`expires_at > now`): true iff this call moved it. */
  async markSucceeded(m: EntityManager, transferNo: string, now: Date): Promise<boolean> {
    TRANSFER_MACHINE.assertTransition('CREATED', 'SUCCEEDED');
    const res = await m.query(
      `UPDATE t_transfer SET status = 'SUCCEEDED', version = version + 1, executed_at = ?, updated_at = ?
        WHERE transfer_no = ? AND status = 'CREATED' AND expires_at > ?`,
      [now, now, transferNo, now],
    );
    return Number(res?.affectedRows ?? 0) === 1;
  }

  /** CAS CREATED → CANCELLED: true iff this call moved it. */
  async markCancelled(m: EntityManager | null, transferNo: string, now: Date): Promise<boolean> {
    TRANSFER_MACHINE.assertTransition('CREATED', 'CANCELLED');
    const res = await this.m(m).query(
      `UPDATE t_transfer SET status = 'CANCELLED', version = version + 1, cancelled_at = ?, updated_at = ?
        WHERE transfer_no = ? AND status = 'CREATED'`,
      [now, now, transferNo],
    );
    return Number(res?.affectedRows ?? 0) === 1;
  }

  /** CAS CREATED → EXPIRED once due (`expires_at <= now`): true iff this call moved it. */
  async markExpired(m: EntityManager | null, transferNo: string, now: Date): Promise<boolean> {
    TRANSFER_MACHINE.assertTransition('CREATED', 'EXPIRED');
    const res = await this.m(m).query(
      `UPDATE t_transfer SET status = 'EXPIRED', version = version + 1, updated_at = ?
        WHERE transfer_no = ? AND status = 'CREATED' AND expires_at <= ?`,
      [now, transferNo, now],
    );
    return Number(res?.affectedRows ?? 0) === 1;
  }

  /** CREATED transfers past `expires_at` (the sweep), oldest first. */
  async findDue(m: EntityManager | null, now: Date, limit: number): Promise<string[]> {
    const rows = await this.m(m).query(
      `SELECT transfer_no FROM t_transfer WHERE status = 'CREATED' AND expires_at <= ?
        ORDER BY expires_at LIMIT ${Number(limit)}`,
      [now],
    );
    return rows.map((r: { transfer_no: string }) => r.transfer_no);
  }
}
