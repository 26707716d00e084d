import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { EX } from '../../common/openapi/examples';
import { ORDER_STATUSES, ORDER_TYPES } from '../order-state';

export class OrderItemResponse {
  @ApiProperty({ type: 'integer', minimum: 1, example: 1 })
  productId: number;

  @ApiProperty({ example: 'TEA-001' })
  sku: string;

  @ApiProperty({ example: 'Longjing tea 250 g' })
  name: string;

  @ApiProperty({ type: 'integer', minimum: 1, maximum: 999, example: 2 })
  quantity: number;

  @ApiProperty({
    type: 'integer',
    minimum: 1,
    maximum: 1_000_000_000,
    example: 8800,
    description: 'integer fen, the catalog price when ordered',
  })
  unitPrice: number;
}

export class OrderResponse {
  @ApiProperty({ example: EX.orderNo, description: '29 digits; its payments are `<orderNo>P01`, `P02`, …' })
  orderNo: string;

  @ApiProperty({ enum: ORDER_TYPES, example: 'GOODS', description: 'GOODS (POST /v1/orders) or RECHARGE' })
  type: string;

  @ApiProperty({ enum: ORDER_STATUSES, example: 'CREATED' })
  status: string;

  @ApiProperty({ type: [OrderItemResponse], description: 'empty for a RECHARGE' })
  items: OrderItemResponse[];

  @ApiProperty({ type: 'integer', minimum: 1, example: 17600, description: 'integer fen' })
  totalAmount: number;

  @ApiProperty({ enum: ['CNY'], example: 'CNY' })
  currency: string;

  @ApiPropertyOptional({
    maxLength: 200,
    example: 'leave at the front desk',
    description: 'absent when none was given',
  })
  remark?: string;

  @ApiProperty({ format: 'date-time', example: EX.createdAt })
  createdAt: string;

  @ApiProperty({ format: 'date-time', example: EX.expiresAt, description: 'unpaid by then: cancelled' })
  expiresAt: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'absent until the order is paid' })
  paidAt?: string;

  @ApiPropertyOptional({
    format: 'date-time',
    description: 'absent unless the order was cancelled or expired',
  })
  cancelledAt?: string;
}

/** The order of the walk-through's step 4, as POST /v1/orders answers it. */
export const ORDER_EXAMPLE = {
  orderNo: EX.orderNo,
  type: 'GOODS',
  status: 'CREATED',
  items: [{ productId: 1, sku: 'TEA-001', name: 'Longjing tea 250 g', quantity: 2, unitPrice: 8800 }],
  totalAmount: 17600,
  currency: 'CNY',
  createdAt: EX.createdAt,
  expiresAt: EX.expiresAt,
};

/** The wallet top-up of step 8. */
export const RECHARGE_EXAMPLE = {
  orderNo: EX.orderNo,
  type: 'RECHARGE',
  status: 'CREATED',
  items: [],
  totalAmount: 10000,
  currency: 'CNY',
  createdAt: EX.createdAt,
  expiresAt: EX.expiresAt,
};

export class OrderPageResponse {
  @ApiProperty({ type: [OrderResponse] })
  items: OrderResponse[];

  @ApiProperty({
    type: String,
    nullable: true,
    example: null,
    description: 'pass as `cursor` for the next (older) page; null on the last page',
  })
  nextCursor: string | null;
}
