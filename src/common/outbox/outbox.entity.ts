import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type OutboxStatus = 'PENDING' | 'SENT';

/** t_outbox: events written in the same transaction as the change they announce. */
@Entity('t_outbox')
export class OutboxEvent {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ type: 'varchar', length: 64 })
  topic: string;

  /** Deterministic id of the event (e.g. the payment number): the Bull jobId, so a re-publish is a no-op. */
  @Column({ name: 'event_key', type: 'varchar', length: 128 })
  eventKey: string;

  @Column({ type: 'json' })
  payload: Record<string, unknown>;

  @Column({ type: 'varchar', length: 16, default: 'PENDING' })
  status: OutboxStatus;

  @Column({ type: 'int', default: 0 })
  attempts: number;

  @Column({ name: 'available_at', type: 'datetime', precision: 3 })
  availableAt: Date;

  /** The server's clock at insert, never the app's: the event sequencer's commit horizon relies on it. */
  @Column({ name: 'created_at', type: 'datetime', precision: 3, default: () => 'CURRENT_TIMESTAMP(3)' })
  createdAt: Date;

  @Column({ name: 'sent_at', type: 'datetime', precision: 3, nullable: true })
  sentAt: Date | null;
}
