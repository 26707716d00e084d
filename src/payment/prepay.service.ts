import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { EntityManager } from 'typeorm';
import { paymentConfig } from '../config/configuration';
import { TransactionService } from '../common/database/transaction.service';
import { DomainError, ErrorCode } from '../common/errors';
import { DedupService, LockService } from '../idempotency';
import { Order, orderLockKey, OrderService, wasPaid } from '../order';
import { WalletService } from '../wallet';
import { PaymentResponse } from './dto/payment.dto';
import { Payment, PaymentChannel } from './entities/payment.entity';
import { PAYMENT_GATEWAY, PaymentGateway } from './gateway/payment-gateway';
import { PaymentCloseService } from './payment-close.service';
import { PaymentSuccessService } from './payment-success.service';
import { PaymentJobs } from './payment-jobs';
import { paymentNoFor } from './payment-no';
import { NewPayment, PaymentRepository } from './payment.repository';

export interface PrepayResult {
  /** true when this call created the payment (201), false when it returned an existing one (200) */
  created: boolean;
  payment: PaymentResponse;
}

/** Rolls the wallet transaction back with a domain error once the marker is found taken. */
const alreadyPaid = (orderNo: string) =>
  new DomainError(ErrorCode.ORDER_ALREADY_PAID, 'The order is already paid', { orderNo });

/** A gateway channel: its payments get a QR code, active queries, expiry and close. */
type GatewayChannel = Exclude<PaymentChannel, 'wallet'>;

/**
 * Pre-pay: one payment per order at a time, on one channel. A Redis lock `lock:order:{orderNo}` keeps
 * concurrent requests in line; the CAS CREATED → PAYING on the order is what actually decides (it
 * holds without Redis's help), and the payment row is inserted in the same transaction. The gateway is
 * asked outside any transaction (ChannelGatewayRouter sends it to the payment's channel: Alipay or
 * WeChat); a failure there leaves the PENDING payment for the retry to reuse. Asking for another channel
 * while a payment is PENDING closes that payment at its gateway first (a trade found paid there is
 * applied, and no second payment is opened).
 */
@Injectable()
export class PrepayService {
  private readonly logger = new Logger(PrepayService.name);

  constructor(
    private readonly tx: TransactionService,
    private readonly repo: PaymentRepository,
    private readonly orders: OrderService,
    private readonly wallet: WalletService,
    private readonly dedup: DedupService,
    private readonly locks: LockService,
    private readonly jobs: PaymentJobs,
    private readonly closer: PaymentCloseService,
    private readonly success: PaymentSuccessService,
    @Inject(PAYMENT_GATEWAY) private readonly gateway: PaymentGateway,
    @Inject(paymentConfig.KEY) private readonly cfg: ConfigType<typeof paymentConfig>,
  ) {}

  async prepay(userId: string, orderNo: string, channel: PaymentChannel): Promise<PrepayResult> {
    if (!this.cfg.channels.includes(channel)) {
      throw new DomainError(ErrorCode.VALIDATION_FAILED, `Channel ${channel} is not enabled`, {
        reason: 'CHANNEL_NOT_ENABLED',
        channel,
        enabled: this.cfg.channels,
      });
    }
    const order = await this.orders.getOwnedOrder(userId, orderNo); // 404 before taking any lock
    this.assertPayable(order);
    const ttl = this.cfg.gatewayTimeoutMs * 2 + 5000; // renewed while held (a close may come first)
    return this.locks.withLock(
      orderLockKey(orderNo),
      ttl,
      async () => {
        await this.closeExpired(orderNo);
        if (channel === 'wallet') await this.precheckWallet(userId, orderNo);
        await this.closeOtherChannels(orderNo, channel);
        return channel === 'wallet'
          ? this.payByWallet(userId, orderNo)
          : this.payByGateway(userId, orderNo, channel);
      },
      { waitMs: ttl, renew: true },
    );
  }

  async get(userId: string, paymentNo: string): Promise<PaymentResponse> {
    const p = /^[A-Za-z0-9_-]{1,40}$/.test(paymentNo)
      ? await this.repo.findByPaymentNo(null, paymentNo)
      : null;
    if (!p || p.userId !== userId)
      throw new DomainError(ErrorCode.NOT_FOUND, `Payment ${paymentNo} not found`);
    return toResponse(p);
  }

  /**
   * A PENDING payment past its expires_at whose expiry job has not run yet (or keeps failing) is
   * closed now, so the buyer is not handed a dead QR code and may start over.
   */
  private async closeExpired(orderNo: string): Promise<void> {
    const now = Date.now();
    for (const p of await this.repo.findPendingByOrder(null, orderNo)) {
      if (p.channel === 'wallet' || p.expiresAt.getTime() > now) continue;
      if ((await this.closer.expire(p.paymentNo)) === 'retry') {
        throw new DomainError(
          ErrorCode.GATEWAY_UNAVAILABLE,
          'The expired payment could not be closed yet; retry',
          {
            paymentNo: p.paymentNo,
          },
        );
      }
    }
  }

  /**
   * A payment belongs to one channel. Asking for another channel closes the PENDING payments of the
   * other channels at their gateway first, then locally (the order goes back to CREATED); if a gateway
   * says its trade is paid, the success path has just applied it and the order is paid (409
   * ORDER_ALREADY_PAID) — no second payment is opened. An unknown close answer is 502 (retry).
   */
  private async closeOtherChannels(orderNo: string, channel: PaymentChannel): Promise<void> {
    for (const p of await this.repo.findPendingByOrder(null, orderNo)) {
      if (p.channel === channel) continue;
      const outcome = await this.closer.expire(p.paymentNo);
      if (outcome === 'paid') throw alreadyPaid(orderNo);
      if (outcome === 'retry') {
        throw new DomainError(
          ErrorCode.GATEWAY_UNAVAILABLE,
          `The ${p.channel} payment of this order could not be closed yet; retry`,
          { paymentNo: p.paymentNo, channel: p.channel },
        );
      }
      this.logger.log(`payment ${p.paymentNo} (${p.channel}) closed: the buyer switched to ${channel}`);
    }
  }

  /**
   * Refuses a wallet payment that cannot succeed before a pending QR code of another channel is closed
   * for it. Only a courtesy: the conditional debit in payByWallet is what decides.
   */
  private async precheckWallet(userId: string, orderNo: string): Promise<void> {
    const order = (await this.orders.findByOrderNo(null, orderNo))!;
    if (order.type === 'RECHARGE') {
      throw new DomainError(ErrorCode.ORDER_NOT_PAYABLE, 'A recharge cannot be paid from the wallet', {
        orderNo,
      });
    }
    if ((await this.wallet.getAccount(userId)).balance < order.totalAmount) {
      throw new DomainError(ErrorCode.INSUFFICIENT_BALANCE, 'The wallet balance is too low', {
        orderNo,
        amount: order.totalAmount,
      });
    }
  }

  private assertPayable(order: Order): void {
    if (wasPaid(order.status)) throw alreadyPaid(order.orderNo);
    if (order.status === 'CANCELLED') {
      throw new DomainError(ErrorCode.ORDER_NOT_PAYABLE, 'The order is cancelled', {
        orderNo: order.orderNo,
      });
    }
  }

  private async payByGateway(
    userId: string,
    orderNo: string,
    channel: GatewayChannel,
  ): Promise<PrepayResult> {
    const order = (await this.orders.findByOrderNo(null, orderNo))!;
    this.assertPayable(order);
    const existing = await this.repo.findByOrder(null, orderNo);
    if (existing.some((p) => p.status === 'SUCCESS')) throw alreadyPaid(orderNo);
    const pending = existing.find((p) => p.status === 'PENDING');
    if (pending) {
      if (pending.channel !== channel) throw inProgress(orderNo, pending);
      return { created: false, payment: await this.ensurePrecreated(pending) };
    }
    if (order.status !== 'CREATED') {
      throw new DomainError(ErrorCode.PAYMENT_IN_PROGRESS, 'A payment of this order is in progress', {
        orderNo,
      });
    }
    const now = new Date();
    const paymentNo = paymentNoFor(orderNo, existing.length + 1);
    const expiresAt = new Date(now.getTime() + this.cfg.timeoutMs);
    await this.tx.run(
      async (m) => {
        if (!(await this.orders.markPaying(m, orderNo))) {
          // the lock was lost (expired or Redis gone) and someone else won the CAS
          throw new DomainError(ErrorCode.PAYMENT_IN_PROGRESS, 'A payment of this order is in progress', {
            orderNo,
          });
        }
        await this.repo.insert(m, {
          paymentNo,
          orderNo,
          userId,
          channel,
          amount: order.totalAmount,
          status: 'PENDING',
          subject: `oncepay order ${orderNo}`,
          expiresAt,
        });
      },
      this.confirmPayment(() => paymentNo, orderNo),
    );
    const payment = (await this.repo.findByPaymentNo(null, paymentNo))!;
    await this.jobs.afterPrepay(paymentNo, payment.createdAt, expiresAt);
    return { created: true, payment: await this.ensurePrecreated(payment) };
  }

  /** Asks the gateway for the QR code if it never answered; same out_trade_no and parameters. */
  private async ensurePrecreated(p: Payment): Promise<PaymentResponse> {
    if (p.qrCode) return toResponse(p);
    const r = await this.gateway.precreate({
      paymentNo: p.paymentNo,
      amount: p.amount,
      subject: p.subject,
      expiresAt: p.expiresAt,
    });
    if (!r.ok && r.refusedCode) {
      // refused for good: close the payment and reopen the order, 422 (a trade that exists under this
      // number is closed at the gateway first, as at expiry: paid there → applied, unknown → 502)
      this.logger.warn(`precreate of ${p.paymentNo} refused: ${r.reason}`);
      if (r.tradeMayExist) {
        const closed = await this.closer.expire(p.paymentNo);
        if (closed === 'paid') throw alreadyPaid(p.orderNo);
        if (closed === 'retry') {
          throw new DomainError(ErrorCode.GATEWAY_UNAVAILABLE, 'The payment gateway did not answer; retry', {
            paymentNo: p.paymentNo,
          });
        }
      } else {
        await this.closer.closePending(p.paymentNo, p.channel, `gateway refused ${r.refusedCode}`);
      }
      throw new DomainError(ErrorCode.GATEWAY_REFUSED, 'The payment gateway refused this payment', {
        paymentNo: p.paymentNo,
        gatewayCode: r.refusedCode,
      });
    }
    if (!r.ok) {
      this.logger.warn(`precreate of ${p.paymentNo} failed: ${r.reason}`);
      throw new DomainError(ErrorCode.GATEWAY_UNAVAILABLE, 'The payment gateway did not answer; retry', {
        paymentNo: p.paymentNo,
      });
    }
    await this.repo.setQrCode(null, p.paymentNo, r.qrCode);
    return toResponse({ ...p, qrCode: r.qrCode });
  }

  /**
   * A COMMIT without an answer is settled by the payment's number on a fresh connection (prepay is
   * state-idempotent anyway: a retry finds the PENDING payment, or the order PAID; this makes the first
   * answer the true one instead of a 503).
   */
  private confirmPayment(paymentNo: () => string | undefined, orderNo: string) {
    return {
      confirm: {
        committed: async (m: EntityManager) => {
          const no = paymentNo();
          return no !== undefined && (await this.repo.findByPaymentNo(m, no)) !== null;
        },
        details: { orderNo },
      },
    };
  }

  /**
   * Wallet: one transaction — marker ('WALLET_PAY', orderNo), conditional debit (balance ≥ amount),
   * the payment row, then the one success path (`PaymentSuccessService.applyIn`: PAYMENT_SUCCEEDED
   * marker, payment CAS, order PAID) in the same transaction. Anything but a PAID order rolls all of
   * it back, the debit included.
   */
  private async payByWallet(userId: string, orderNo: string): Promise<PrepayResult> {
    let made: string | undefined;
    const paymentNo = await this.tx.run(
      async (m) => {
        const order = (await this.orders.findByOrderNo(m, orderNo))!;
        this.assertPayable(order);
        if (order.type === 'RECHARGE') {
          throw new DomainError(ErrorCode.ORDER_NOT_PAYABLE, 'A recharge cannot be paid from the wallet', {
            orderNo,
          });
        }
        const existing = await this.repo.findByOrder(m, orderNo);
        const pending = existing.find((p) => p.status === 'PENDING');
        if (pending || order.status !== 'CREATED') throw inProgress(orderNo, pending);
        const no = paymentNoFor(orderNo, existing.length + 1);
        made = no;
        const res = await this.dedup.runOnce(
          'WALLET_PAY',
          orderNo,
          async (mm) => {
            if (
              !(await this.wallet.payFromWallet(mm, { userId, amount: order.totalAmount, paymentNo: no }))
            ) {
              throw new DomainError(ErrorCode.INSUFFICIENT_BALANCE, 'The wallet balance is too low', {
                orderNo,
                amount: order.totalAmount,
              });
            }
            const now = new Date();
            const row: NewPayment = {
              paymentNo: no,
              orderNo,
              userId,
              channel: 'wallet',
              amount: order.totalAmount,
              status: 'PENDING',
              subject: `oncepay order ${orderNo}`,
              expiresAt: now,
            };
            await this.repo.insert(mm, row);
            const r = await this.success.applyIn(
              mm,
              {
                paymentNo: no,
                channel: 'wallet',
                channelTradeNo: null,
                amount: row.amount,
                paidAt: now,
                source: 'wallet',
              },
              row,
            );
            if (r.order !== 'PAID') throw alreadyPaid(orderNo);
          },
          { manager: m },
        );
        if (res.status === 'duplicate') throw alreadyPaid(orderNo);
        return no;
      },
      this.confirmPayment(() => made, orderNo),
    );
    return { created: true, payment: toResponse((await this.repo.findByPaymentNo(null, paymentNo))!) };
  }
}

function inProgress(orderNo: string, pending?: Payment): DomainError {
  return new DomainError(ErrorCode.PAYMENT_IN_PROGRESS, 'Another payment of this order is in progress', {
    orderNo,
    ...(pending ? { paymentNo: pending.paymentNo, channel: pending.channel } : {}),
  });
}

export function toResponse(p: Payment): PaymentResponse {
  return {
    paymentNo: p.paymentNo,
    orderNo: p.orderNo,
    channel: p.channel,
    status: p.status,
    amount: p.amount,
    qrCode: p.qrCode,
    expiresAt: p.expiresAt.toISOString(),
    paidAt: p.paidAt ? p.paidAt.toISOString() : null,
    closedAt: p.closedAt ? p.closedAt.toISOString() : null,
    createdAt: p.createdAt.toISOString(),
  };
}
