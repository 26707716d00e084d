import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { QUEUES } from '../common/queue/queue.constants';
import { IdempotencyModule } from '../idempotency';
import { CatalogController } from './catalog.controller';
import { CatalogService } from './catalog.service';
import { Order } from './entities/order.entity';
import { OrderItem } from './entities/order-item.entity';
import { Product } from './entities/product.entity';
import { ProductRepository } from './product.repository';
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
import { WalletModule } from '../wallet';
import { registerQueues } from '../common/queue/queue.register';

/**
 * Catalog and orders. Learns of payments only through calls on its exported services (OrderService,
 * OrderRefundService), which the payment module makes inside its own transaction with its EntityManager;
 * no order state depends on an event, and it never imports the payment module. The wallet is
 * the wallet module's (below this one): orders call its WalletService.
 */
@Module({
  imports: [
    IdempotencyModule,
    WalletModule,
    TypeOrmModule.forFeature([Product, Order, OrderItem]),
    registerQueues(QUEUES.ORDER_EXPIRY),
  ],
  controllers: [CatalogController, OrderController, RechargeController],
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
  ],
  exports: [OrderService, OrderRefundService, CatalogService],
})
export class OrderModule {}
