import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintNumber } from '../../common/database/bigint-number.transformer';

/** t_user_account: the wallet. Created on first use; the balance moves by conditional UPDATEs only. */
@Entity('t_user_account')
export class UserAccount {
  @PrimaryColumn({ name: 'user_id', type: 'varchar', length: 64 })
  userId: string;

  /** Integer fen, never negative (debit is `WHERE balance >= ?`). */
  @Column({ type: 'bigint', transformer: bigintNumber })
  balance: number;

  @Column({ type: 'char', length: 3, default: 'CNY' })
  currency: string;

  @Column({ type: 'int', default: 0 })
  version: number;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}
