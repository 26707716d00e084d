import { ApiProperty } from '@nestjs/swagger';
import { EX } from '../common/openapi/examples';
import { At, Nullable, SimAttemptView, SimFaultState } from './core/sim.dto';
import { REFUND_NOTIFY_MODES } from './sandbox-trade.types';

/** Amounts at the gateway are yuan strings with two decimals, as Alipay sends them. */
const YUAN = { pattern: '^[0-9]+\\.[0-9]{2}$' };

/** An armed fault (the core's shape). */
export class SandboxFaultState extends SimFaultState {}

export class SandboxRefundNotifyState {
  @ApiProperty({ enum: REFUND_NOTIFY_MODES, example: 'duplicate' })
  mode: string;

  @Nullable('integer', 2)
  times: number | null;

  @Nullable('integer', null)
  delayMs: number | null;
}

/** A trade as the simulated gateway holds it (what POST …/pay, …/scan, …/faults answer). */
export class SandboxTradeResponse {
  @ApiProperty({ example: EX.paymentNo, description: 'the out_trade_no oncepay sent: our `paymentNo`' })
  outTradeNo: string;

  @ApiProperty({ example: '2026112322001400000000000001', description: "the gateway's own trade number" })
  tradeNo: string;

  @ApiProperty({ enum: ['WAIT_BUYER_PAY', 'TRADE_SUCCESS', 'TRADE_CLOSED'], example: 'TRADE_SUCCESS' })
  status: string;

  @ApiProperty({ example: true, description: 'the buyer scanned the QR code' })
  scanned: boolean;

  @ApiProperty({ ...YUAN, example: '176.00', description: 'yuan, as the gateway writes it' })
  totalAmount: string;

  @ApiProperty({ example: 'Longjing tea 250 g ×2' })
  subject: string;

  @ApiProperty({ example: 'https://qr.alipay.com/sbx8c1f0d6a2b4e' })
  qrCode: string;

  @Nullable(String, 'http://127.0.0.1:3000/v1/callbacks/alipay')
  notifyUrl: string | null;

  @ApiProperty({ example: false, description: 'paid after it was closed (allowAfterClose)' })
  paidAfterClose: boolean;

  @Nullable(SandboxFaultState, null, 'armed query fault')
  queryFault: SandboxFaultState | null;

  @Nullable(SandboxFaultState, null, 'armed close fault')
  closeFault: SandboxFaultState | null;

  @ApiProperty({ ...YUAN, example: '0.00', description: 'yuan refunded so far' })
  refundFee: string;

  @Nullable(SandboxFaultState, null, 'armed refund fault')
  refundFault: SandboxFaultState | null;

  @Nullable(SandboxFaultState, null, 'armed refund-query fault')
  refundQueryFault: SandboxFaultState | null;

  @Nullable(SandboxRefundNotifyState, null, 'armed refund notify')
  refundNotify: SandboxRefundNotifyState | null;

  @At(EX.createdAt)
  gmtCreate: string;

  @At(EX.paidAt, 'null')
  gmtPayment: string | null;

  @At(null, 'null')
  gmtClose: string | null;
}

export class SandboxRefundView {
  @ApiProperty({ example: EX.refundNo, description: 'our `refundNo`' })
  outRequestNo: string;

  @ApiProperty({ ...YUAN, example: '50.00' })
  refundAmount: string;

  @ApiProperty({ example: 'SUCCESS' })
  status: string;

  @ApiProperty({ type: String, ...YUAN, nullable: true, example: '50.00' })
  refundFeeAfter: string | null;

  @Nullable(String, null)
  notifyId: string | null;

  @At(EX.refundedAt, 'null')
  gmtRefund: string | null;
}

/** The core's attempt, with this face's older names of `event` / `ref`. */
export class SandboxNotifyAttempt extends SimAttemptView {
  @ApiProperty({ example: 'TRADE_SUCCESS', description: '= event' })
  tradeStatus: string;

  @Nullable(String, null, '= ref')
  outBizNo: string | null;
}

/** GET /sandbox/alipay/trades/{outTradeNo}: the trade, its refunds and every notify attempt. */
export class SandboxTradeDetailResponse extends SandboxTradeResponse {
  @ApiProperty({ type: [SandboxRefundView] })
  refunds: SandboxRefundView[];

  @ApiProperty({ type: [SandboxNotifyAttempt] })
  attempts: SandboxNotifyAttempt[];
}

/** China time, as Alipay writes it: `yyyy-MM-dd HH:mm:ss`. */
const CST = { pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$' };

export class SandboxBillTrade {
  @ApiProperty({ example: '2026112322001400000000000001' })
  trade_no: string;

  @ApiProperty({ example: EX.paymentNo })
  out_trade_no: string;

  @ApiProperty({ enum: ['TRADE_SUCCESS'], example: 'TRADE_SUCCESS' })
  trade_status: string;

  @ApiProperty({ ...YUAN, example: '176.00' })
  total_amount: string;

  @ApiProperty({ example: 'Longjing tea 250 g ×2' })
  subject: string;

  @ApiProperty({ ...CST, example: '2026-11-23 20:00:00' })
  gmt_create: string;

  @ApiProperty({ type: String, ...CST, nullable: true, example: '2026-11-23 20:03:10' })
  gmt_payment: string | null;
}

export class SandboxBillRefund {
  @ApiProperty({ example: '2026112322001400000000000001' })
  trade_no: string;

  @ApiProperty({ example: EX.paymentNo })
  out_trade_no: string;

  @ApiProperty({ example: EX.refundNo })
  out_request_no: string;

  @ApiProperty({ pattern: '^-[0-9]+\\.[0-9]{2}$', example: '-50.00', description: 'negative yuan' })
  refund_amount: string;

  @ApiProperty({ ...CST, example: '2026-11-23 20:15:00' })
  gmt_refund: string;
}

/** GET /sandbox/alipay/bills/{date}: what the bill download URL of that day serves. */
export class SandboxBillResponse {
  @ApiProperty({ format: 'date', example: '2026-11-23' })
  bill_date: string;

  @ApiProperty({ type: [SandboxBillTrade], description: 'payments of the day (China time), refunded or not' })
  trades: SandboxBillTrade[];

  @ApiProperty({ type: [SandboxBillRefund], description: 'refunds of the day, one line each' })
  refunds: SandboxBillRefund[];
}
