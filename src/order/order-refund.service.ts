import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { DedupService } from '../idempotency';
import { CatalogService } from './catalog.service';
import { Order } from './entities/order.entity';
import { OrderRepository } from './order.repository';
import { OrderStatus, wasPaid } from './order-state';
import { WalletService } from '../wallet';

export interface OrderRefundInput {
  orderNo: string;
  refundNo: string;
  /** the refunded payment: only the payment that paid the order moves the order (see `paidByPayment`) */
  paymentNo: string;
  /** the payment's succeeded refunds, this one included, cover all of it */
  fully: boolean;
  /** return the order's items to stock (once per order; only when `fully`: a partial refund names no items) */
  restock: boolean;
  /** fen to credit to the owner's wallet (wallet-paid orders), 0 for none */
  walletCredit: number;
}

/** A recharge refund's wallet movement: whose, how much, which refund, through which channel. */
export interface RechargeRefundMove {
  userId: string;
  amount: number;
  refundNo: string;
  channel: string;
}

export interface OrderRefundOutcome {
  status: OrderStatus;
  restocked: boolean;
}

/**
 * The order side of refunds, always inside the payment module's refund transaction (the caller's
 * EntityManager): the order CAS PAID → PARTIALLY_REFUNDED → REFUNDED, the wallet credit of a
 * wallet-paid order, the restock. The caller holds the `REFUND_SUCCEEDED` marker, so each refund
 * reaches this once; the restock has a marker of its own (`ORDER_RESTOCKED`, per order) because
 * several partial refunds of one order may each ask for it.
 */
@Injectable()
export class OrderRefundService {
  constructor(
    private readonly repo: OrderRepository,
    private readonly catalog: CatalogService,
    private readonly wallet: WalletService,
    private readonly dedup: DedupService,
  ) {}

  /**
   * Whether this payment is the money the order holds: the payment that paid it (`paid_by`), or any
   * success of an order paid before `paid_by` was recorded. False for money that reached an order
   * which could not take it: a payment that succeeded after the order was CANCELLED
   * (PAID_AFTER_CANCEL), or a second payment of an order already paid (DUPLICATE_PAYMENT). Refunding
   * such money changes nothing on the order.
   */
  paidByPayment(order: Pick<Order, 'status' | 'paidBy'>, paymentNo: string): boolean {
    if (!wasPaid(order.status)) return false;
    return order.paidBy === null || order.paidBy === paymentNo;
  }

  /** The order (with items), locked when `forUpdate`; null if it does not exist. */
  find(m: EntityManager | null, orderNo: string, forUpdate = false): Promise<Order | null> {
    return this.repo.findByOrderNo(m, orderNo, { forUpdate });
  }

  /**
   * Takes a RECHARGE order's credit back from the wallet when its refund is created (before the
   * gateway is called), in the caller's transaction: wallet → `clearing:<channel>` on the ledger.
   * False (nothing taken) if the balance is too low.
   */
  debitRecharge(m: EntityManager, r: RechargeRefundMove): Promise<boolean> {
    return this.wallet.takeBackRecharge(m, r);
  }

  /** Gives a recharge debit back when its refund failed (under the refund's FAILED CAS). */
  creditBack(m: EntityManager, r: RechargeRefundMove): Promise<void> {
    return this.wallet.giveBackRecharge(m, r);
  }

  private refundToWallet(m: EntityManager, userId: string, input: OrderRefundInput): Promise<void> {
    return this.wallet.refundToWallet(m, { userId, amount: input.walletCredit, refundNo: input.refundNo });
  }

  /**
   * Applies one succeeded refund to its order in the caller's transaction. When the refunded payment
   * paid the order: PAID → PARTIALLY_REFUNDED (or → REFUNDED when `fully`), PARTIALLY_REFUNDED →
   * REFUNDED when `fully`; a second partial refund leaves PARTIALLY_REFUNDED as it is. When it did not
   * (money taken after a cancel, a duplicate payment: `paidByPayment` false) the order keeps its state
   * — CANCELLED is terminal, and a PAID order still holds the money of the payment that paid it — and
   * nothing is restocked (a cancel already released the stock; the goods are the other payment's).
   * A wallet payment's credit is given in both cases (it is the payment's money).
   * @throws Error when the order is missing, or a refund of its own payment finds it unpaid (the
   *   caller's transaction rolls back).
   */
  async applyRefundSucceeded(m: EntityManager, input: OrderRefundInput): Promise<OrderRefundOutcome> {
    const order = await this.repo.findByOrderNo(m, input.orderNo, { forUpdate: true });
    if (!order) throw new Error(`order ${input.orderNo} not found`);
    if (!this.paidByPayment(order, input.paymentNo)) {
      if (input.walletCredit > 0) await this.refundToWallet(m, order.userId, input);
      return { status: order.status, restocked: false };
    }
    const from = order.status;
    let to: OrderStatus = from;
    if (input.fully && (from === 'PAID' || from === 'PARTIALLY_REFUNDED')) to = 'REFUNDED';
    else if (!input.fully && from === 'PAID') to = 'PARTIALLY_REFUNDED';
    else if (!(from === 'PARTIALLY_REFUNDED' || (from === 'REFUNDED' && input.fully))) {
      throw new Error(`order ${input.orderNo} is ${from}: refund ${input.refundNo} cannot apply`);
    }
    if (to !== from) {
      const won = await this.repo.cas(m, input.orderNo, [from], to);
      if (!won) throw new Error(`order ${input.orderNo} changed under its row lock`);
    }
    if (input.walletCredit > 0) await this.refundToWallet(m, order.userId, input);
    let restocked = false;
    // the whole order goes back to stock only with the refund that covers all of it
    if (input.restock && input.fully && order.type === 'GOODS') {
      const r = await this.dedup.runOnce(
        'ORDER_RESTOCKED',
        input.orderNo,
        async (mm) => {
          const items = [...(order.items ?? [])].sort((a, b) => a.productId - b.productId);
          for (const i of items) await this.catalog.releaseStock(mm, i.productId, i.quantity);
        },
        { manager: m },
      );
      restocked = r.status === 'done';
    }
    return { status: to, restocked };
  }
}
