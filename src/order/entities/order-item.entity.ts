import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { bigintNumber } from '../../common/database/bigint-number.transformer';

/** t_order_item: a snapshot of the catalog line (sku, name, price) at the time of the order. */
@Entity('t_order_item')
export class OrderItem {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: number;

  @Column({ name: 'order_id', type: 'bigint', transformer: bigintNumber })
  orderId: number;

  @Column({ name: 'product_id', type: 'bigint', transformer: bigintNumber })
  productId: number;

  @Column({ type: 'varchar', length: 64 })
  sku: string;

  @Column({ type: 'varchar', length: 128 })
  name: string;

  @Column({ type: 'int' })
  quantity: number;

  /** Integer fen. */
  @Column({ name: 'unit_price', type: 'bigint', transformer: bigintNumber })
  unitPrice: number;
}
