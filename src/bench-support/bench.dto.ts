import { ApiProperty } from '@nestjs/swagger';
import { IsInt, IsString, Matches, Max, Min } from 'class-validator';
import { BENCH_PAYMENT_ROWS } from './bench-ceiling.service';

/** Body of the SET NX + 1 transaction ceilings: a unique reference (validated like a real DTO). */
export class BenchRefDto {
  @ApiProperty({ example: 'r-1-42' })
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,64}$/)
  ref: string;
}

/** Body of the SET NX + payment transaction ceiling. */
export class BenchPaymentDto extends BenchRefDto {
  @ApiProperty({ example: 17 })
  @IsInt()
  @Min(1)
  @Max(BENCH_PAYMENT_ROWS)
  paymentId: number;
}
