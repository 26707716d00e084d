/**
 * The ledger's vocabulary (docs/ledger.md). An account is a user's wallet (kind WALLET, owner = the
 * user id) or a system account (kind SYSTEM): `clearing:<channel>` (money a gateway holds for us from a
 * recharge), `revenue` (wallet money spent on orders), `opening` (balances that existed before the
 * ledger, and manual adjustments). A journal is one movement: its entries sum to 0.
 */
export type LedgerAccountKind = 'WALLET' | 'SYSTEM';

export interface LedgerAccountRef {
  kind: LedgerAccountKind;
  owner: string;
}

/** What a journal records. Stable strings, stored as they are. */
export type JournalKind =
  | 'OPENING'
  | 'ADJUSTMENT'
  | 'RECHARGE'
  | 'WALLET_PAYMENT'
  | 'REFUND'
  | 'RECHARGE_REFUND'
  | 'RECHARGE_REFUND_REVERSAL'
  | 'TRANSFER'
  | 'PAYOUT'
  | 'PAYOUT_REVERSAL';

/** What a journal's reference names (ref_type); ref_id is that thing's number. */
export type JournalRefType = 'MIGRATION' | 'MANUAL' | 'PAYMENT' | 'REFUND' | 'TRANSFER' | 'PAYOUT';

export interface JournalLine {
  account: LedgerAccountRef;
  /** signed fen: + into the account, − out of it */
  amount: number;
}

export interface Journal {
  kind: JournalKind;
  refType: JournalRefType;
  refId: string;
  lines: JournalLine[];
}

export const wallet = (userId: string): LedgerAccountRef => ({ kind: 'WALLET', owner: userId });
export const system = (owner: string): LedgerAccountRef => ({ kind: 'SYSTEM', owner });
export const REVENUE = system('revenue');
export const OPENING = system('opening');
export const clearing = (channel: string): LedgerAccountRef => system(`clearing:${channel}`);
/** Money on its way out of the wallets to a gateway account (payouts, docs/payouts.md). */
export const payouts = (channel: string): LedgerAccountRef => system(`payouts:${channel}`);

/** Throws unless the journal has ≥ 2 lines of non-zero safe-integer fen summing to 0 on distinct accounts. */
export function assertBalanced(j: Journal): void {
  const keys = new Set(j.lines.map((l) => `${l.account.kind}:${l.account.owner}`));
  const sum = j.lines.reduce((s, l) => s + l.amount, 0);
  const bad = j.lines.some((l) => !Number.isSafeInteger(l.amount) || l.amount === 0);
  if (j.lines.length < 2 || bad || sum !== 0 || keys.size !== j.lines.length) {
    throw new Error(`journal ${j.kind} ${j.refType}:${j.refId} is not balanced: ${JSON.stringify(j.lines)}`);
  }
}
