import { EntityManager } from 'typeorm';
import type { Payment, SuccessInput, SuccessResult } from '../../payment';

/** The five classic ways to keep a duplicated "paid" notify from being applied twice. */
export type DedupStrategyName = 'unique_key' | 'check_then_act' | 'mutex' | 'for_update' | 'optimistic';

/**
 * How a verified, checked paid notify marks the payment SUCCESS (and, in the same transaction, pays
 * the order and writes the journal). Selected by CALLBACK_DEDUP_STRATEGY. Only `unique_key` (the
 * default, and the only one production accepts) is the real path; the others exist to show, side by
 * side, why they are not enough.
 */
export interface DedupStrategy {
  readonly name: DedupStrategyName;
  /** false for the demonstrations that can apply twice (or that only hold on one instance). */
  readonly safe: boolean;
  markPaid(
    input: SuccessInput,
    payment: Payment,
    journal?: (m: EntityManager) => Promise<void>,
  ): Promise<SuccessResult>;
}

export const DEDUP_STRATEGY = Symbol('DEDUP_STRATEGY');
