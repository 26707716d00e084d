import { randomInt } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Counter } from 'prom-client';
import { AuthUser } from '../common/auth/auth.decorators';
import { duplicateKeyName, isDuplicateKey } from '../common/database/db-errors';
import { TransactionService } from '../common/database/transaction.service';
import { DomainError, ErrorCode } from '../common/errors';
import { TOPICS, TransferSucceededEvent } from '../common/events/payment-events';
import { MetricsService } from '../common/metrics/metrics.service';
import { OutboxService } from '../common/outbox/outbox.service';
import { walletConfig } from '../config/configuration';
import { DedupService, IdempotencyContext, IdempotentReplay } from '../idempotency';
import { decodeIdCursor, encodeIdCursor } from './cursor';
import { CreateTransferDto, TransferPageResponse, TransferResponse } from './dto/transfer.dto';
import { TransferExpiryScheduler } from './transfer-expiry';
import { Transfer, TransferRepository } from './transfer.repository';
import { TRANSFER_NO_PATTERN } from './transfer-state';
import { WalletService } from './wallet.service';

/** Rolls the execute transaction (marker included) back when the CAS finds the transfer moved. */
class NotExecutable {}

export type TransferEvent = 'created' | 'executed' | 'replayed' | 'insufficient' | 'cancelled' | 'expired';

/** A transfer number: `T` + `yyyyMMddHHmmssSSS` (UTC) + 12 random digits (as order numbers). */
export function newTransferNo(now = new Date()): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return (
    `T${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}` +
    `${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}${p(now.getUTCMilliseconds(), 3)}` +
    p(randomInt(0, 1_000_000), 6) +
    p(randomInt(0, 1_000_000), 6)
  );
}

/**
 * Wallet-to-wallet transfers, "the number first" (docs/transfers.md). `create` stores the transfer and
 * its number and moves nothing. `execute` moves it in ONE transaction: the `t_uq_dipose('TRANSFER',
 * transferNo)` marker first, the CAS CREATED → SUCCEEDED (while not due), the two wallets in user-id
 * order (conditional debit, credit), one balanced journal, the outbox `transfer.succeeded`; a deadlock
 * or lock-wait timeout retries the whole transaction. Every retry of an execute — concurrent, on another
 * instance, after a crash between commit and answer — finds the marker or the SUCCEEDED row and answers
 * the stored transfer. Cancel and expiry are CASes from CREATED too, so a transfer has one outcome.
 */
@Injectable()
export class TransferService {
  private readonly logger = new Logger(TransferService.name);
  private readonly events: Counter<'event'>;

  constructor(
    private readonly tx: TransactionService,
    private readonly repo: TransferRepository,
    private readonly wallet: WalletService,
    private readonly dedup: DedupService,
    private readonly outbox: OutboxService,
    private readonly expiry: TransferExpiryScheduler,
    metrics: MetricsService,
    @Inject(walletConfig.KEY) private readonly cfg: ConfigType<typeof walletConfig>,
  ) {
    this.events = metrics.counter('oncepay_transfer_events_total', 'Transfer lifecycle events', ['event']);
  }

  /**
   * Creates a CREATED transfer (nothing moves). Behind @IdempotentSubmit; the Idempotency-Key is also
   * stored on the row (UNIQUE(from_user, idempotency_key)), so a key whose Redis record was lost
   * replays from the row instead of creating a second transfer.
   * @throws VALIDATION_FAILED (to oneself, above TRANSFER_MAX_AMOUNT), RECIPIENT_NOT_FOUND (no wallet).
   */
  async create(
    userId: string,
    dto: CreateTransferDto,
    ctx: IdempotencyContext | null,
  ): Promise<TransferResponse> {
    if (dto.toUserId === userId) {
      throw new DomainError(ErrorCode.VALIDATION_FAILED, 'A transfer needs another wallet than your own', {
        errors: ['toUserId must not be the sender'],
      });
    }
    if (dto.amount > this.cfg.transferMaxAmount) {
      throw new DomainError(
        ErrorCode.VALIDATION_FAILED,
        `amount must not be greater than ${this.cfg.transferMaxAmount}`,
        {
          errors: [`amount must not be greater than ${this.cfg.transferMaxAmount}`],
          max: this.cfg.transferMaxAmount,
        },
      );
    }
    if ((await this.wallet.findBalance(null, dto.toUserId)) === null) {
      throw new DomainError(ErrorCode.RECIPIENT_NOT_FOUND, 'The recipient has no wallet', {
        toUserId: dto.toUserId,
      });
    }
    for (let attempt = 1; ; attempt++) {
      const now = new Date();
      const t = {
        transferNo: newTransferNo(now),
        fromUser: userId,
        toUser: dto.toUserId,
        amount: dto.amount,
        currency: 'CNY',
        memo: dto.memo ?? null,
        idempotencyKey: ctx?.key ?? null,
        requestFingerprint: ctx?.fingerprint ?? null,
        createdAt: now,
        expiresAt: new Date(now.getTime() + this.cfg.transferTtlMs),
      };
      try {
        await this.repo.insert(null, t);
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        const key = duplicateKeyName(err);
        if (key === 'uq_transfer_user_idem' && ctx?.key) return this.replayKeyed(userId, ctx);
        if (key === 'uq_transfer_no' && attempt < 3) continue;
        throw err;
      }
      this.events.inc({ event: 'created' });
      this.expiry.schedule(t.transferNo, this.cfg.transferTtlMs);
      return toJson({ ...t, id: 0, status: 'CREATED', executedAt: null, cancelledAt: null });
    }
  }

  /**
   * Moves the transfer, once. The sender only (the receiver gets 403, anyone else 404).
   * @throws INSUFFICIENT_BALANCE (the transfer stays CREATED), TRANSFER_NOT_EXECUTABLE (cancelled, expired).
   */
  async execute(user: AuthUser, transferNo: string): Promise<TransferResponse> {
    const t = await this.asSender(user, transferNo);
    if (t.status === 'SUCCEEDED') return this.replayed(t);
    if (t.status !== 'CREATED') throw notExecutable(t);
    const now = new Date();
    if (t.expiresAt.getTime() <= now.getTime()) {
      await this.expire(transferNo, now);
      throw notExecutable((await this.repo.findByNo(null, transferNo))!);
    }
    let res;
    try {
      res = await this.tx.run(
        (m) =>
          this.dedup.runOnce(
            'TRANSFER',
            transferNo,
            async (mm) => {
              if (!(await this.repo.markSucceeded(mm, transferNo, now))) throw new NotExecutable();
              await this.wallet.transfer(mm, {
                fromUserId: t.fromUser,
                toUserId: t.toUser,
                amount: t.amount,
                transferNo,
              });
              const ev: TransferSucceededEvent = {
                transferNo,
                fromUserId: t.fromUser,
                toUserId: t.toUser,
                amount: t.amount,
                executedAt: now.toISOString(),
              };
              await this.outbox.add(mm, TOPICS.TRANSFER_SUCCEEDED, transferNo, ev);
            },
            { manager: m },
          ),
        { attempts: 5 },
      );
    } catch (err) {
      if (err instanceof DomainError && err.code === ErrorCode.INSUFFICIENT_BALANCE) {
        this.events.inc({ event: 'insufficient' });
        throw err;
      }
      if (!(err instanceof NotExecutable)) throw err;
      res = { status: 'lost' as const };
    }
    const now2 = (await this.repo.findByNo(null, transferNo))!;
    if (now2.status !== 'SUCCEEDED') throw notExecutable(now2);
    if (res.status === 'done') {
      this.events.inc({ event: 'executed' });
      this.logger.log(`transfer ${transferNo} SUCCEEDED: ${t.amount} fen ${t.fromUser} → ${t.toUser}`);
      return toJson(now2);
    }
    return this.replayed(now2);
  }

  /**
   * Cancels a CREATED transfer (the sender only). Cancelling a cancelled one answers it as it is.
   * @throws TRANSFER_NOT_CANCELLABLE (SUCCEEDED or EXPIRED; details.status)
   */
  async cancel(user: AuthUser, transferNo: string): Promise<TransferResponse> {
    const t = await this.asSender(user, transferNo);
    if (t.status === 'CREATED') {
      const now = new Date();
      // a transfer already due is expired, not cancelled: its outcome was decided by the clock
      if (t.expiresAt.getTime() <= now.getTime()) await this.expire(transferNo, now);
      else if (await this.repo.markCancelled(null, transferNo, now)) {
        this.events.inc({ event: 'cancelled' });
      }
    }
    const cur = t.status === 'CANCELLED' ? t : (await this.repo.findByNo(null, transferNo))!;
    if (cur.status === 'CANCELLED') return toJson(cur);
    throw new DomainError(
      ErrorCode.TRANSFER_NOT_CANCELLABLE,
      `The transfer is ${cur.status} and cannot be cancelled`,
      {
        transferNo,
        status: cur.status,
      },
    );
  }

  /** The transfer, for its sender, its receiver or an admin; anyone else 404. */
  async get(user: AuthUser, transferNo: string): Promise<TransferResponse> {
    const t = await this.find(transferNo);
    if (t.fromUser !== user.userId && t.toUser !== user.userId && user.role !== 'admin')
      throw notFound(transferNo);
    return toJson(t);
  }

  /** The caller's transfers, sent and received, newest first (keyset cursor). */
  async list(userId: string, q: { limit?: number; cursor?: string }): Promise<TransferPageResponse> {
    const limit = q.limit ?? 20;
    const before = q.cursor ? decodeIdCursor(q.cursor) : null;
    const rows = await this.repo.listByUser(null, userId, before, limit + 1);
    const page = rows.slice(0, limit);
    return {
      items: page.map(toJson),
      nextCursor: rows.length > limit ? encodeIdCursor(page[page.length - 1].id) : null,
    };
  }

  /** CREATED → EXPIRED once due; any number of times, on any instance. True iff this call expired it. */
  async expire(transferNo: string, now = new Date()): Promise<boolean> {
    const won = await this.repo.markExpired(null, transferNo, now);
    if (won) {
      this.events.inc({ event: 'expired' });
      this.logger.log(`transfer ${transferNo} expired`);
    }
    return won;
  }

  private async find(transferNo: string): Promise<Transfer> {
    const t = TRANSFER_NO_PATTERN.test(transferNo) ? await this.repo.findByNo(null, transferNo) : null;
    if (!t) throw notFound(transferNo);
    return t;
  }

  /** The transfer if the caller sent it; the receiver (or an admin) 403, anyone else 404. */
  private async asSender(user: AuthUser, transferNo: string): Promise<Transfer> {
    const t = await this.find(transferNo);
    if (t.fromUser === user.userId) return t;
    if (t.toUser === user.userId || user.role === 'admin') {
      throw new DomainError(ErrorCode.FORBIDDEN, 'Only the sender may execute or cancel a transfer', {
        transferNo,
      });
    }
    throw notFound(transferNo);
  }

  private replayed(t: Transfer): TransferResponse {
    this.events.inc({ event: 'replayed' });
    return toJson(t);
  }

  /** Redis lost the key's record but the row kept it: same request → replay, other request → 422. */
  private async replayKeyed(userId: string, ctx: IdempotencyContext): Promise<never> {
    const existing = await this.repo.findByUserKey(null, userId, ctx.key!);
    if (!existing) throw new Error('Idempotency-Key row vanished after a duplicate-key error');
    if (existing.requestFingerprint !== ctx.fingerprint) {
      throw new DomainError(
        ErrorCode.IDEMPOTENCY_KEY_REUSED,
        'This Idempotency-Key was used with a different request; use a new key for a new operation',
      );
    }
    throw new IdempotentReplay(201, toJson(existing));
  }
}

function notFound(transferNo: string): DomainError {
  return new DomainError(ErrorCode.NOT_FOUND, `Transfer ${transferNo} not found`);
}

function notExecutable(t: Transfer): DomainError {
  return new DomainError(
    ErrorCode.TRANSFER_NOT_EXECUTABLE,
    `The transfer is ${t.status} and cannot be executed`,
    {
      transferNo: t.transferNo,
      status: t.status,
    },
  );
}

/** The public transfer JSON (DESIGN.md §6). */
export function toJson(t: Transfer): TransferResponse {
  const json: TransferResponse = {
    transferNo: t.transferNo,
    fromUserId: t.fromUser,
    toUserId: t.toUser,
    amount: t.amount,
    currency: t.currency,
    memo: t.memo,
    status: t.status,
    createdAt: t.createdAt.toISOString(),
    expiresAt: t.expiresAt.toISOString(),
    executedAt: t.executedAt ? t.executedAt.toISOString() : null,
  };
  if (t.cancelledAt) json.cancelledAt = t.cancelledAt.toISOString();
  return json;
}
