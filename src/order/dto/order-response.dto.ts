import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ORDER_STATUSES, ORDER_TYPES } from '../order-state';

export class OrderItemResponse {
  @ApiProperty({ example: 1 })
  productId: number;

  @ApiProperty({ example: 'TEA-001' })
  sku: string;

  @ApiProperty({ example: 'Longjing tea 250 g' })
  name: string;

  @ApiProperty({ example: 2 })
  quantity: number;

  @ApiProperty({ example: 8800, description: 'integer fen, the catalog price when ordered' })
  unitPrice: number;
}

export class OrderResponse {
  @ApiProperty({ example: '20261123120000123456789012345' })
  orderNo: string;

  @ApiProperty({ enum: ORDER_TYPES, example: 'GOODS' })
  type: string;

  @ApiProperty({ enum: ORDER_STATUSES, example: 'CREATED' })
  status: string;

  @ApiProperty({ type: [OrderItemResponse] })
  items: OrderItemResponse[];

  @ApiProperty({ example: 17600, description: 'integer fen' })
  totalAmount: number;

  @ApiProperty({ example: 'CNY' })
  currency: string;

  @ApiPropertyOptional({ example: 'leave at the front desk', nullable: true })
  remark?: string | null;

  @ApiProperty({ example: '2026-11-23T12:00:00.123Z' })
  createdAt: string;

  @ApiProperty({ example: '2026-11-23T12:15:00.123Z' })
  expiresAt: string;

  @ApiPropertyOptional({ example: '2026-11-23T12:03:10.456Z' })
  paidAt?: string;

  @ApiPropertyOptional({ example: '2026-11-23T12:05:00.000Z' })
  cancelledAt?: string;
}

export class OrderPageResponse {
  @ApiProperty({ type: [OrderResponse] })
  items: OrderResponse[];

  @ApiProperty({
    example: 'eyJpZCI6NDJ9',
    nullable: true,
    type: String,
    description: 'pass as `cursor` for the next (older) page; null on the last page',
  })
  nextCursor: string | null;
}

export class AccountResponse {
  @ApiProperty({ example: 10000, description: 'integer fen' })
  balance: number;

  @ApiProperty({ example: 'CNY' })
  currency: string;
}
