import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { QUEUES } from '../common/queue/queue.constants';
import { IdempotencyModule } from '../idempotency';
import { OrderModule } from '../order';
import { PaymentModule, PayoutModule } from '../payment';
import { CallbackBufferWorker } from './callback-buffer.worker';
import { CallbackController } from './callback.controller';
import { CallbackLog } from './callback-log.entity';
import { CallbackLogRepository } from './callback-log.repository';
import { NotifyPipeline } from './notify-pipeline.service';
import { OutboxConsumer } from './outbox-consumer.processor';
import { ReconciliationController } from './reconciliation.controller';
import { ReconciliationScheduler } from './reconciliation.scheduler';
import { ReconciliationService } from './reconciliation.service';
import { DEDUP_STRATEGY_PROVIDERS } from './strategies';
import { registerQueues } from '../common/queue/queue.register';
import { AdminPaymentsController } from './admin-payments.controller';
import { AdminStatsService } from './admin-stats.service';
import { PaymentLookupService } from './payment-lookup.service';
import { ReconciliationRunRepository } from './reconciliation-run.repository';

/**
 * Gateway notifies (sync and buffered), the outbox subscribers, and reconciliation. Depends on the
 * payment module's services directly (callback → payment → order), never the reverse.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([CallbackLog]),
    registerQueues(QUEUES.RECONCILIATION),
    IdempotencyModule,
    OrderModule,
    PaymentModule,
    PayoutModule,
  ],
  controllers: [CallbackController, ReconciliationController, AdminPaymentsController],
  providers: [
    CallbackLogRepository,
    NotifyPipeline,
    CallbackBufferWorker,
    OutboxConsumer,
    ReconciliationService,
    ReconciliationScheduler,
    ReconciliationRunRepository,
    PaymentLookupService,
    AdminStatsService,
    ...DEDUP_STRATEGY_PROVIDERS,
  ],
  exports: [NotifyPipeline, ReconciliationService],
})
export class CallbackModule {}
