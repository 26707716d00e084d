import { StateMachine } from '../../idempotency';
import type { AnomalyStatus } from '../entities/payment-anomaly.entity';

/**
 * Anomaly: OPEN → AUTO_REFUNDED (its automatic refund succeeded) | RESOLVED (an operator, with a note),
 * both terminal. A refund that fails leaves it OPEN, with the reason.
 */
export const ANOMALY_MACHINE = new StateMachine<AnomalyStatus>('anomaly', {
  OPEN: ['AUTO_REFUNDED', 'RESOLVED'],
});

export const ANOMALY_STATUSES: readonly AnomalyStatus[] = ['OPEN', 'AUTO_REFUNDED', 'RESOLVED'];
