import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { IdempotencyModule } from '../idempotency';
import { AccountController } from './account.controller';
import { UserAccount } from './entities/user-account.entity';
import { LedgerCheckRepository } from './ledger-check.repository';
import { LedgerCheckService } from './ledger-check.service';
import { LedgerController } from './ledger.controller';
import { LedgerRepository } from './ledger.repository';
import { WalletRepository } from './wallet.repository';
import { WalletService } from './wallet.service';
import { QUEUES } from '../common/queue/queue.constants';
import { registerQueues } from '../common/queue/queue.register';
import { TransferController } from './transfer.controller';
import { TransferExpiryScheduler } from './transfer-expiry';
import { TransferRepository } from './transfer.repository';
import { TransferService } from './transfer.service';
import { TransferExpiryProcessor, TransferSweeper } from './transfer-sweeper.service';

/**
 * The wallet and its double-entry ledger: every user's balance, every method that changes one (each
 * posting a balanced journal in the caller's transaction), the ledger check, transfers. Below the order module
 * (`callback → payment → order → wallet → idempotency → common`): order and payment call its exported
 * WalletService inside their own transactions; it never calls them.
 */
@Module({
  imports: [
    IdempotencyModule,
    TypeOrmModule.forFeature([UserAccount]),
    registerQueues(QUEUES.TRANSFER_EXPIRY),
  ],
  controllers: [AccountController, LedgerController, TransferController],
  providers: [
    WalletRepository,
    LedgerRepository,
    LedgerCheckRepository,
    TransferRepository,
    WalletService,
    LedgerCheckService,
    TransferService,
    TransferExpiryScheduler,
    TransferExpiryProcessor,
    TransferSweeper,
  ],
  exports: [WalletService, LedgerCheckService, TransferService],
})
export class WalletModule {}
