import { Controller, Header, HttpCode, Inject, Post, Req } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Public } from '../common/auth/auth.decorators';
import { callbackConfig } from '../config/configuration';
import { CallbackService } from './callback.service';
import { decodeNotifyBody } from './notify-body';

/** The gateway's async notify endpoint. Thin: everything is in CallbackService. */
@ApiTags('callbacks')
@Controller({ path: 'callbacks', version: '1' })
export class CallbackController {
  constructor(
    private readonly callbacks: CallbackService,
    @Inject(callbackConfig.KEY) private readonly cfg: ConfigType<typeof callbackConfig>,
  ) {}

  @Public()
  @Post('alipay')
  @HttpCode(200)
  @Header('Content-Type', 'text/plain; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Alipay async notify (called by the gateway, not by clients)',
    description:
      'RSA2-signed form body. Logged raw first, then verified (signature, app_id, seller_id, known ' +
      'out_trade_no, amount). Answers exactly `success` once the outcome is durable; `fail` makes the ' +
      'gateway re-send (bad signature, unknown trade, database down).',
  })
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiProduces('text/plain')
  @ApiBody({
    schema: {
      type: 'object',
      example: {
        notify_time: '2026-11-23 12:00:00',
        notify_type: 'trade_status_sync',
        notify_id: 'ac05099524730693a8b330c5ecf72da9786',
        app_id: '2021000000000001',
        charset: 'utf-8',
        version: '1.0',
        sign_type: 'RSA2',
        sign: '<base64 SHA256withRSA>',
        trade_no: '2026112322001400000000000001',
        out_trade_no: 'P20261123120000ABCDEF',
        trade_status: 'TRADE_SUCCESS',
        total_amount: '12.34',
        gmt_payment: '2026-11-23 20:00:00',
      },
    },
  })
  @ApiOkResponse({
    description: '`success` (handled, stop re-sending) or `fail` (re-send later)',
    type: String,
  })
  async alipay(@Req() req: FastifyRequest & { rawBody?: Buffer }): Promise<string> {
    const bytes = req.rawBody ?? Buffer.from(typeof req.body === 'string' ? req.body : '', 'utf8');
    // forms only, decoded by the declared charset (GBK included), within the callback body limit
    const body = decodeNotifyBody(req.headers['content-type'], bytes, this.cfg.bodyLimitBytes);
    return this.callbacks.receiveAlipay(body.raw, body.problem);
  }
}
