import { ApiProperty } from '@nestjs/swagger';

export class AccountResponse {
  @ApiProperty({ type: 'integer', minimum: 0, example: 10000, description: 'integer fen' })
  balance: number;

  @ApiProperty({ enum: ['CNY'], example: 'CNY' })
  currency: string;
}
