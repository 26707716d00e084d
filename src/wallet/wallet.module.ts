import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { IdempotencyModule } from '../idempotency';
import { AccountController } from './account.controller';
import { UserAccount } from './entities/user-account.entity';
import { WalletRepository } from './wallet.repository';
import { WalletService } from './wallet.service';

/**
 * The wallet: every user's balance and every method that changes one. Below the order module
 * (`callback → payment → order → wallet → idempotency → common`): order and payment call its exported
 * WalletService inside their own transactions; it never calls them.
 */
@Module({
  imports: [IdempotencyModule, TypeOrmModule.forFeature([UserAccount])],
  controllers: [AccountController],
  providers: [WalletRepository, WalletService],
  exports: [WalletService],
})
export class WalletModule {}
