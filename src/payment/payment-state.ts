import { StateMachine } from '../idempotency';
import { PaymentStatus } from './entities/payment.entity';

/**
 * Payment: PENDING → SUCCESS | CLOSED; CLOSED → SUCCESS only when the gateway says the trade was paid
 * (the close lost the race with the buyer). SUCCESS is terminal.
 */
export const PAYMENT_MACHINE = new StateMachine<PaymentStatus>('payment', {
  PENDING: ['SUCCESS', 'CLOSED'],
  CLOSED: ['SUCCESS'],
});
