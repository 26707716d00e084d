import { ApiProperty } from '@nestjs/swagger';
import { IsInt, Max, Min } from 'class-validator';

/** A wallet top-up: the amount is the whole order (no items). */
export class CreateRechargeDto {
  @ApiProperty({ example: 10000, description: 'integer fen, 1 – 5,000,000' })
  @IsInt()
  @Min(1)
  @Max(5_000_000)
  amount: number;
}
