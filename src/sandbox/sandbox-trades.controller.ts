import { Body, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { sandboxConfig } from '../config/configuration';
import { armed } from './core/sim-faults';
import {
  ApiBody,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
} from '@nestjs/swagger';
import { fenToYuan } from './sandbox-money';
import { FaultsDto, InjectTradeDto, PayTradeDto } from './sandbox.dto';
import { SandboxRoutes } from './sandbox-enabled.guard';
import { SandboxNotifyService } from './sandbox-notify.service';
import { SandboxRefundService } from './sandbox-refund.service';
import { SandboxTradeService } from './sandbox-trade.service';
import { SandboxTradeRow } from './sandbox-trade.types';
import { SandboxTradeDetailResponse, SandboxTradeResponse } from './sandbox-trade-response.dto';

/** Every trade route names the trade by the out_trade_no oncepay sent, which is our paymentNo. */
const OUT_TRADE_NO = {
  name: 'outTradeNo',
  description: 'the `paymentNo` that POST /v1/orders/{orderNo}/payments answered (its out_trade_no here)',
};

/** The buyer's side of the sandbox and its fault switches, for tests and for a human in Swagger. */
@SandboxRoutes('sandbox', 'sandbox/alipay/trades')
export class SandboxTradesController {
  constructor(
    private readonly trades: SandboxTradeService,
    private readonly refunds: SandboxRefundService,
    private readonly notifies: SandboxNotifyService,
    @Inject(sandboxConfig.KEY) private readonly cfg: ConfigType<typeof sandboxConfig>,
  ) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Create an already-paid trade oncepay never issued (a stray bill line for reconciliation)',
  })
  @ApiCreatedResponse({ type: SandboxTradeResponse, description: 'the paid stray trade' })
  @ApiConflictResponse({ description: 'the out_trade_no exists' })
  async inject(@Body() dto: InjectTradeDto) {
    return view(
      await this.trades.injectPaid(
        this.cfg.alipay.appId,
        dto.outTradeNo,
        dto.amount,
        dto.subject ?? 'stray trade',
      ),
    );
  }

  @Get(':outTradeNo')
  @ApiOperation({ summary: 'A sandbox trade with its refunds and notify attempts' })
  @ApiParam(OUT_TRADE_NO)
  @ApiOkResponse({
    type: SandboxTradeDetailResponse,
    description: 'the trade, its refunds and every notify attempt',
  })
  @ApiNotFoundResponse({ description: 'unknown trade' })
  async show(@Param('outTradeNo') outTradeNo: string) {
    const t = await this.trades.get(outTradeNo);
    const attempts = await this.notifies.attemptsOf(outTradeNo);
    const refunds = await this.refunds.listForTrade(outTradeNo);
    return {
      ...view(t),
      refunds: refunds.map((r) => ({
        outRequestNo: r.out_request_no,
        refundAmount: fenToYuan(r.refund_amount),
        status: r.status,
        refundFeeAfter: r.refund_fee_after === null ? null : fenToYuan(r.refund_fee_after),
        notifyId: r.notify_id,
        gmtRefund: r.gmt_refund,
      })),
      // the core's attempt shape; tradeStatus / outBizNo are this face's older names of event / ref
      attempts: attempts.map((a) => ({ ...a, tradeStatus: a.event, outBizNo: a.ref })),
    };
  }

  @Post(':outTradeNo/scan')
  @HttpCode(200)
  @ApiOperation({
    summary: 'The buyer scans the QR code: the trade now exists for query/close (WAIT_BUYER_PAY)',
  })
  @ApiParam(OUT_TRADE_NO)
  @ApiOkResponse({ type: SandboxTradeResponse, description: 'the trade, now scanned' })
  @ApiNotFoundResponse({ description: 'unknown trade' })
  async scan(@Param('outTradeNo') outTradeNo: string) {
    return view(await this.trades.scan(outTradeNo));
  }

  @Post(':outTradeNo/pay')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'The buyer pays; notify.mode chooses how the async notify is delivered (normal, drop, duplicate, …)',
  })
  @ApiParam(OUT_TRADE_NO)
  @ApiBody({
    type: PayTradeDto,
    examples: {
      normal: { summary: 'pay; one notify, delivered at once', value: { notify: { mode: 'normal' } } },
      drop: {
        summary: 'pay; the notify never comes (the active query finds it)',
        value: { notify: { mode: 'drop' } },
      },
      duplicate: {
        summary: 'pay; 3 concurrent copies of the notify',
        value: { notify: { mode: 'duplicate', times: 3 } },
      },
      out_of_order: {
        summary: 'pay; a stale WAIT_BUYER_PAY notify after the success',
        value: { notify: { mode: 'out_of_order' } },
      },
      bad_sign: {
        summary: 'pay; the first delivery has a broken signature',
        value: { notify: { mode: 'bad_sign' } },
      },
      amount_mismatch: {
        summary: 'pay; the first delivery names another amount',
        value: { notify: { mode: 'amount_mismatch' } },
      },
      wrong_merchant: {
        summary: "pay; the first delivery is validly signed but another merchant's (app_id, seller_id)",
        value: { notify: { mode: 'wrong_merchant' } },
      },
      delay: {
        summary: 'pay; the notify comes 3 s later',
        value: { notify: { mode: 'delay', delayMs: 3000 } },
      },
    },
  })
  @ApiOkResponse({
    type: SandboxTradeResponse,
    description: 'the paid trade (the notify goes out after this answer)',
  })
  @ApiNotFoundResponse({ description: 'unknown trade' })
  @ApiConflictResponse({ description: 'already paid, or closed without allowAfterClose' })
  async pay(@Param('outTradeNo') outTradeNo: string, @Body() dto: PayTradeDto) {
    return view(await this.trades.pay(outTradeNo, dto));
  }

  @Post(':outTradeNo/faults')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Make the next `times` query/close/refund/refund-query calls of this trade time out or fail; arm the next refund notify mode',
  })
  @ApiParam(OUT_TRADE_NO)
  @ApiBody({
    type: FaultsDto,
    examples: {
      refundTimeout: {
        summary: 'the next refund call times out (refunded, answer lost)',
        value: { refund: 'timeout' },
      },
      queryError: { summary: 'the next 2 queries fail', value: { query: 'system_error', times: 2 } },
    },
  })
  @ApiOkResponse({ type: SandboxTradeResponse, description: 'the trade with its faults armed' })
  @ApiNotFoundResponse({ description: 'unknown trade' })
  async faults(@Param('outTradeNo') outTradeNo: string, @Body() dto: FaultsDto) {
    return view(await this.trades.setFaults(outTradeNo, dto));
  }
}

function view(t: SandboxTradeRow) {
  return {
    outTradeNo: t.out_trade_no,
    tradeNo: t.trade_no,
    status: t.status,
    scanned: !!t.scanned,
    totalAmount: fenToYuan(t.total_amount),
    subject: t.subject,
    qrCode: t.qr_code,
    notifyUrl: t.notify_url,
    paidAfterClose: !!t.paid_after_close,
    queryFault: armed(t, 'query'),
    closeFault: armed(t, 'close'),
    refundFee: fenToYuan(t.refund_fee),
    refundFault: armed(t, 'refund'),
    refundQueryFault: armed(t, 'refund_query'),
    refundNotify: t.refund_notify_mode
      ? { mode: t.refund_notify_mode, times: t.refund_notify_times, delayMs: t.refund_notify_delay_ms }
      : null,
    gmtCreate: t.gmt_create,
    gmtPayment: t.gmt_payment,
    gmtClose: t.gmt_close,
  };
}
