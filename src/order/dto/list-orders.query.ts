import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { ORDER_STATUSES, OrderStatus } from '../order-state';

export class ListOrdersQuery {
  @ApiPropertyOptional({ enum: ORDER_STATUSES, description: 'only orders in this status (default: all)' })
  @IsOptional()
  @IsIn(ORDER_STATUSES as unknown as string[])
  status?: OrderStatus;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 20, description: 'page size' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional({
    pattern: '^[A-Za-z0-9_-]{1,64}$',
    description: 'the `nextCursor` of the previous page (leave empty for the first page)',
  })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, { message: 'cursor is not valid' })
  cursor?: string;
}
