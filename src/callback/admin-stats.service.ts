import { Injectable } from '@nestjs/common';
import { PaymentFacts } from '../payment';
import { CallbackOutcome } from './callback-log.entity';
import { CallbackLogRepository } from './callback-log.repository';
import { StatsDto, StatsMinuteDto } from './dto/admin-payments.dto';

/** Outcomes that were answered `fail` (or not yet at all): the gateway re-sends those. */
const NOT_ANSWERED: ReadonlySet<CallbackOutcome> = new Set<CallbackOutcome>([
  'RECEIVED',
  'MALFORMED',
  'BAD_SIGNATURE',
  'UNDECRYPTABLE',
  'UNKNOWN_TRADE',
  'ERROR',
]);

/** The console's overview figures, over the last `minutes` (grouped per minute, UTC). */
@Injectable()
export class AdminStatsService {
  constructor(
    private readonly facts: PaymentFacts,
    private readonly log: CallbackLogRepository,
  ) {}

  async stats(minutes: number, now = new Date()): Promise<StatsDto> {
    const since = new Date(Math.floor(now.getTime() / 60_000) * 60_000 - (minutes - 1) * 60_000);
    const [pay, ref, notes, open] = await Promise.all([
      this.facts.paymentsPerMinuteSince(since),
      this.facts.refundsPerMinuteSince(since),
      this.log.outcomesPerMinuteSince(since),
      this.facts.openAnomalies(),
    ]);
    const rows = new Map<string, StatsMinuteDto>();
    const row = (minute: string, channel: string) => {
      const k = `${minute}|${channel}`;
      let r = rows.get(k);
      if (!r) rows.set(k, (r = { minute, channel, created: 0, succeeded: 0, refunds: 0 }));
      return r;
    };
    let created = 0;
    let succeeded = 0;
    for (const p of pay) {
      const r = row(p.minute, p.channel);
      r.created += p.created;
      r.succeeded += p.succeeded;
      created += p.created;
      succeeded += p.succeeded;
    }
    for (const x of ref) row(x.minute, x.channel).refunds += x.refunds;
    const byOutcome: Record<string, number> = {};
    const perMinute = new Map<string, { minute: string; received: number; answered: number }>();
    let received = 0;
    let answered = 0;
    for (const n of notes) {
      byOutcome[n.outcome] = (byOutcome[n.outcome] ?? 0) + n.notifies;
      const m = perMinute.get(n.minute) ?? { minute: n.minute, received: 0, answered: 0 };
      perMinute.set(n.minute, m);
      m.received += n.notifies;
      received += n.notifies;
      if (!NOT_ANSWERED.has(n.outcome)) {
        m.answered += n.notifies;
        answered += n.notifies;
      }
    }
    return {
      since: since.toISOString(),
      perMinute: [...rows.values()].sort((a, b) => a.minute.localeCompare(b.minute)),
      successRate: {
        created,
        succeeded,
        rateBp: created ? Math.min(10000, Math.round((succeeded * 10000) / created)) : null,
      },
      notifies: { received, answered, byOutcome },
      notifiesPerMinute: [...perMinute.values()].sort((a, b) => a.minute.localeCompare(b.minute)),
      anomaliesOpen: open,
    };
  }
}
