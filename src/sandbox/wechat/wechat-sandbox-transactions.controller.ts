import { Body, Get, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
} from '@nestjs/swagger';
import { armed } from '../core/sim-faults';
import { SandboxRoutes } from '../sandbox-enabled.guard';
import { WxFaultsDto, WxPayDto } from './wechat-sandbox.dto';
import { WechatSandboxService } from './wechat-sandbox.service';
import { WechatSandboxNotifyService } from './wechat-sandbox-notify.service';
import { WxTransactionDetailResponse, WxTransactionResponse } from './wechat-sandbox-response.dto';

const OUT_TRADE_NO = {
  name: 'outTradeNo',
  description: 'the `paymentNo` of a wechat payment (its out_trade_no here)',
};
import { WxRefundRow, WxTransactionRow } from './wechat-sandbox.types';

/** The buyer's side of the WeChat sandbox and its fault switches, for tests and for a human in Swagger. */
@SandboxRoutes('sandbox-wechat', 'sandbox/wechat/transactions')
export class WechatSandboxTransactionsController {
  constructor(
    private readonly wx: WechatSandboxService,
    private readonly notifies: WechatSandboxNotifyService,
  ) {}

  @Get(':outTradeNo')
  @ApiOperation({ summary: 'A WeChat sandbox transaction with its refunds and notify attempts' })
  @ApiParam(OUT_TRADE_NO)
  @ApiOkResponse({
    type: WxTransactionDetailResponse,
    description: 'the transaction, its refunds and every notify attempt',
  })
  @ApiNotFoundResponse({ description: 'unknown transaction' })
  async show(@Param('outTradeNo') outTradeNo: string) {
    const t = await this.wx.get(outTradeNo);
    const attempts = await this.notifies.attemptsOf(outTradeNo);
    return {
      ...view(t),
      refunds: (await this.wx.refundsOf(outTradeNo)).map(refundView),
      // the core's attempt shape; eventType is this face's older name of event
      attempts: attempts.map((a) => ({ ...a, eventType: a.event })),
    };
  }

  @Post(':outTradeNo/pay')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'The buyer pays; notify.mode chooses how TRANSACTION.SUCCESS is delivered (normal, drop, duplicate, delay, ' +
      'out_of_order, bad_sign, amount_mismatch, decrypt_fail, replay_old, wrong_merchant)',
  })
  @ApiParam(OUT_TRADE_NO)
  @ApiOkResponse({ type: WxTransactionResponse, description: 'the paid transaction' })
  @ApiNotFoundResponse({ description: 'unknown transaction' })
  @ApiConflictResponse({ description: 'already paid, or closed without allowAfterClose' })
  async pay(@Param('outTradeNo') outTradeNo: string, @Body() dto: WxPayDto) {
    return view(await this.wx.pay(outTradeNo, dto));
  }

  @Post(':outTradeNo/faults')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Make the next `times` query/close/refund calls time out, fail or answer badly signed; set the refund outcome',
  })
  @ApiParam(OUT_TRADE_NO)
  @ApiOkResponse({ type: WxTransactionResponse, description: 'the transaction with its faults armed' })
  @ApiNotFoundResponse({ description: 'unknown transaction' })
  async faults(@Param('outTradeNo') outTradeNo: string, @Body() dto: WxFaultsDto) {
    return view(await this.wx.setFaults(outTradeNo, dto));
  }
}

function view(t: WxTransactionRow) {
  return {
    outTradeNo: t.out_trade_no,
    transactionId: t.trade_state === 'NOTPAY' || t.trade_state === 'CLOSED' ? null : t.transaction_id,
    tradeState: t.trade_state,
    total: Number(t.total),
    description: t.description,
    codeUrl: t.code_url,
    notifyUrl: t.notify_url,
    paidAfterClose: !!t.paid_after_close,
    queryFault: armed(t, 'query'),
    closeFault: armed(t, 'close'),
    refundFault: armed(t, 'refund'),
    refundOutcome: t.refund_outcome,
    createdAt: t.created_at,
    successTime: t.success_time,
    closeTime: t.close_time,
  };
}

function refundView(r: WxRefundRow) {
  return {
    outRefundNo: r.out_refund_no,
    refundId: r.refund_id,
    refund: Number(r.refund),
    total: Number(r.total),
    status: r.status,
    createdAt: r.created_at,
    successTime: r.success_time,
  };
}
