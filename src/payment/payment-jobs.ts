import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { Queue } from 'bull';
import { paymentConfig } from '../config/configuration';
import { QUEUES } from '../common/queue/queue.constants';

export interface QueryJob {
  paymentNo: string;
  /** 1-based number of this query */
  n: number;
  /** when the payment was created (ms since epoch): query offsets count from here */
  createdAtMs: number;
}

export interface ExpiryJob {
  paymentNo: string;
}

const MAX_BACKOFF_MS = 5 * 60_000;

/**
 * Offset (ms after pre-pay) of the n-th active query: PAYMENT_QUERY_DELAYS_MS first (10 s, 20 s,
 * 30 s by default), then gaps doubling from the last one (capped at 5 min). Null once past the payment
 * timeout: from then on expiry (close at the gateway) takes over.
 */
export function queryOffsetMs(n: number, delays: number[], timeoutMs: number): number | null {
  let offset: number;
  if (n <= delays.length) {
    offset = delays[n - 1];
  } else {
    const last = delays[delays.length - 1];
    let gap = Math.max(delays.length > 1 ? last - delays[delays.length - 2] : last, 1);
    offset = last;
    for (let i = delays.length; i < n; i++) {
      gap = Math.min(gap * 2, MAX_BACKOFF_MS);
      offset += gap;
    }
  }
  return offset < timeoutMs ? offset : null;
}

/**
 * Adds the payment module's delayed jobs, always with deterministic ids (`query:<paymentNo>:<n>`,
 * `expire:<paymentNo>`), so adding one twice is a no-op and every handler may run again safely.
 */
@Injectable()
export class PaymentJobs {
  private readonly logger = new Logger(PaymentJobs.name);

  constructor(
    @InjectQueue(QUEUES.PAYMENT_QUERY) private readonly queries: Queue<QueryJob>,
    @InjectQueue(QUEUES.PAYMENT_EXPIRY) private readonly expiries: Queue<ExpiryJob>,
    @Inject(paymentConfig.KEY) private readonly cfg: ConfigType<typeof paymentConfig>,
  ) {}

  /** Schedules query n (if still before the timeout). Returns false when the schedule is over. */
  async scheduleQuery(paymentNo: string, n: number, createdAtMs: number): Promise<boolean> {
    const offset = queryOffsetMs(n, this.cfg.queryDelaysMs, this.cfg.timeoutMs);
    if (offset === null) return false;
    const delay = Math.max(0, createdAtMs + offset - Date.now());
    await this.queries.add({ paymentNo, n, createdAtMs }, { jobId: `query:${paymentNo}:${n}`, delay });
    return true;
  }

  async scheduleExpiry(paymentNo: string, expiresAt: Date): Promise<void> {
    const delay = Math.max(0, expiresAt.getTime() - Date.now());
    await this.expiries.add({ paymentNo }, { jobId: `expire:${paymentNo}`, delay });
  }

  /** After the pre-pay commit. A Redis failure is logged: the sweeper finds the payment anyway. */
  async afterPrepay(paymentNo: string, createdAt: Date, expiresAt: Date): Promise<void> {
    try {
      await this.scheduleQuery(paymentNo, 1, createdAt.getTime());
      await this.scheduleExpiry(paymentNo, expiresAt);
    } catch (err) {
      this.logger.warn(
        `could not schedule jobs for ${paymentNo} (the sweeper will): ${(err as Error).message}`,
      );
    }
  }
}
