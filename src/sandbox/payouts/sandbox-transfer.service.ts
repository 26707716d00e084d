import { Injectable, Logger } from '@nestjs/common';
import { createHash, randomInt } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import {
  PayoutFault,
  PayoutNotifyMode,
  PayoutProtocol,
  QueryOutcome,
  SandboxTransferRow,
  TransferAsk,
  TransferOutcome,
} from './sandbox-payout.types';

/** sha256 hex of a canonical JSON of the parameters that must not change under one number. */
export function paramsHash(fields: Record<string, unknown>): string {
  const canonical = JSON.stringify(
    Object.keys(fields)
      .sort()
      .map((k) => [k, fields[k] ?? null]),
  );
  return createHash('sha256').update(canonical).digest('hex');
}

const isDup = (err: unknown) => (err as { code?: string })?.code === 'ER_DUP_ENTRY';

/** States a transfer does not leave by itself (a bounce is a move made by hand). */
export const FINAL_STATES = new Set(['SUCCESS', 'FAIL', 'CANCELLED']);

/** States whose reaching is notified: the final ones, and an Alipay bank bounce (SUCCESS → REFUND). */
const NOTIFIED_STATES = new Set([...FINAL_STATES, 'REFUND']);

/** Told whenever a transfer reaches a notified state (the notify service sends the protocol's notify). */
export type FinishedListener = (row: SandboxTransferRow) => void;

/**
 * The payout simulator's core, both protocols: payees (with faults armed on them), transfers made once
 * per (protocol, number) — the unique key decides, so ten calls at once under one number make one
 * transfer — and the same number with other parameters refused and counted, never made. Each protocol's
 * face (Alipay's gateway.do methods, WeChat's transfer-bills routes) turns outcomes into its wire answers.
 */
@Injectable()
export class SandboxTransferService {
  private readonly logger = new Logger(SandboxTransferService.name);
  private readonly listeners: FinishedListener[] = [];

  constructor(private readonly ds: DataSource) {}

  onFinished(l: FinishedListener): void {
    this.listeners.push(l);
  }

  private finished(protocol: PayoutProtocol, outNo: string): void {
    void this.find(protocol, outNo, false).then(
      (row) => row && this.listeners.forEach((l) => l(row)),
      (err: Error) => this.logger.warn(`finished ${outNo}: ${err.message}`),
    );
  }

  async putPayee(
    protocol: PayoutProtocol,
    identity: string,
    p: {
      name?: string | null;
      fault?: { mode: PayoutFault; times?: number; param?: number } | null;
      notify?: { mode: PayoutNotifyMode; delayMs?: number } | null;
    },
  ): Promise<void> {
    await this.ds.query(
      `INSERT INTO sandbox_payee (protocol, identity, name, fault, fault_n, fault_ms, notify_mode, notify_delay_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON DUPLICATE KEY UPDATE name = VALUES(name), fault = VALUES(fault), fault_n = VALUES(fault_n),
         fault_ms = VALUES(fault_ms), notify_mode = VALUES(notify_mode), notify_delay_ms = VALUES(notify_delay_ms)`,
      [
        protocol,
        identity,
        p.name ?? null,
        p.fault?.mode ?? null,
        p.fault ? (p.fault.times ?? 1) : 0,
        p.fault?.param ?? 0,
        p.notify?.mode ?? null,
        p.notify?.delayMs ?? 0,
      ],
    );
  }

  async transfer(ask: TransferAsk): Promise<TransferOutcome> {
    // every call's parameter set under its number, made or not (sandbox_transfer_call): a call that made
    // nothing (SYSTEM_ERROR, a timeout before, a refused payee) leaves no transfer to compare the next with
    await this.ds.query(
      `INSERT INTO sandbox_transfer_call (protocol, out_no, params_hash, calls, first_at)
       VALUES (?, ?, ?, 1, CURRENT_TIMESTAMP(3)) ON DUPLICATE KEY UPDATE calls = calls + 1`,
      [ask.protocol, ask.outNo, ask.paramsHash],
    );
    const existing = await this.find(ask.protocol, ask.outNo);
    if (existing) return this.again(existing, ask);
    // One call decides per payee at a time: the payee row is locked while its armed fault is taken and the
    // transfer is made, so a concurrent call under the same number (a sweeper racing the send job) waits and
    // then finds the transfer, instead of making it without the fault the first call took.
    const made = await this.ds.transaction((m) => this.make(m, ask));
    if (made.kind === 'exists') return this.again((await this.find(ask.protocol, ask.outNo))!, ask);
    if (made.kind !== 'inserted') return made;
    const row = (await this.find(ask.protocol, ask.outNo))!;
    if (FINAL_STATES.has(row.status)) this.finished(ask.protocol, ask.outNo);
    return {
      kind: 'made',
      row,
      fresh: true,
      timeout: made.fault === 'timeout_after' || made.fault === 'order_not_exist',
    };
  }

  private async make(
    m: EntityManager,
    ask: TransferAsk,
  ): Promise<TransferOutcome | { kind: 'exists' } | { kind: 'inserted'; fault: PayoutFault | null }> {
    const payees = await m.query(
      `SELECT name, fault, fault_n, fault_ms, notify_mode, notify_delay_ms FROM sandbox_payee
        WHERE protocol = ? AND identity = ? FOR UPDATE`,
      [ask.protocol, ask.identity],
    );
    if (!payees.length) return { kind: 'refused', code: 'PAYEE_NOT_EXIST' };
    const payee = payees[0] as {
      name: string | null;
      fault: PayoutFault | null;
      fault_n: number;
      fault_ms: number;
      notify_mode: PayoutNotifyMode | null;
      notify_delay_ms: number;
    };
    if (ask.name !== null && payee.name !== null && ask.name !== payee.name) {
      return { kind: 'refused', code: 'NAME_MISMATCH' };
    }
    const made = await m.query(
      'SELECT id FROM sandbox_transfer WHERE protocol = ? AND out_no = ? FOR UPDATE',
      [ask.protocol, ask.outNo],
    );
    if (made.length) return { kind: 'exists' };
    let fault: PayoutFault | null = null;
    if (payee.fault && Number(payee.fault_n) > 0) {
      // one of the payee's armed fault calls is used by this call
      await m.query('UPDATE sandbox_payee SET fault_n = fault_n - 1 WHERE protocol = ? AND identity = ?', [
        ask.protocol,
        ask.identity,
      ]);
      fault = payee.fault;
    }
    if (fault === 'timeout_before') return { kind: 'fault', fault: 'timeout' };
    if (fault === 'system_error') return { kind: 'fault', fault: 'system_error' };
    const now = new Date();
    const status = fault === 'fail' ? 'FAIL' : fault === 'unconfirmed' ? 'WAIT_USER_CONFIRM' : 'SUCCESS';
    try {
      await m.query(
        `INSERT INTO sandbox_transfer (protocol, out_no, app_id, mch_id, notify_url, notify_mode, notify_delay_ms,
           order_id, payee_identity, amount, params_hash, status, fail_reason, hide_queries, close_at, created_at,
           updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          ask.protocol,
          ask.outNo,
          ask.appId,
          ask.mchId,
          ask.notifyUrl,
          payee.notify_mode ?? 'normal',
          Number(payee.notify_delay_ms),
          `${ask.protocol === 'alipay' ? '2026' : '1330'}${Date.now()}${randomInt(100000, 999999)}`,
          ask.identity,
          ask.amount,
          ask.paramsHash,
          status,
          fault === 'fail' ? 'PAYEE_ACCOUNT_ABNORMAL' : null,
          fault === 'order_not_exist' ? Number(payee.fault_ms) : 0,
          fault === 'unconfirmed' ? new Date(now.getTime() + Number(payee.fault_ms)) : null,
          now,
          now,
        ],
      );
    } catch (err) {
      // the same number to another payee identity, made at once: that call won
      if (!isDup(err)) throw err;
      return { kind: 'exists' };
    }
    return { kind: 'inserted', fault };
  }

  async query(protocol: PayoutProtocol, outNo: string): Promise<QueryOutcome> {
    const row = await this.find(protocol, outNo);
    if (!row) return { kind: 'not_found' };
    const hidden = await this.ds.query(
      `UPDATE sandbox_transfer SET hide_queries = hide_queries - 1, queries = queries + 1
       WHERE protocol = ? AND out_no = ? AND hide_queries > 0`,
      [protocol, outNo],
    );
    if (Number(hidden.affectedRows ?? 0) === 1) return { kind: 'not_found' };
    await this.ds.query(
      'UPDATE sandbox_transfer SET queries = queries + 1 WHERE protocol = ? AND out_no = ?',
      [protocol, outNo],
    );
    return { kind: 'found', row: (await this.find(protocol, outNo))! };
  }

  /** SUCCESS → REFUND (Alipay: the bank sent it back); WAIT_USER_CONFIRM → SUCCESS / CANCELLED (WeChat). */
  async move(protocol: PayoutProtocol, outNo: string, from: string, to: string): Promise<boolean> {
    const res = await this.ds.query(
      `UPDATE sandbox_transfer SET status = ?, updated_at = CURRENT_TIMESTAMP(3)
       WHERE protocol = ? AND out_no = ? AND status = ?`,
      [to, protocol, outNo, from],
    );
    const moved = Number(res.affectedRows ?? 0) === 1;
    if (moved && NOTIFIED_STATES.has(to)) this.finished(protocol, outNo);
    return moved;
  }

  /** The transfer; a bill left unconfirmed past its close time is closed (CANCELLED) first. */
  async find(protocol: PayoutProtocol, outNo: string, close = true): Promise<SandboxTransferRow | null> {
    if (close) {
      const closed = await this.ds.query(
        `UPDATE sandbox_transfer SET status = 'CANCELLED', fail_reason = 'TRANSFER_TIMEOUT', updated_at = CURRENT_TIMESTAMP(3)
         WHERE protocol = ? AND out_no = ? AND status = 'WAIT_USER_CONFIRM' AND close_at <= CURRENT_TIMESTAMP(3)`,
        [protocol, outNo],
      );
      if (Number(closed.affectedRows ?? 0) === 1) this.finished(protocol, outNo);
    }
    const rows = await this.ds.query('SELECT * FROM sandbox_transfer WHERE protocol = ? AND out_no = ?', [
      protocol,
      outNo,
    ]);
    if (!rows.length) return null;
    const r = rows[0];
    return {
      ...r,
      id: Number(r.id),
      amount: Number(r.amount),
      notify_delay_ms: Number(r.notify_delay_ms),
    } as SandboxTransferRow;
  }

  private async again(row: SandboxTransferRow, ask: TransferAsk): Promise<TransferOutcome> {
    if (row.params_hash !== ask.paramsHash) {
      await this.ds.query(
        'UPDATE sandbox_transfer SET inconsistent_calls = inconsistent_calls + 1 WHERE id = ?',
        [row.id],
      );
      return { kind: 'inconsistent', row };
    }
    await this.ds.query('UPDATE sandbox_transfer SET calls = calls + 1 WHERE id = ?', [row.id]);
    return { kind: 'made', row, fresh: false, timeout: false };
  }

  async countNotify(id: number): Promise<void> {
    await this.ds.query('UPDATE sandbox_transfer SET notifies = notifies + 1 WHERE id = ?', [id]);
  }
}
