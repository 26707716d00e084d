import { Injectable, Logger } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { DataSource } from 'typeorm';
import { TransactionService } from '../database/transaction.service';
import { healthReasonOf } from './health-reason';

const TIMEOUT_MS = 1500;

/** What a Galera node must report to take writes: in the primary component, synced, ready. */
export const GALERA_READY = {
  wsrep_cluster_status: 'Primary',
  wsrep_local_state_comment: 'Synced',
  wsrep_ready: 'ON',
};

/**
 * The MySQL server as a Galera node, when it is one (`wsrep_on`; on any other server this check adds
 * nothing to /health). A node that is not in the primary component (cut off from the quorum), not
 * Synced (joining, receiving IST/SST, a donor) or not ready answers writes — and most reads — with
 * 1047 "WSREP has not yet prepared node", or serves stale data: the instance is unhealthy (503) until
 * the node is all three again, so a load balancer sends its traffic to the instances of other nodes.
 */
@Injectable()
export class GaleraHealthIndicator {
  private readonly logger = new Logger('Health');

  constructor(
    private readonly dataSource: DataSource,
    private readonly tx: TransactionService,
    private readonly health: HealthIndicatorService,
  ) {}

  async isHealthy(key = 'galera'): Promise<HealthIndicatorResult> {
    let galera: boolean;
    try {
      galera = await timed(this.tx.isGalera(), 'wsrep_on');
    } catch {
      return {}; // not reachable: the mysql check says so
    }
    if (!galera) return {};
    const indicator = this.health.check(key);
    try {
      const rows: Array<{ Variable_name: string; Value: string }> = await timed(
        this.dataSource.query(
          `SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_cluster_status', 'wsrep_local_state_comment', 'wsrep_ready')`,
        ),
        'SHOW GLOBAL STATUS',
      );
      const state = Object.fromEntries(rows.map((r) => [r.Variable_name.toLowerCase(), r.Value]));
      const wrong = Object.entries(GALERA_READY).filter(([k, v]) => state[k] !== v);
      return wrong.length === 0 ? indicator.up(state) : indicator.down(state);
    } catch (err) {
      // a stable reason in the answer, the driver's words in the log (docs/security.md)
      // 1047 "WSREP has not yet prepared node": the node answers, but is not ready
      const reason = /WSREP/i.test(String((err as Error)?.message))
        ? 'GALERA_NOT_READY'
        : healthReasonOf(err);
      this.logger.warn(`health: Galera status unreadable (${reason}): ${(err as Error)?.message ?? err}`);
      return indicator.down({ reason });
    }
  }
}

function timed<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
    }),
  ]);
}
