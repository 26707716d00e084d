import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { TransactionService } from '../../common/database/transaction.service';
import {
  DemoSuccessMarks,
  type Payment,
  PaymentSuccessService,
  type SuccessInput,
  type SuccessMark,
  type SuccessResult,
} from '../../payment';
import { DedupStrategy } from './dedup-strategy';

/*
 * DEMONSTRATIONS ONLY — never enable in production (config validation refuses them there).
 * Each shows one classic callback-dedup pattern and where it breaks. The order side keeps
 * its own marker and row lock (a second apply of the same payment is ALREADY_APPLIED) and the outbox
 * row is deduplicated by UNIQUE(topic, event_key), so the damage a demonstration does here is bounded
 * to t_payment (double UPDATEs, version bumps, an "APPLIED" logged twice) — in a system without those
 * backstops it would be a double credit.
 *
 * Their reads and writes of t_payment are the payment module's DemoSuccessMarks (a plain status read, the
 * blind write the unsafe patterns are made of, FOR UPDATE, the optimistic CAS). Each only brings its own
 * way of marking the payment SUCCESS (`mark`) to the one function that pays
 * (`PaymentSuccessService.applyIn`), so the money rules — a wrong amount or channel never pays — hold
 * under every strategy; only the dedup differs.
 */

/**
 * The demonstrations' common part. The rest is the real path's: `PaymentSuccessService.applyIn` with the
 * strategy's own `mark` — the checks (channel, amount: a mismatch is an anomaly and never pays, whatever
 * the strategy), the order paid, the anomaly, the outbox event — then the journal, in one transaction.
 */
@Injectable()
abstract class MarkingStrategy implements DedupStrategy {
  abstract readonly name: DedupStrategy['name'];
  abstract readonly safe: boolean;

  constructor(
    protected readonly tx: TransactionService,
    protected readonly marks: DemoSuccessMarks,
    private readonly success: PaymentSuccessService,
  ) {}

  abstract markPaid(input: SuccessInput, payment: Payment, journal?: Journal): Promise<SuccessResult>;

  protected payWith(input: SuccessInput, payment: Payment, mark: SuccessMark, journal?: Journal) {
    return this.tx.run(async (m): Promise<SuccessResult> => {
      const r = await this.success.applyIn(m, input, payment, { mark });
      if (journal && r.outcome === 'applied') await journal(m);
      return r;
    });
  }
}

type Journal = (m: EntityManager) => Promise<void>;

/**
 * UNSAFE: plain check-then-act. Two concurrent copies both read PENDING, both update, both
 * "apply". Nothing serialises them.
 */
@Injectable()
export class CheckThenActStrategy extends MarkingStrategy {
  readonly name = 'check_then_act' as const;
  readonly safe = false;

  async markPaid(input: SuccessInput, payment: Payment, journal?: Journal): Promise<SuccessResult> {
    if (await this.marks.isPaid(input.paymentNo)) return { outcome: 'duplicate' };
    // the race window: another copy can pass the same check right now
    return this.payWith(input, payment, this.marks.unguarded, journal);
  }
}

/**
 * UNSAFE ACROSS INSTANCES: check-then-act behind an in-process mutex per payment. Correct on one
 * instance; two instances (or a restart racing a retry) each have their own mutex.
 */
@Injectable()
export class MutexStrategy implements DedupStrategy {
  readonly name = 'mutex' as const;
  readonly safe = false;
  private readonly tails = new Map<string, Promise<unknown>>();

  constructor(private readonly inner: CheckThenActStrategy) {}

  async markPaid(input: SuccessInput, payment: Payment, journal?: Journal): Promise<SuccessResult> {
    const key = input.paymentNo;
    const prev = this.tails.get(key) ?? Promise.resolve();
    const run = prev.catch(() => undefined).then(() => this.inner.markPaid(input, payment, journal));
    this.tails.set(key, run);
    try {
      return await run;
    } finally {
      if (this.tails.get(key) === run) this.tails.delete(key);
    }
  }
}

/**
 * Pessimistic: `SELECT … FOR UPDATE` serialises the copies on the payment row. Correct across
 * instances, but every copy holds a row lock for the whole transaction, and it relies on the row
 * existing (it cannot dedup an event that has no row to lock).
 */
@Injectable()
export class ForUpdateStrategy extends MarkingStrategy {
  readonly name = 'for_update' as const;
  readonly safe = true;

  markPaid(input: SuccessInput, payment: Payment, journal?: Journal): Promise<SuccessResult> {
    return this.payWith(input, payment, this.marks.forUpdate, journal);
  }
}

/**
 * Optimistic: `UPDATE … WHERE status IN ('PENDING','CLOSED')`; the row count says who won. Correct
 * for one transition of one row, but the dedup lives in that row's status: an effect that is not a
 * status change (a second event, a retry after a refund) has nothing to guard it.
 */
@Injectable()
export class OptimisticStrategy extends MarkingStrategy {
  readonly name = 'optimistic' as const;
  readonly safe = true;

  markPaid(input: SuccessInput, payment: Payment, journal?: Journal): Promise<SuccessResult> {
    return this.payWith(input, payment, this.marks.optimistic, journal);
  }
}
