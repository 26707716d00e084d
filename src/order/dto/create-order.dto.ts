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
  @ApiProperty({ example: 1, description: 'a catalog product id' })
  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  productId: number;

  @ApiProperty({ example: 2, description: 'integer 1–999' })
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
