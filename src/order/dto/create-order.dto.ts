import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsInt,
  IsOptional,
  IsString,
  MaxLength,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';

export class OrderLineDto {
  @ApiProperty({
    type: 'integer',
    minimum: 1,
    maximum: Number.MAX_SAFE_INTEGER,
    example: 1,
    description: 'a catalog product id (the `id` of POST /v1/products)',
  })
  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  productId: number;

  @ApiProperty({
    type: 'integer',
    minimum: 1,
    maximum: 999,
    example: 2,
    description: 'at most ORDER_MAX_LINE_QUANTITY (999) per product',
  })
  @IsInt()
  @Min(1)
  @Max(999)
  quantity: number;
}

/**
 * The client names products and quantities only: prices and totals come from the catalog. Any
 * other field (e.g. `totalAmount`) is refused with 400 (the global pipe forbids unknown fields).
 */
export class CreateOrderDto {
  @ApiProperty({
    type: [OrderLineDto],
    minItems: 1,
    maxItems: 50,
    example: [{ productId: 1, quantity: 2 }],
    description: '1–50 lines; lines naming the same product are merged',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  @Type(() => OrderLineDto)
  items: OrderLineDto[];

  @ApiPropertyOptional({ example: 'leave at the front desk', maxLength: 200 })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  remark?: string;
}
