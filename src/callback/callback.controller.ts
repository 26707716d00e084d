import { applyDecorators, Controller, Header, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import {
  ApiBody,
  ApiConsumes,
  ApiHeader,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../common/auth/auth.decorators';
import { callbackConfig } from '../config/configuration';
import { AlipayNotifyAdapter, UnionpayNotifyAdapter, WechatNotifyAdapter } from '../payment';
import { decodeNotifyBody } from '../common/http/notify-body';
import { NotifyPipeline } from './notify-pipeline.service';

type RawRequest = FastifyRequest & { rawBody?: Buffer };

/** A form notify route: answered as text, never cached, documented with an example form. */
const FormNotify = (example: Record<string, string>) =>
  applyDecorators(
    Header('Content-Type', 'text/plain; charset=utf-8'),
    Header('Cache-Control', 'no-store'),
    ApiConsumes('application/x-www-form-urlencoded'),
    ApiProduces('text/plain'),
    ApiBody({ schema: { type: 'object', example } }),
  );

/** The JSON content types a WeChat notify may carry. */
const JSON_TYPE = /^application\/json\b/i;

/**
 * The gateways' async notify endpoints, one per channel. Thin: the bytes go to the one NotifyPipeline
 * with the channel's adapter (which reads the wire format and renders the gateway's answer).
 */
@ApiTags('callbacks')
@Controller({ path: 'callbacks', version: '1' })
export class CallbackController {
  constructor(
    private readonly pipeline: NotifyPipeline,
    private readonly alipayAdapter: AlipayNotifyAdapter,
    private readonly wechatAdapter: WechatNotifyAdapter,
    private readonly unionpayAdapter: UnionpayNotifyAdapter,
    @Inject(callbackConfig.KEY) private readonly cfg: ConfigType<typeof callbackConfig>,
  ) {}

  /** A form notify's text: decoded by its charset (GBK included), within the callback body limit. */
  private form(req: RawRequest) {
    const bytes = req.rawBody ?? Buffer.from(typeof req.body === 'string' ? req.body : '', 'utf8');
    return decodeNotifyBody(req.headers['content-type'], bytes, this.cfg.bodyLimitBytes);
  }

  @Public()
  @Post('alipay')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Alipay async notify (called by the gateway, not by clients)',
    description:
      'RSA2-signed form body. Verified first (a forged or malformed body is logged cut to 2 KB and changes ' +
      'nothing), then checked (app_id, seller_id, known out_trade_no, amount) and logged whole with its ' +
      'outcome, in the transaction that applies it. Answers exactly `success` once the outcome is durable; `fail` makes the ' +
      'gateway re-send (bad signature, unknown trade, database down).',
  })
  @FormNotify({
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
  })
  @ApiOkResponse({
    description: '`success` (handled, stop re-sending) or `fail` (re-send later)',
    type: String,
  })
  alipay(@Req() req: RawRequest): Promise<string> {
    const body = this.form(req);
    const problem = body.problem ? { message: body.problem } : undefined;
    return this.pipeline.receive(this.alipayAdapter, { body: body.raw, headers: req.headers }, problem);
  }

  @Public()
  @Post('wechat')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'WeChat Pay v3 notify (called by WeChat, not by clients)',
    description:
      'JSON `{id, create_time, event_type, resource_type, resource: {algorithm: AEAD_AES_256_GCM, ciphertext, ' +
      'associated_data, nonce, original_type}, summary}`. The Wechatpay-* signature headers are verified on the ' +
      'raw body first (timestamp within ±300 s), then the resource is decrypted with the APIv3 key, then ' +
      'mchid/appid, out_trade_no and amount.total are checked; the payment goes through the one success path, ' +
      'REFUND.* events through the refund apply function. 204 with no body once the outcome is durable; ' +
      '4xx/5xx `{"code":"FAIL","message":…}` makes WeChat re-send.',
  })
  @ApiConsumes('application/json')
  @ApiHeader({ name: 'Wechatpay-Timestamp', required: true, example: '1764532800' })
  @ApiHeader({ name: 'Wechatpay-Nonce', required: true, example: 'fdasflkja484w' })
  @ApiHeader({ name: 'Wechatpay-Signature', required: true, example: '<base64 SHA256withRSA>' })
  @ApiHeader({
    name: 'Wechatpay-Serial',
    required: true,
    example: 'PUB_KEY_ID_0119000001092026113000000000000001',
  })
  @ApiBody({
    schema: {
      type: 'object',
      example: {
        id: 'EV-2018022511223320873',
        create_time: '2026-11-30T20:00:00+08:00',
        resource_type: 'encrypt-resource',
        event_type: 'TRANSACTION.SUCCESS',
        summary: '支付成功',
        resource: {
          original_type: 'transaction',
          algorithm: 'AEAD_AES_256_GCM',
          ciphertext: '<base64>',
          associated_data: 'transaction',
          nonce: 'fdasflkja484',
        },
      },
    },
  })
  @ApiNoContentResponse({
    description: 'accepted (applied, a duplicate, or a recorded anomaly): stop re-sending',
  })
  @ApiResponse({
    status: 401,
    description:
      'signature headers missing, stale (replayed) or not verifying: `{"code":"FAIL","message":"BAD_SIGNATURE"}`',
  })
  @ApiResponse({ status: 400, description: 'undecryptable or malformed resource: FAIL' })
  @ApiResponse({ status: 404, description: 'unknown out_trade_no (WeChat re-sends): FAIL' })
  @ApiResponse({ status: 500, description: 'could not be made durable (WeChat re-sends): FAIL' })
  async wechat(
    @Req() req: RawRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<{ code: 'FAIL'; message: string } | undefined> {
    const bytes = req.rawBody ?? Buffer.alloc(0);
    const type = req.headers['content-type'];
    const problem = !JSON_TYPE.test(type ?? '')
      ? { status: 415, message: `content-type ${(type ?? 'none').slice(0, 60)} is not JSON` }
      : bytes.length > this.cfg.bodyLimitBytes
        ? { status: 413, message: `body of ${bytes.length} bytes over ${this.cfg.bodyLimitBytes}` }
        : undefined;
    const raw = { body: bytes.toString('utf8'), headers: req.headers };
    const answer = await this.pipeline.receive(this.wechatAdapter, raw, problem);
    reply.status(answer.status);
    return 'body' in answer ? answer.body : undefined;
  }

  @Public()
  @Post('unionpay')
  @ApiOperation({
    summary: 'UnionPay acp 5.1.0 back notify (called by UnionPay, not by clients)',
    description:
      'Form body signed with signMethod=01: SHA-256 of the sorted `k=v&…` text as lowercase hex, RSA-SHA256, ' +
      'base64; `signPubKeyCert` must chain to the configured UnionPay root and intermediate. Then merId, the ' +
      'payment (orderId) and txnAmt (integer fen) are checked; a consume (txnType 01, respCode 00) goes ' +
      'through the one success path, a refund (txnType 04) through the refund apply function. HTTP 200 only ' +
      'once the outcome is durable; any other status makes UnionPay re-send.',
  })
  @FormNotify({
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
  })
  @ApiOkResponse({
    description: 'durable (applied, a duplicate, a recorded anomaly, ignored): stop re-sending',
    type: String,
  })
  @ApiResponse({ status: 400, description: 'forged, tampered or malformed: refused (logged)' })
  @ApiResponse({ status: 404, description: 'unknown orderId: UnionPay re-sends' })
  @ApiResponse({ status: 500, description: 'could not be made durable: UnionPay re-sends' })
  async unionpay(@Req() req: RawRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const body = this.form(req);
    const problem = body.problem ? { message: body.problem } : undefined;
    const raw = { body: body.raw, headers: req.headers };
    const answer = await this.pipeline.receive(this.unionpayAdapter, raw, problem);
    reply.status(answer.status);
    return answer.body;
  }
}
