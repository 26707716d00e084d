import { CanActivate, ExecutionContext, Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { createHash, timingSafeEqual } from 'node:crypto';
import { appConfig } from '../../config/configuration';
import { DomainError, ErrorCode } from '../errors';

/**
 * GET /metrics is for the scraper only: it names routes, queues, outcomes and counts an outsider should
 * not see. With METRICS_TOKEN set, every scrape must send `Authorization: Bearer <METRICS_TOKEN>`
 * (compared in constant time); without it, /metrics is open outside production and closed in
 * production (401 for everyone, and a warning at start). Not the JWT guard: a scraper has no user.
 */
@Injectable()
export class MetricsTokenGuard implements CanActivate, OnModuleInit {
  private readonly logger = new Logger('Metrics');
  private readonly expected?: Buffer;

  constructor(@Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>) {
    if (app.metricsToken) this.expected = digest(app.metricsToken);
  }

  onModuleInit(): void {
    if (!this.expected && this.app.nodeEnv === 'production') {
      this.logger.warn('METRICS_TOKEN is not set: GET /metrics answers 401 to everyone in production');
    }
  }

  canActivate(ctx: ExecutionContext): boolean {
    if (!this.expected) {
      if (this.app.nodeEnv !== 'production') return true;
      throw new DomainError(ErrorCode.UNAUTHORIZED, 'Metrics require a bearer token');
    }
    const header: unknown = ctx.switchToHttp().getRequest().headers?.authorization;
    const m = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    // digests of equal length, so the comparison takes the same time whatever was sent
    if (!m || !timingSafeEqual(digest(m[1]), this.expected)) {
      throw new DomainError(ErrorCode.UNAUTHORIZED, 'Metrics require a bearer token');
    }
    return true;
  }
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
