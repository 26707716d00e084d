import {
  Controller,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Req,
  Res,
  UseGuards,
  VERSION_NEUTRAL,
} from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sandboxConfig } from '../config/configuration';
import { Public } from '../common/auth/auth.decorators';
import { DomainError, ErrorCode } from '../common/errors';
import { ApiErrors } from '../common/openapi/api-errors.decorator';
import { fenToYuan } from './sandbox-money';
import { certRefusal } from './sandbox-certs';
import { rsaSign, rsaVerify, signContent } from './sandbox-crypto';
import { SandboxEnabledGuard } from './sandbox-enabled.guard';
import { SandboxKeyService } from './sandbox-key.service';
import { SandboxRefundService } from './sandbox-refund.service';
import { SandboxTradeService } from './sandbox-trade.service';
import { toCst } from './sandbox-time';
import { SandboxBillResponse } from './sandbox-trade-response.dto';
import { bizError, Fault, GatewayAnswer, ok } from './sandbox-trade.types';
import { ALIPAY_FUND_METHODS, SandboxAlipayFundService } from './payouts/sandbox-alipay-fund.service';
import { SandboxFundBillService } from './payouts/sandbox-fund-bill.service';

const METHODS = [
  'alipay.trade.precreate',
  'alipay.trade.query',
  'alipay.trade.close',
  'alipay.data.dataservice.bill.downloadurl.query',
  'alipay.trade.refund',
  'alipay.trade.fastpay.refund.query',
  ...ALIPAY_FUND_METHODS, // payouts (src/sandbox/payouts)
];

/**
 * The Alipay OpenAPI endpoint of the sandbox. Speaks the protocol byte for byte as alipay-sdk expects:
 * common params in the query string merged with the form body, RSA2 request signature checked with the
 * merchant's public key, responses signed over the exact JSON text of `<method>_response`.
 */
@ApiTags('sandbox')
@Public()
@UseGuards(SandboxEnabledGuard)
@Controller({ path: 'sandbox/alipay', version: VERSION_NEUTRAL })
export class SandboxGatewayController {
  constructor(
    private readonly trades: SandboxTradeService,
    private readonly refunds: SandboxRefundService,
    private readonly keys: SandboxKeyService,
    private readonly fund: SandboxAlipayFundService,
    private readonly fundBills: SandboxFundBillService,
    @Inject(sandboxConfig.KEY) private readonly cfg: ConfigType<typeof sandboxConfig>,
  ) {}

  @Post('gateway.do')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Alipay OpenAPI (precreate, query, close, refund, refund query, bill URL) — form-encoded, RSA2-signed; use alipay-sdk',
  })
  @ApiOkResponse({
    description:
      'always 200, as Alipay answers: `{"<method>_response": {code, msg, …}, "sign": "…"}`; code 10000 is success',
  })
  async gateway(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const params = mergeParams(req.query, req.body);
    const method = params.method ?? '';
    const key = METHODS.includes(method) ? `${method.replace(/\./g, '_')}_response` : 'error_response';
    const answer = await this.answer(method, params);
    if (answer === 'timeout') {
      // hold the answer past the client's timeout: the client cannot know whether anything happened
      await new Promise((r) => setTimeout(r, this.cfg.alipay.holdMs));
    }
    const inner = JSON.stringify(
      answer === 'timeout'
        ? bizError('ACQ.SYSTEM_ERROR', 'too late')
        : answer === 'system_error'
          ? bizError('ACQ.SYSTEM_ERROR', 'system error')
          : answer === 'service_unavailable'
            ? {
                code: '20000',
                msg: 'Service Currently Unavailable',
                sub_code: 'isp.unknow-error',
                sub_msg: '系统繁忙',
              }
            : answer,
    );
    const sign = rsaSign(inner, await this.keys.gatewayPrivateKey());
    const certSn =
      params.app_cert_sn || params.alipay_root_cert_sn
        ? `"alipay_cert_sn":"${(await this.keys.certSns()).alipayCertSn}",`
        : '';
    await reply.type('application/json; charset=utf-8').send(`{"${key}":${inner},${certSn}"sign":"${sign}"}`);
  }

  @Get('bills/:date')
  @ApiOperation({
    summary: "The day's paid trades and refunds (China time), as JSON — where the bill download URL points",
  })
  @ApiParam({
    name: 'date',
    description: 'the bill date, China time',
    schema: { type: 'string', format: 'date' },
  })
  @ApiOkResponse({ type: SandboxBillResponse, description: "the day's bill lines, amounts in yuan" })
  @ApiErrors([ErrorCode.VALIDATION_FAILED, 'date: yyyy-MM-dd'])
  async bill(@Param('date') date: string) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date))
      throw new DomainError(ErrorCode.VALIDATION_FAILED, 'date: yyyy-MM-dd');
    const rows = await this.trades.paidOn(date);
    const refunds = await this.refunds.refundedOn(date);
    return {
      bill_date: date,
      // a payment line stays a payment (TRADE_SUCCESS) after the trade is refunded; refunds have their own lines
      trades: rows.map((t) => ({
        trade_no: t.trade_no,
        out_trade_no: t.out_trade_no,
        trade_status: 'TRADE_SUCCESS',
        total_amount: fenToYuan(t.total_amount),
        subject: t.subject,
        gmt_create: toCst(t.gmt_create),
        gmt_payment: t.gmt_payment ? toCst(t.gmt_payment) : null,
      })),
      refunds: refunds.map((r) => ({
        trade_no: r.trade_no,
        out_trade_no: r.out_trade_no,
        out_request_no: r.out_request_no,
        refund_amount: `-${fenToYuan(r.refund_amount)}`,
        gmt_refund: toCst(r.gmt_refund!),
      })),
    };
  }

  private async answer(method: string, params: Record<string, string>): Promise<GatewayAnswer | Fault> {
    if (!params.sign || !params.app_id || !params.sign_type) {
      return {
        code: '40001',
        msg: 'Missing Required Arguments',
        sub_code: 'isv.missing-signature',
        sub_msg: '',
      };
    }
    if (params.app_id !== this.cfg.alipay.appId) {
      return {
        code: '40002',
        msg: 'Invalid Arguments',
        sub_code: 'isv.invalid-app-id',
        sub_msg: 'unknown app_id',
      };
    }
    if (params.sign_type !== 'RSA2') {
      return { code: '40002', msg: 'Invalid Arguments', sub_code: 'isv.invalid-signature-type', sub_msg: '' };
    }
    const certRequired = this.cfg.alipay.fundCertRequired && ALIPAY_FUND_METHODS.includes(method);
    if (certRequired || params.app_cert_sn || params.alipay_root_cert_sn) {
      const refusal = certRefusal(params, await this.keys.certSns(), certRequired);
      if (refusal) return refusal;
    }
    const content = signContent(params, false);
    if (!rsaVerify(content, params.sign, await this.keys.merchantPublicKey())) {
      return {
        code: '40002',
        msg: 'Invalid Arguments',
        sub_code: 'isv.invalid-signature',
        sub_msg: 'signature does not verify with the merchant public key',
      };
    }
    if (!METHODS.includes(method)) {
      return { code: '40002', msg: 'Invalid Arguments', sub_code: 'isv.invalid-method', sub_msg: method };
    }
    let biz: Record<string, unknown>;
    try {
      biz = JSON.parse(params.biz_content ?? '{}');
      if (typeof biz !== 'object' || biz === null || Array.isArray(biz)) throw new Error('not an object');
    } catch {
      return bizError('ACQ.INVALID_PARAMETER', 'biz_content is not a JSON object');
    }
    switch (method) {
      case 'alipay.trade.precreate':
        return this.trades.precreate(params.app_id, biz, params.notify_url || null);
      case 'alipay.trade.query':
        return this.trades.query(biz);
      case 'alipay.trade.close':
        return this.trades.close(biz);
      case 'alipay.trade.refund':
        return this.refunds.refund(biz, params.notify_url || null);
      case 'alipay.trade.fastpay.refund.query':
        return this.refunds.query(biz);
      case 'alipay.fund.trans.uni.transfer':
      case 'alipay.fund.trans.common.query':
        return this.fund.answer(method, biz, { appId: params.app_id, notifyUrl: params.notify_url || null });
      default: {
        const date = biz.bill_date;
        const type = biz.bill_type;
        if (
          (type !== 'trade' && type !== 'signcustomer') ||
          typeof date !== 'string' ||
          !/^\d{4}-\d{2}-\d{2}$/.test(date)
        ) {
          return bizError(
            'isv.invalid-arguments',
            'bill_type must be trade or signcustomer, bill_date yyyy-MM-dd',
          );
        }
        // signcustomer: the fund account bill (payouts, src/sandbox/payouts)
        if (type === 'signcustomer') return ok({ bill_download_url: this.fundBills.alipayUrl(date) });
        return ok({ bill_download_url: `${this.trades.baseUrl}/sandbox/alipay/bills/${date}` });
      }
    }
  }
}

/** Common params arrive in the query string, biz_content in the form body: one flat map of strings. */
function mergeParams(query: unknown, body: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const src of [query, body]) {
    if (!src || typeof src !== 'object') continue;
    for (const [k, v] of Object.entries(src as Record<string, unknown>)) {
      if (typeof v === 'string') out[k] = v;
    }
  }
  return out;
}
