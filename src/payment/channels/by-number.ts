import type { PaymentGateway } from '../gateway/payment-gateway';
import type { ChannelGateway } from './channel';

/**
 * A ChannelGateway over a client that names trades by payment number alone (Alipay, WeChat): the
 * references are unpacked to the fields those protocols carry.
 */
export function byNumber(g: Omit<PaymentGateway, 'verifyNotify'>): ChannelGateway {
  return {
    precreate: (p, opts = {}) =>
      g.precreate({
        paymentNo: p.paymentNo,
        amount: p.amount,
        subject: p.subject,
        expiresAt: p.expiresAt,
        ...opts,
      }),
    query: (p) => g.query(p.paymentNo),
    close: (p) => g.close(p.paymentNo),
    refund: (p, r) =>
      g.refund({
        paymentNo: p.paymentNo,
        refundNo: r.refundNo,
        amount: r.amount,
        paymentAmount: p.amount,
        reason: r.reason,
        notifyUrl: r.notifyUrl,
      }),
    refundQuery: (p, r) => g.refundQuery({ paymentNo: p.paymentNo, refundNo: r.refundNo }),
    downloadBill: (date) => g.downloadBill(date),
  };
}
