import { ApiProperty } from '@nestjs/swagger';
import { EX } from '../../common/openapi/examples';
import { IsInt, IsString, Length, Matches, Max, Min } from 'class-validator';

export class CreateProductDto {
  @ApiProperty({ example: 'TEA-001', description: '1–64 chars of [A-Za-z0-9_.-], unique' })
  @IsString()
  @Matches(/^[A-Za-z0-9_.-]{1,64}$/, { message: 'sku must be 1–64 characters of [A-Za-z0-9_.-]' })
  sku: string;

  @ApiProperty({ example: 'Longjing tea 250 g', description: '1–128 characters' })
  @IsString()
  @Length(1, 128)
  name: string;

  @ApiProperty({
    type: 'integer',
    minimum: 1,
    maximum: 1_000_000_000,
    example: 8800,
    description: 'unit price in integer fen (8800 = ¥88.00)',
  })
  @IsInt()
  @Min(1)
  @Max(1_000_000_000)
  price: number;

  @ApiProperty({
    type: 'integer',
    minimum: 0,
    maximum: 1_000_000_000,
    example: 100,
    description: 'units in stock',
  })
  @IsInt()
  @Min(0)
  @Max(1_000_000_000)
  stock: number;
}

export class ProductResponse {
  @ApiProperty({ type: 'integer', minimum: 1, example: 1, description: 'the `productId` of an order line' })
  id: number;

  @ApiProperty({ example: 'TEA-001' })
  sku: string;

  @ApiProperty({ example: 'Longjing tea 250 g' })
  name: string;

  @ApiProperty({
    type: 'integer',
    minimum: 1,
    maximum: 1_000_000_000,
    example: 8800,
    description: 'integer fen',
  })
  price: number;

  @ApiProperty({
    type: 'integer',
    minimum: 0,
    maximum: 1_000_000_000,
    example: 100,
    description: 'units left (orders take stock at once; cancel and expiry give it back)',
  })
  stock: number;

  @ApiProperty({ enum: ['CNY'], example: 'CNY' })
  currency: string;

  @ApiProperty({ format: 'date-time', example: EX.createdAt })
  createdAt: string;
}
