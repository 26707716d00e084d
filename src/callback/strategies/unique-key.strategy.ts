import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { type Payment, PaymentSuccessService, type SuccessInput, type SuccessResult } from '../../payment';
import { DedupStrategy } from './dedup-strategy';

/**
 * The production strategy: the payment module's one success path, in ONE transaction — insert
 * t_uq_dipose('PAYMENT_SUCCEEDED', payment_no) first (a duplicate key means "already done"), CAS the
 * payment PENDING|CLOSED → SUCCESS, pay the order, write the outbox event and the journal. The unique
 * key makes it exactly once across threads, instances and re-sends; the CAS keeps it right even if
 * the marker were missing.
 */
@Injectable()
export class UniqueKeyStrategy implements DedupStrategy {
  readonly name = 'unique_key' as const;
  readonly safe = true;

  constructor(private readonly success: PaymentSuccessService) {}

  markPaid(
    input: SuccessInput,
    payment: Payment,
    journal?: (m: EntityManager) => Promise<void>,
  ): Promise<SuccessResult> {
    return this.success.apply(input, { payment, journal });
  }
}
