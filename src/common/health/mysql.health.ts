import { Injectable, Logger } from '@nestjs/common';
import { HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { healthReasonOf } from './health-reason';

const TIMEOUT_MS = 1500;

/**
 * MySQL as /health shows it: terminus's ping (`SELECT 1`, 1.5 s), with the driver's message replaced by a
 * stable reason (TIMEOUT, UNREACHABLE) in the answer and kept in the log.
 */
@Injectable()
export class MysqlHealthIndicator {
  private readonly logger = new Logger('Health');

  constructor(
    private readonly db: TypeOrmHealthIndicator,
    private readonly health: HealthIndicatorService,
  ) {}

  async isHealthy(key = 'mysql') {
    const result = await this.db.pingCheck(key, { timeout: TIMEOUT_MS });
    const r = result[key] as { status: string; message?: unknown; responseTime?: number };
    if (r?.status === 'up') return result;
    const detail = String(r?.message ?? 'down');
    const reason = /timeout of \d+ms exceeded/.test(detail) ? 'TIMEOUT' : healthReasonOf(new Error(detail));
    this.logger.warn(`health: MySQL down (${reason}): ${detail}`);
    return this.health.check(key).down({ reason, responseTime: r?.responseTime });
  }
}
