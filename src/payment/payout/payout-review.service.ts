import { Injectable } from '@nestjs/common';
import { AuthUser } from '../../common/auth/auth.decorators';
import { TransactionService } from '../../common/database/transaction.service';
import { DomainError, ErrorCode } from '../../common/errors';
import { AdminPayoutPageResponse, AdminPayoutResponse } from './dto/payout.dto';
import { Payout } from './payout.entity';
import { PayoutRepository } from './payout.repository';
import { decodeCursor, encodeCursor, PayoutService, toJson } from './payout.service';
import { PayoutSettleService } from './payout-settle.service';
import { PayoutStatus } from './payout-state';

/**
 * The admin side: the REVIEW queue, approve / reject, a recheck at the gateway. Approve is the CAS
 * REVIEW → PENDING (then the transfer call); reject is PayoutSettleService.fail from REVIEW (money back
 * under the PAYOUT_REVERSED marker). Both start from REVIEW, so an approve racing a reject has one
 * winner; the loser answers 409 PAYOUT_NOT_REVIEWABLE with the decided status. Repeating the winning
 * decision answers the payout as it is (200).
 */
@Injectable()
export class PayoutReviewService {
  constructor(
    private readonly tx: TransactionService,
    private readonly repo: PayoutRepository,
    private readonly payouts: PayoutService,
    private readonly settle: PayoutSettleService,
  ) {}

  async list(q: {
    status?: PayoutStatus;
    limit?: number;
    cursor?: string;
  }): Promise<AdminPayoutPageResponse> {
    const limit = q.limit ?? 20;
    const rows = await this.repo.list(null, {
      userId: null,
      status: q.status,
      beforeId: q.cursor ? decodeCursor(q.cursor) : null,
      limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    return {
      items: page.map(adminJson),
      nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1].id) : null,
    };
  }

  async get(payoutNo: string): Promise<AdminPayoutResponse> {
    return adminJson(await this.payouts.find(payoutNo));
  }

  async approve(admin: AuthUser, payoutNo: string): Promise<AdminPayoutResponse> {
    const p = await this.payouts.find(payoutNo);
    if (p.status === 'REVIEW') {
      const won = await this.tx.run((m) =>
        this.repo.cas(m, payoutNo, 'REVIEW', 'PENDING', { reviewed_by: admin.userId }),
      );
      if (won) await this.settle.dispatch(payoutNo);
    }
    const now = (await this.repo.findByNo(null, payoutNo))!;
    if (now.reviewedBy !== null && now.status !== 'REVIEW' && !isRejected(now)) return adminJson(now);
    throw notReviewable(now, 'approved');
  }

  async reject(admin: AuthUser, payoutNo: string, reason: string): Promise<AdminPayoutResponse> {
    const p = await this.payouts.find(payoutNo);
    if (p.status === 'REVIEW') {
      await this.settle.fail(payoutNo, `REJECTED by ${admin.userId}: ${reason}`, ['REVIEW'], 'review');
    }
    const now = (await this.repo.findByNo(null, payoutNo))!;
    if (isRejected(now)) return adminJson(now);
    throw notReviewable(now, 'rejected');
  }

  /** Asks the gateway now (PENDING: settles it; SUCCEEDED: finds a bank bounce). */
  async recheck(payoutNo: string): Promise<AdminPayoutResponse> {
    await this.payouts.find(payoutNo);
    await this.settle.query(payoutNo, null, 'admin');
    return adminJson((await this.repo.findByNo(null, payoutNo))!);
  }
}

const isRejected = (p: Payout) => p.status === 'FAILED' && (p.failedReason ?? '').startsWith('REJECTED');

function notReviewable(p: Payout, verb: string): DomainError {
  return new DomainError(ErrorCode.PAYOUT_NOT_REVIEWABLE, `The payout is ${p.status} and cannot be ${verb}`, {
    payoutNo: p.payoutNo,
    status: p.status,
  });
}

function adminJson(p: Payout): AdminPayoutResponse {
  return { ...toJson(p), userId: p.userId, reviewedBy: p.reviewedBy, attempts: p.attempts };
}
