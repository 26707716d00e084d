import { Controller, Header, Inject, Post, Req, Res } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import {
  ApiBody,
  ApiConsumes,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../common/auth/auth.decorators';
import { callbackConfig } from '../config/configuration';
import { UnionpayNotifyReader } from '../payment';
import { decodeNotifyBody } from './notify-body';
import { NotifyPipeline, PipelineResult } from './notify-pipeline.service';

/** How UnionPay is answered: 200 once durable; anything else makes it re-send (at most 5 sends in all). */
function statusOf(r: PipelineResult): number {
  if (r.accept) return 200;
  if (r.outcome === 'BAD_SIGNATURE' || r.outcome === 'MALFORMED') return 400;
  if (r.outcome === 'UNKNOWN_TRADE') return 404;
  return 500;
}

/** UnionPay's backUrl: the adapter reads the form, the one notify pipeline decides, this renders. */
@ApiTags('callbacks')
@Controller({ path: 'callbacks', version: '1' })
export class UnionpayCallbackController {
  constructor(
    private readonly reader: UnionpayNotifyReader,
    private readonly pipeline: NotifyPipeline,
    @Inject(callbackConfig.KEY) private readonly cfg: ConfigType<typeof callbackConfig>,
  ) {}

  @Public()
  @Post('unionpay')
  @Header('Content-Type', 'text/plain; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'UnionPay acp 5.1.0 back notify (called by UnionPay, not by clients)',
    description:
      'Form body signed with signMethod=01: SHA-256 of the sorted `k=v&…` text as lowercase hex, RSA-SHA256, ' +
      'base64; `signPubKeyCert` must chain to the configured UnionPay root and intermediate. Then merId, the ' +
      'payment (orderId) and txnAmt (integer fen) are checked; a consume (txnType 01, respCode 00) goes ' +
      'through the one success path, a refund (txnType 04) through the refund apply function. HTTP 200 only ' +
      'once the outcome is durable; any other status makes UnionPay re-send.',
  })
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiProduces('text/plain')
  @ApiBody({
    schema: {
      type: 'object',
      example: {
        version: '5.1.0',
        encoding: 'UTF-8',
        signMethod: '01',
        txnType: '01',
        txnSubType: '07',
        bizType: '000000',
        accessType: '0',
        merId: '777290058110048',
        orderId: '20261207010000123123456789012P01',
        txnTime: '20261207090000',
        txnAmt: '12345',
        currencyCode: '156',
        queryId: '752612070900001234567',
        respCode: '00',
        respMsg: 'success',
        signPubKeyCert: '-----BEGIN CERTIFICATE-----…',
        signature: '<base64 RSA-SHA256>',
      },
    },
  })
  @ApiOkResponse({
    description: 'durable (applied, a duplicate, a recorded anomaly, ignored): stop re-sending',
    type: String,
  })
  @ApiResponse({ status: 400, description: 'forged, tampered or malformed: refused (logged)' })
  @ApiResponse({ status: 404, description: 'unknown orderId: UnionPay re-sends' })
  @ApiResponse({ status: 500, description: 'could not be made durable: UnionPay re-sends' })
  async unionpay(
    @Req() req: FastifyRequest & { rawBody?: Buffer },
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    const bytes = req.rawBody ?? Buffer.from(typeof req.body === 'string' ? req.body : '', 'utf8');
    const body = decodeNotifyBody(req.headers['content-type'], bytes, this.cfg.bodyLimitBytes);
    let result: PipelineResult;
    if (body.problem) result = await this.pipeline.handle('unionpay', body.raw, { problem: body.problem });
    else {
      const read = await this.reader.read(body.raw).catch(() => null);
      result = read
        ? await this.pipeline.handle('unionpay', body.raw, read)
        : { outcome: 'ERROR', accept: false }; // keys unavailable: UnionPay re-sends
    }
    reply.status(statusOf(result));
    return result.accept ? 'ok' : 'fail';
  }
}
