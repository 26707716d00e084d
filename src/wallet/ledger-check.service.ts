import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Counter, Gauge } from 'prom-client';
import { walletConfig } from '../config/configuration';
import { MetricsService } from '../common/metrics/metrics.service';
import { LedgerReportDto } from './dto/ledger.dto';
import { LedgerCheckRepository } from './ledger-check.repository';

/** How many drifting accounts are remembered as already logged before the memory starts over. */
const LOGGED_MAX = 10_000;

/**
 * The ledger check: every journal sums to 0, and every wallet's balance equals the sum of its entries.
 * On demand (GET /v1/admin/ledger) and every LEDGER_CHECK_INTERVAL_MS on each instance (a plain timer,
 * as the sweepers: it reads only, and each instance's /metrics shows its own last result):
 * `oncepay_ledger_drift_fen{scope}` (|wallet drift| summed, and |unbalanced journal sums| summed),
 * `oncepay_ledger_journals_checked`, `oncepay_ledger_balanced`, `oncepay_ledger_check_seconds`. Each
 * drifting account (or unbalanced journal) is logged once per amount, not on every check.
 */
@Injectable()
export class LedgerCheckService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(LedgerCheckService.name);
  private readonly driftFen: Gauge<'scope'>;
  private readonly journals: Gauge;
  private readonly balanced: Gauge;
  private readonly seconds: Gauge;
  private readonly checks: Counter<'result'>;
  private readonly logged = new Set<string>();
  private timer?: NodeJS.Timeout;
  private running = false;

  constructor(
    private readonly repo: LedgerCheckRepository,
    metrics: MetricsService,
    @Inject(walletConfig.KEY) private readonly cfg: ConfigType<typeof walletConfig>,
  ) {
    this.driftFen = metrics.gauge(
      'oncepay_ledger_drift_fen',
      'Ledger drift at the last check: |wallet balance − its entries| summed (scope=wallets), |journal sums| summed (scope=journals)',
      ['scope'],
    );
    this.journals = metrics.gauge('oncepay_ledger_journals_checked', 'Journals the last ledger check read');
    this.balanced = metrics.gauge('oncepay_ledger_balanced', '1 when the last ledger check was balanced');
    this.seconds = metrics.gauge('oncepay_ledger_check_seconds', 'Duration of the last ledger check');
    this.checks = metrics.counter('oncepay_ledger_checks_total', 'Ledger checks run', ['result']);
  }

  onApplicationBootstrap(): void {
    const every = this.cfg.ledgerCheckIntervalMs;
    if (!every) return;
    this.timer = setInterval(() => void this.scheduled(), every);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  private async scheduled(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await this.check();
    } catch (err) {
      this.checks.inc({ result: 'error' });
      this.logger.warn(`ledger check failed: ${(err as Error).message}`);
    } finally {
      this.running = false;
    }
  }

  /** Runs the check now, updates the metrics, logs what drifts for the first time, returns the report. */
  async check(): Promise<LedgerReportDto> {
    const started = process.hrtime.bigint();
    const s = await this.repo.snapshot();
    const balanced = s.total === 0 && s.unbalancedJournals.length === 0 && s.drift.length === 0;
    const walletDrift = s.drift.reduce((sum, d) => sum + Math.abs(d.drift), 0);
    const journalDrift = s.unbalancedJournals.reduce((sum, j) => sum + Math.abs(j.sum), 0);
    this.driftFen.set({ scope: 'wallets' }, walletDrift);
    this.driftFen.set({ scope: 'journals' }, journalDrift);
    this.journals.set(s.journals);
    this.balanced.set(balanced ? 1 : 0);
    this.seconds.set(Number(process.hrtime.bigint() - started) / 1e9);
    this.checks.inc({ result: balanced ? 'balanced' : 'drift' });
    if (this.logged.size > LOGGED_MAX) this.logged.clear();
    for (const d of s.drift) {
      const k = `w:${d.userId}:${d.drift}`;
      if (this.logged.has(k)) continue;
      this.logged.add(k);
      this.logger.error(
        `ledger drift: wallet ${d.userId} balance ${d.balance} ≠ entries ${d.entries} (drift ${d.drift} fen)`,
      );
    }
    for (const j of s.unbalancedJournals) {
      const k = `j:${j.journalId}:${j.sum}`;
      if (this.logged.has(k)) continue;
      this.logged.add(k);
      this.logger.error(`ledger drift: journal ${j.journalId} sums to ${j.sum} fen, not 0`);
    }
    return {
      balanced,
      journals: s.journals,
      entries: s.entries,
      accounts: s.accounts,
      drift: s.drift,
      unbalancedJournals: s.unbalancedJournals,
      systemAccounts: s.system,
      checkedAt: new Date().toISOString(),
    };
  }
}
