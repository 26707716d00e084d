import { Injectable } from '@nestjs/common';
import { PaymentPort, SuccessInput, SuccessOutcome } from '../payment-port';
import { DedupStrategy } from './dedup-strategy';

/**
 * The production strategy: the payment module's success path, in ONE transaction — insert
 * t_uq_dipose('PAYMENT_SUCCEEDED', payment_no) first (a duplicate key means "already done"), CAS the
 * payment PENDING|CLOSED → SUCCESS, write the outbox event. The unique key makes it exactly once
 * across threads, instances and re-sends; the CAS keeps it right even if the marker were missing.
 */
@Injectable()
export class UniqueKeyStrategy implements DedupStrategy {
  readonly name = 'unique_key' as const;
  readonly safe = true;

  constructor(private readonly payments: PaymentPort) {}

  markPaid(input: SuccessInput): Promise<SuccessOutcome> {
    return this.payments.applySuccess(input);
  }
}
