import { ApiProperty } from '@nestjs/swagger';
import { EX } from '../../common/openapi/examples';
import { At, Nullable, SimAttemptView, SimFaultState } from '../core/sim.dto';
import { WX_REFUND_OUTCOMES } from './wechat-sandbox.types';

/** An armed fault (the core's shape). */
export class WxFaultState extends SimFaultState {}

/** A transaction as the simulated WeChat Pay holds it (what POST …/pay and …/faults answer). */
export class WxTransactionResponse {
  @ApiProperty({ example: EX.paymentNo, description: 'the out_trade_no oncepay sent: our `paymentNo`' })
  outTradeNo: string;

  @Nullable(String, '4200000000202611230000000001', 'null until paid')
  transactionId: string | null;

  @ApiProperty({ enum: ['NOTPAY', 'SUCCESS', 'CLOSED', 'REFUND'], example: 'SUCCESS' })
  tradeState: string;

  @ApiProperty({ type: 'integer', minimum: 1, example: 17600, description: 'integer fen' })
  total: number;

  @ApiProperty({ example: 'Longjing tea 250 g ×2' })
  description: string;

  @ApiProperty({ example: 'weixin://wxpay/bizpayurl?pr=sbx8c1f0d6' })
  codeUrl: string;

  @ApiProperty({ example: 'http://127.0.0.1:3000/v1/callbacks/wechat' })
  notifyUrl: string;

  @ApiProperty({ example: false, description: 'paid after it was closed (allowAfterClose)' })
  paidAfterClose: boolean;

  @Nullable(WxFaultState, null)
  queryFault: WxFaultState | null;

  @Nullable(WxFaultState, null)
  closeFault: WxFaultState | null;

  @Nullable(WxFaultState, null)
  refundFault: WxFaultState | null;

  @ApiProperty({ enum: WX_REFUND_OUTCOMES, example: 'SUCCESS', description: 'how the next refund ends' })
  refundOutcome: string;

  @At(EX.createdAt)
  createdAt: string;

  @At(EX.paidAt, 'null')
  successTime: string | null;

  @At(null, 'null')
  closeTime: string | null;
}

export class WxRefundView {
  @ApiProperty({ example: EX.refundNo, description: 'our `refundNo`' })
  outRefundNo: string;

  @ApiProperty({ example: '50300000000202611230000000001' })
  refundId: string;

  @ApiProperty({ type: 'integer', minimum: 1, example: 5000, description: 'integer fen' })
  refund: number;

  @ApiProperty({
    type: 'integer',
    minimum: 1,
    example: 17600,
    description: 'integer fen, the transaction total',
  })
  total: number;

  @ApiProperty({ enum: ['PROCESSING', 'SUCCESS', 'ABNORMAL', 'CLOSED'], example: 'SUCCESS' })
  status: string;

  @At(EX.refundedAt)
  createdAt: string;

  @At(EX.refundedAt, 'null')
  successTime: string | null;
}

/** The core's attempt, with this face's older name of `event`. */
export class WxNotifyAttempt extends SimAttemptView {
  @ApiProperty({ example: 'TRANSACTION.SUCCESS', description: '= event' })
  eventType: string;
}

/** GET /sandbox/wechat/transactions/{outTradeNo}: the transaction, its refunds and every notify attempt. */
export class WxTransactionDetailResponse extends WxTransactionResponse {
  @ApiProperty({ type: [WxRefundView] })
  refunds: WxRefundView[];

  @ApiProperty({ type: [WxNotifyAttempt] })
  attempts: WxNotifyAttempt[];
}
