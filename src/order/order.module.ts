import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { QUEUES } from '../common/queue/queue.constants';
import { IdempotencyModule } from '../idempotency';
import { AccountController } from './account.controller';
import { CatalogController } from './catalog.controller';
import { CatalogService } from './catalog.service';
import { Order } from './entities/order.entity';
import { OrderItem } from './entities/order-item.entity';
import { Product } from './entities/product.entity';
import { ProductRepository } from './product.repository';
import { UserAccount } from './entities/user-account.entity';
import { OrderController } from './order.controller';
import { OrderExpiryProcessor } from './order-expiry.processor';
import { OrderExpiryScheduler } from './order-expiry.scheduler';
import { OrderMetrics } from './order.metrics';
import { OrderRefundService } from './order-refund.service';
import { OrderRepository } from './order.repository';
import { OrderService } from './order.service';
import { OrderSubmitService } from './order-submit.service';
import { OrderSweeper } from './order-sweeper.service';
import { RechargeController } from './recharge.controller';
import { WalletRepository } from './wallet.repository';
import { WalletService } from './wallet.service';
import { registerQueues } from '../common/queue/queue.register';

/**
 * Catalog, orders and wallet. Learns of payments only through calls on its exported services
 * (OrderService, WalletService) and events; it never imports the payment module.
 */
@Module({
  imports: [
    IdempotencyModule,
    TypeOrmModule.forFeature([Product, Order, OrderItem, UserAccount]),
    registerQueues(QUEUES.ORDER_EXPIRY),
  ],
  controllers: [CatalogController, OrderController, RechargeController, AccountController],
  providers: [
    CatalogService,
    OrderRefundService,
    OrderRepository,
    OrderService,
    OrderSubmitService,
    OrderExpiryScheduler,
    OrderExpiryProcessor,
    OrderMetrics,
    OrderSweeper,
    ProductRepository,
    WalletRepository,
    WalletService,
  ],
  exports: [OrderService, OrderRefundService, WalletService, CatalogService],
})
export class OrderModule {}
