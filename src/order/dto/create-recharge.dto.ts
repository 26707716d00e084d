import { ApiProperty } from '@nestjs/swagger';
import { IsInt, Max, Min } from 'class-validator';

/** A wallet top-up: the amount is the whole order (no items). */
export class CreateRechargeDto {
  @ApiProperty({
    type: 'integer',
    minimum: 1,
    maximum: 5_000_000,
    example: 10000,
    description: 'integer fen (10000 = ¥100.00)',
  })
  @IsInt()
  @Min(1)
  @Max(5_000_000)
  amount: number;
}
