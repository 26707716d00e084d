import { BullModule } from '@nestjs/bull';
import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { QUEUES } from '../queue/queue.constants';
import { OutboxCommitSubscriber } from './outbox-commit.subscriber';
import { OutboxEvent } from './outbox.entity';
import { OutboxRelay } from './outbox-relay.service';
import { OutboxService } from './outbox.service';
import { registerQueues } from '../queue/queue.register';

/**
 * The transactional outbox: OutboxService writes events inside the caller's transaction, OutboxRelay
 * publishes them to the Bull queue `outbox`. The consumer of that queue lives in the callback module
 * (OutboxConsumer), which may reach the order and payment services; common/ must not.
 */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([OutboxEvent]), registerQueues(QUEUES.OUTBOX)],
  providers: [OutboxService, OutboxRelay, OutboxCommitSubscriber],
  exports: [OutboxService, OutboxRelay, BullModule],
})
export class OutboxModule {}
