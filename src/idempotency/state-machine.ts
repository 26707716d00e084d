import { EntityManager } from 'typeorm';
import { DomainError, ErrorCode } from '../common/errors';

/**
 * A state machine declared as a table of allowed transitions. Terminal states have no entry.
 * Every transition is then carried out by `casTransition`, which refuses what the table does not allow.
 */
export class StateMachine<S extends string> {
  constructor(
    readonly name: string,
    private readonly transitions: Partial<Record<S, readonly S[]>>,
  ) {}

  canTransition(from: S, to: S): boolean {
    return this.transitions[from]?.includes(to) ?? false;
  }

  assertTransition(from: S, to: S): void {
    if (!this.canTransition(from, to)) {
      throw new DomainError(ErrorCode.ILLEGAL_TRANSITION, `${this.name}: ${from} → ${to} is not allowed`, {
        machine: this.name,
        from,
        to,
      });
    }
  }

  isTerminal(state: S): boolean {
    return !this.transitions[state]?.length;
  }
}

export interface CasArgs {
  table: string;
  idColumn: string;
  id: string | number;
  machine: StateMachine<any>;
  from: string | string[];
  to: string;
  /** Extra columns to set; a function value is raw SQL (e.g. () => 'CURRENT_TIMESTAMP(3)'). */
  set?: Record<string, unknown>;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * Compare-and-set transition:
 * `UPDATE <table> SET status=:to, version=version+1, ... WHERE <id>=:id AND status IN (:from)`.
 * Returns true iff this call made the transition (exactly one row changed); false means another
 * actor got there first (or the row is in another state): read the row to learn which.
 */
export async function casTransition(manager: EntityManager, args: CasArgs): Promise<boolean> {
  const from = Array.isArray(args.from) ? args.from : [args.from];
  for (const f of from) args.machine.assertTransition(f, args.to);
  for (const ident of [args.table, args.idColumn, ...Object.keys(args.set ?? {})]) {
    if (!IDENT.test(ident)) throw new Error(`casTransition: bad identifier ${ident}`);
  }
  const assignments = ['status = ?', 'version = version + 1'];
  const params: unknown[] = [args.to];
  for (const [col, val] of Object.entries(args.set ?? {})) {
    if (typeof val === 'function') {
      assignments.push(`${col} = ${(val as () => string)()}`);
    } else {
      assignments.push(`${col} = ?`);
      params.push(val);
    }
  }
  params.push(args.id, ...from);
  const res = await manager.query(
    `UPDATE ${args.table} SET ${assignments.join(', ')} WHERE ${args.idColumn} = ? AND status IN (${from
      .map(() => '?')
      .join(', ')})`,
    params,
  );
  return Number(res?.affectedRows ?? 0) === 1;
}
