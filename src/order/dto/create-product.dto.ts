import { ApiProperty } from '@nestjs/swagger';
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

  @ApiProperty({ example: 8800, description: 'unit price in integer fen (1 – 1,000,000,000)' })
  @IsInt()
  @Min(1)
  @Max(1_000_000_000)
  price: number;

  @ApiProperty({ example: 100, description: 'units in stock (0 – 1,000,000,000)' })
  @IsInt()
  @Min(0)
  @Max(1_000_000_000)
  stock: number;
}

export class ProductResponse {
  @ApiProperty({ example: 1 })
  id: number;

  @ApiProperty({ example: 'TEA-001' })
  sku: string;

  @ApiProperty({ example: 'Longjing tea 250 g' })
  name: string;

  @ApiProperty({ example: 8800, description: 'integer fen' })
  price: number;

  @ApiProperty({ example: 100 })
  stock: number;

  @ApiProperty({ example: 'CNY' })
  currency: string;

  @ApiProperty({ example: '2026-11-23T12:00:00.000Z' })
  createdAt: string;
}
