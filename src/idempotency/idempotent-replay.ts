import { ReplayResponse } from '../common/errors/replay-response';

/**
 * Thrown by a service that found, through its own UNIQUE(user_id, idempotency_key) row, that this
 * keyed request already ran (Redis had lost the record). The Idempotency-Key interceptor stores it
 * and the exception filter answers it as a replay: the given status and body, `Idempotent-Replayed: true`.
 */
export class IdempotentReplay extends ReplayResponse {}
