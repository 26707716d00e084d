import { Module } from '@nestjs/common';
import { IdempotencyTokenController } from './idempotency-token.controller';
import { OneTimeTokenService } from './one-time-token.service';

@Module({
  controllers: [IdempotencyTokenController],
  providers: [OneTimeTokenService],
  exports: [OneTimeTokenService],
})
export class IdempotencyModule {}
