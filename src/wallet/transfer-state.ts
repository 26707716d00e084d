import { StateMachine } from '../idempotency';

export const TRANSFER_STATUSES = ['CREATED', 'SUCCEEDED', 'CANCELLED', 'EXPIRED'] as const;
export type TransferStatus = (typeof TRANSFER_STATUSES)[number];

/**
 * The transfer state machine (DESIGN.md §4), declared once: CREATED → SUCCEEDED (execute: the money
 * moved), CREATED → CANCELLED (the sender), CREATED → EXPIRED (TRANSFER_TTL_MS passed). Each is a CAS
 * from CREATED, so whichever of execute, cancel and expiry commits first is the one outcome; the others
 * find the row moved. The three end states are terminal.
 */
export const TRANSFER_MACHINE = new StateMachine<TransferStatus>('transfer', {
  CREATED: ['SUCCEEDED', 'CANCELLED', 'EXPIRED'],
});

/** What a transfer number looks like (`T` + 29 digits); anything else is 404 without a query. */
export const TRANSFER_NO_PATTERN = /^T[0-9]{29}$/;
