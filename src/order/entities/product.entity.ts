import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { bigintNumber } from '../../common/database/bigint-number.transformer';

/** t_product: the catalog. Stock is only ever changed by conditional UPDATEs (never read-modify-write). */
@Entity('t_product')
export class Product {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: number;

  @Column({ type: 'varchar', length: 64, unique: true })
  sku: string;

  @Column({ type: 'varchar', length: 128 })
  name: string;

  /** Integer fen. */
  @Column({ type: 'bigint', transformer: bigintNumber })
  price: number;

  @Column({ type: 'int' })
  stock: number;

  @Column({ type: 'int', default: 0 })
  version: number;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}
