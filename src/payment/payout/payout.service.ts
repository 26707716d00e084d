import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { AuthUser } from '../../common/auth/auth.decorators';
import { toCst } from '../../common/china-time';
import { duplicateKeyName, isDuplicateKey } from '../../common/database/db-errors';
import { TransactionService } from '../../common/database/transaction.service';
import { DomainError, ErrorCode } from '../../common/errors';
import { payoutConfig } from '../../config/configuration';
import { IdempotencyContext, IdempotentReplay } from '../../idempotency';
import { WalletService } from '../../wallet';
import { CreatePayoutDto, PayoutPageResponse, PayoutResponse } from './dto/payout.dto';
import { Payout } from './payout.entity';
import { PayoutRepository } from './payout.repository';
import { PayoutClients } from './payout-clients';
import { PayoutSettleService } from './payout-settle.service';
import { newPayoutNo, PAYOUT_NO_PATTERN, PayoutStatus } from './payout-state';
import { alipayIdentityType } from '../channels/alipay/alipay-transfer';

const OPENID = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * Payouts, the API side (docs/payouts.md). `create` stores the payout with its number and debits the
 * wallet into `payouts:<channel>` in ONE transaction (with the day's total, a conditional UPDATE): a
 * balance too low or a limit passed rolls everything back — nothing is stored. Only after that commit is
 * the gateway called (PayoutSettleService.dispatch), so every call finds the number to reuse. Above
 * PAYOUT_REVIEW_ABOVE the payout waits in REVIEW (money already taken: a reject gives it back once).
 */
@Injectable()
export class PayoutService {
  private readonly logger = new Logger(PayoutService.name);

  constructor(
    private readonly tx: TransactionService,
    private readonly repo: PayoutRepository,
    private readonly wallet: WalletService,
    private readonly clients: PayoutClients,
    private readonly settle: PayoutSettleService,
    @Inject(payoutConfig.KEY) private readonly cfg: ConfigType<typeof payoutConfig>,
  ) {}

  /**
   * @throws VALIDATION_FAILED (channel off, amount above PAYOUT_MAX_AMOUNT, account not of the channel),
   *   INSUFFICIENT_BALANCE, PAYOUT_LIMIT_EXCEEDED (the day's total), IDEMPOTENCY_KEY_REUSED.
   */
  async create(
    userId: string,
    dto: CreatePayoutDto,
    ctx: IdempotencyContext | null,
  ): Promise<PayoutResponse> {
    this.validate(dto);
    const now = new Date();
    const p = {
      payoutNo: newPayoutNo(now),
      userId,
      channel: dto.channel,
      payeeIdentity: dto.account.identity,
      payeeName: dto.account.name ?? null,
      amount: dto.amount,
      status: (dto.amount > this.cfg.reviewAbove ? 'REVIEW' : 'PENDING') as PayoutStatus,
      idempotencyKey: ctx?.key ?? null,
      requestFingerprint: ctx?.fingerprint ?? null,
      chinaDay: toCst(now).slice(0, 10),
      createdAt: now,
    };
    await this.repo.ensureDaily(userId, p.chinaDay);
    try {
      await this.tx.run(
        async (m) => {
          await this.repo.insert(m, p);
          // the wallet row first, then the day's row: the order the failing path takes them in
          const debited = await this.wallet.payOut(m, {
            userId,
            amount: p.amount,
            payoutNo: p.payoutNo,
            channel: p.channel,
          });
          if (!debited) {
            throw new DomainError(
              ErrorCode.INSUFFICIENT_BALANCE,
              'The wallet balance is too low for this payout',
              {
                amount: p.amount,
              },
            );
          }
          if (!(await this.repo.takeDaily(m, userId, p.chinaDay, p.amount, this.cfg.dailyLimit))) {
            const used = await this.repo.dailyTotal(m, userId, p.chinaDay);
            throw new DomainError(
              ErrorCode.PAYOUT_LIMIT_EXCEEDED,
              "This payout would pass today's payout limit",
              {
                limit: this.cfg.dailyLimit,
                used,
                available: Math.max(0, this.cfg.dailyLimit - used),
              },
            );
          }
        },
        {
          attempts: 5,
          confirm: {
            committed: async (fresh) => (await this.repo.findByNo(fresh, p.payoutNo)) !== null,
            details: { payoutNo: p.payoutNo },
          },
        },
      );
    } catch (err) {
      if (isDuplicateKey(err) && duplicateKeyName(err) === 'uq_payout_user_idem' && ctx?.key) {
        return this.replayKeyed(userId, ctx);
      }
      throw err;
    }
    this.logger.log(`payout ${p.payoutNo} ${p.status}: ${p.amount} fen of ${userId} to ${p.channel}`);
    if (p.status === 'PENDING') await this.settle.dispatch(p.payoutNo);
    return toJson((await this.repo.findByNo(null, p.payoutNo))!);
  }

  /** The payout, for its owner or an admin; anyone else 404 (a number cannot be probed). */
  async get(user: AuthUser, payoutNo: string): Promise<PayoutResponse> {
    const p = await this.find(payoutNo);
    if (p.userId !== user.userId && user.role !== 'admin') throw notFound(payoutNo);
    return toJson(p);
  }

  /** The caller's payouts, newest first (keyset cursor). */
  async list(userId: string, q: { limit?: number; cursor?: string }): Promise<PayoutPageResponse> {
    const limit = q.limit ?? 20;
    const rows = await this.repo.list(null, {
      userId,
      beforeId: q.cursor ? decodeCursor(q.cursor) : null,
      limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    return {
      items: page.map(toJson),
      nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1].id) : null,
    };
  }

  async find(payoutNo: string): Promise<Payout> {
    const p = PAYOUT_NO_PATTERN.test(payoutNo) ? await this.repo.findByNo(null, payoutNo) : null;
    if (!p) throw notFound(payoutNo);
    return p;
  }

  private validate(dto: CreatePayoutDto): void {
    const bad = (msg: string, extra: Record<string, unknown> = {}) =>
      new DomainError(ErrorCode.VALIDATION_FAILED, msg, { errors: [msg], ...extra });
    if (!this.clients.enabled(dto.channel)) throw bad(`channel ${dto.channel} is not enabled for payouts`);
    if (dto.amount > this.cfg.maxAmount) {
      throw bad(`amount must not be greater than ${this.cfg.maxAmount}`, { max: this.cfg.maxAmount });
    }
    const { identity, name } = dto.account;
    if (dto.channel === 'wechat' && !OPENID.test(identity)) {
      throw bad('account.identity must be an openid for wechat');
    }
    if (dto.channel === 'alipay' && alipayIdentityType(identity) === 'ALIPAY_LOGON_ID' && !name) {
      throw bad('account.name is required for an Alipay logon id');
    }
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

export function notFound(payoutNo: string): DomainError {
  return new DomainError(ErrorCode.NOT_FOUND, `Payout ${payoutNo} not found`);
}

/** The public payout JSON (DESIGN.md §6, plus the account and failedAt). */
export function toJson(p: Payout): PayoutResponse {
  return {
    payoutNo: p.payoutNo,
    channel: p.channel,
    account: { identity: p.payeeIdentity, name: p.payeeName },
    amount: p.amount,
    status: p.status,
    failedReason: p.failedReason,
    createdAt: p.createdAt.toISOString(),
    succeededAt: p.succeededAt ? p.succeededAt.toISOString() : null,
    failedAt: p.failedAt ? p.failedAt.toISOString() : null,
  };
}

export function encodeCursor(id: number): string {
  return Buffer.from(JSON.stringify({ id })).toString('base64url');
}

export function decodeCursor(cursor: string): number {
  try {
    const { id } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { id: unknown };
    if (typeof id === 'number' && Number.isSafeInteger(id) && id > 0) return id;
  } catch {
    // fall through
  }
  throw new DomainError(ErrorCode.VALIDATION_FAILED, 'cursor is not valid', { cursor });
}
