import { Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { TransactionService } from '../../common/database/transaction.service';
import { SimTrades } from './sim-trades';

/**
 * What the refund rules say about one refund request, before any money moves:
 * - `discordant`: the refund number exists with other parameters (another amount or trade): refused;
 * - `same`: the number exists with these parameters and is settled as a refund: answer it again;
 * - `not_paid`: the trade was never paid;
 * - `exceeds`: what is refunded already plus this would pass the paid amount;
 * - `refund`: move the money (for a number that exists unsettled, e.g. Alipay's fail_later, the retry).
 */
export type SimRefundDecision = 'discordant' | 'same' | 'not_paid' | 'exceeds' | 'refund';

export interface SimRefundFacts {
  paid: boolean;
  /** the refund number's row as the face reads it, or null when the number is new */
  existing: { sameParams: boolean; settled: boolean } | null;
  /** fen refunded (or accepted for refund) so far, read under the trade's lock */
  refunded: number;
  amount: number;
  total: number;
}

/** The refund rules, once for every protocol (each face maps the decision to its own answer). */
export function decideRefund(f: SimRefundFacts): SimRefundDecision {
  if (f.existing && !f.existing.sameParams) return 'discordant';
  if (f.existing?.settled) return 'same';
  if (!f.paid) return 'not_paid';
  if (!Number.isSafeInteger(f.amount) || f.refunded + f.amount > f.total) return 'exceeds';
  return 'refund';
}

/**
 * Refunds of simulated trades: a refund number refunds once, the same number with the same parameters
 * is the same answer, and the sum of a trade's refunds never passes its amount, however many requests
 * come at once from however many instances. That holds because the whole decision — read the number,
 * read what is refunded, write the refund — runs in one transaction under a row lock on the trade
 * (SELECT … FOR UPDATE): concurrent refunds of one trade queue on that lock and each sees the ones
 * before it. The transaction is retried whole on a deadlock or a Galera certification conflict.
 */
export class SimRefunds<R extends { id: number }> {
  constructor(
    private readonly trades: SimTrades<R>,
    private readonly tx: TransactionService,
  ) {}

  /**
   * Runs `face` on the locked trade (the lock is the transaction's first read, so every read after it
   * sees the refunds committed before): it reads the facts with `m`, asks decideRefund and, for
   * `refund`, writes its refund row and the trade's totals with `m` too.
   */
  underLock<A>(tradeId: number, face: (m: EntityManager, trade: R) => Promise<A>): Promise<A> {
    return this.tx.run(async (m) => face(m, await this.trades.lock(m, tradeId)));
  }
}

const overdueLog = new Logger('SimRefunds');

/**
 * A gateway does not forget a refund it accepted. Its settle job can be lost (the instance killed between
 * the commit and the job, the sandbox's Redis wiped), so a query of a PROCESSING refund accepted `afterMs`
 * ago or more settles it first (`settle` is a CAS: a late job then finds it done). A settle that moved the
 * refund but could not queue its notify is logged, not raised: the query answers the settled state.
 * Resolves true when it tried (the face then reads the refund again).
 */
export async function settleOverdue(
  r: { status: string; created_at: Date },
  afterMs: number,
  settle: () => Promise<void>,
): Promise<boolean> {
  if (r.status !== 'PROCESSING' || Date.now() - new Date(r.created_at).getTime() < afterMs) return false;
  await settle().catch((err: Error) =>
    overdueLog.warn(`overdue refund settled, its notify not queued: ${err.message}`),
  );
  return true;
}
