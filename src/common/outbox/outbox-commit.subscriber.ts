import { Injectable } from '@nestjs/common';
import {
  DataSource,
  EntitySubscriberInterface,
  QueryRunner,
  TransactionCommitEvent,
  TransactionRollbackEvent,
} from 'typeorm';
import { OutboxRelay } from './outbox-relay.service';

/** Set on a QueryRunner by OutboxService.add: this transaction wrote an outbox row. */
export const OUTBOX_WRITTEN = Symbol('outboxWritten');

export function markOutboxWritten(queryRunner: QueryRunner | undefined): void {
  if (queryRunner) (queryRunner as unknown as Record<symbol, boolean>)[OUTBOX_WRITTEN] = true;
}

/**
 * Nudges the relay right after a transaction that wrote to t_outbox commits, so events are
 * published at once instead of at the next poll. Callers need to do nothing; a rolled-back
 * transaction nudges nothing (its outbox rows never existed).
 */
@Injectable()
export class OutboxCommitSubscriber implements EntitySubscriberInterface {
  constructor(
    dataSource: DataSource,
    private readonly relay: OutboxRelay,
  ) {
    dataSource.subscribers.push(this);
  }

  afterTransactionCommit(event: TransactionCommitEvent): void {
    const qr = event.queryRunner as unknown as Record<symbol, boolean> & QueryRunner;
    if (!qr[OUTBOX_WRITTEN] || qr.isTransactionActive) return; // a savepoint release is not the commit
    delete qr[OUTBOX_WRITTEN];
    this.relay.nudge();
  }

  afterTransactionRollback(event: TransactionRollbackEvent): void {
    const qr = event.queryRunner as unknown as Record<symbol, boolean> & QueryRunner;
    if (!qr.isTransactionActive) delete qr[OUTBOX_WRITTEN];
  }
}
