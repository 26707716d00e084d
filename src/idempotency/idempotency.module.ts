import { Module } from '@nestjs/common';
import { DedupService } from './dedup.service';
import { IdempotencyKeyStore } from './idempotency-key.store';
import { IdempotencyMetrics } from './idempotency.metrics';
import { IdempotencyTokenController } from './idempotency-token.controller';
import { IdempotentSubmitInterceptor } from './idempotent-submit.interceptor';
import { LockService } from './lock.service';
import { OneTimeTokenService } from './one-time-token.service';
import { SubmitGuardService } from './submit-guard.service';

/**
 * The exactly-once toolkit shared by the order, payment and callback modules: submit guard,
 * Idempotency-Key, one-time tokens, runOnce over t_uq_dipose, distributed lock, CAS transitions.
 */
@Module({
  controllers: [IdempotencyTokenController],
  providers: [
    DedupService,
    IdempotencyKeyStore,
    IdempotencyMetrics,
    IdempotentSubmitInterceptor,
    LockService,
    OneTimeTokenService,
    SubmitGuardService,
  ],
  exports: [
    DedupService,
    IdempotencyKeyStore,
    IdempotencyMetrics,
    IdempotentSubmitInterceptor,
    LockService,
    OneTimeTokenService,
    SubmitGuardService,
  ],
})
export class IdempotencyModule {}
