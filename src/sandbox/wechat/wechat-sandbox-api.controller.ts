import { Get, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { randomBytes } from 'node:crypto';
import { sandboxConfig } from '../../config/configuration';
import { rsaSign, rsaVerify } from '../sandbox-crypto';
import { SandboxRoutes } from '../sandbox-enabled.guard';
import { WechatSandboxKeysService } from './wechat-sandbox-keys.service';
import { WechatSandboxBillService } from './wechat-sandbox-bill.service';
import { WechatSandboxService } from './wechat-sandbox.service';
import { WxAnswer, wxError } from './wechat-sandbox.types';

type RawRequest = FastifyRequest & { rawBody?: Buffer };

/**
 * The WeChat Pay API v3 endpoints of the sandbox, under /sandbox/wechat (the client's base URL). Every
 * request must carry a valid `Authorization: WECHATPAY2-SHA256-RSA2048 mchid=…,nonce_str=…,signature=…,
 * timestamp=…,serial_no=…` over `METHOD\nURL\ntimestamp\nnonce\nbody\n` (URL = path and query as received,
 * timestamp within 300 s); every answer, errors and 204 included, is signed in Wechatpay-* headers with
 * the platform key. Injected faults: `timeout` (answer held past the client's timeout), `system_error`
 * (500 SYSTEM_ERROR), `bad_sign` (the answer's signature does not verify).
 */
@SandboxRoutes('sandbox-wechat', 'sandbox/wechat/v3')
export class WechatSandboxApiController {
  constructor(
    private readonly wx: WechatSandboxService,
    private readonly bills: WechatSandboxBillService,
    private readonly keys: WechatSandboxKeysService,
    @Inject(sandboxConfig.KEY) private readonly cfg: ConfigType<typeof sandboxConfig>,
  ) {}

  @Post('pay/transactions/native')
  @HttpCode(200)
  @ApiOperation({ summary: 'WeChat Pay v3 Native order → code_url (signed request; use a v3 client)' })
  @ApiOkResponse({ description: '`{code_url}`, signed in the Wechatpay-* headers' })
  async native(@Req() req: RawRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.handle(req, reply, (mchid, body) => this.wx.native(mchid, body));
  }

  @Get('pay/transactions/out-trade-no/:outTradeNo')
  @ApiOperation({ summary: 'WeChat Pay v3 query by out_trade_no' })
  @ApiOkResponse({
    description: 'the transaction as WeChat Pay v3 shows it (trade_state, amount, …), signed',
  })
  async query(
    @Req() req: RawRequest,
    @Res() reply: FastifyReply,
    @Param('outTradeNo') outTradeNo: string,
    @Query('mchid') mchid: unknown,
  ): Promise<void> {
    await this.handle(req, reply, (signer) => this.wx.query(signer, outTradeNo, mchid));
  }

  @Post('pay/transactions/out-trade-no/:outTradeNo/close')
  @ApiOperation({ summary: 'WeChat Pay v3 close (204)' })
  @ApiNoContentResponse({ description: 'closed (signed, empty body)' })
  async close(@Req() req: RawRequest, @Res() reply: FastifyReply, @Param('outTradeNo') outTradeNo: string) {
    await this.handle(req, reply, (mchid, body) => this.wx.close(mchid, outTradeNo, body));
  }

  @Post('refund/domestic/refunds')
  @ApiOperation({ summary: 'WeChat Pay v3 refund' })
  @ApiOkResponse({ description: 'the refund (status PROCESSING, SUCCESS, …), signed' })
  async refund(@Req() req: RawRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.handle(req, reply, (mchid, body) => this.wx.refund(mchid, body));
  }

  @Get('refund/domestic/refunds/:outRefundNo')
  @ApiOperation({ summary: 'WeChat Pay v3 refund query' })
  @ApiOkResponse({ description: 'the refund as WeChat Pay v3 shows it, signed' })
  async refundQuery(@Req() req: RawRequest, @Res() reply: FastifyReply, @Param('outRefundNo') no: string) {
    await this.handle(req, reply, (mchid) => this.wx.refundQuery(mchid, no));
  }

  @Get('bill/tradebill')
  @ApiOperation({ summary: 'WeChat Pay v3 trade bill: download URL + SHA1' })
  @ApiOkResponse({ description: '`{download_url, hash_type, hash_value}`, signed' })
  async tradeBill(
    @Req() req: RawRequest,
    @Res() reply: FastifyReply,
    @Query('bill_date') date: unknown,
    @Query('bill_type') type: unknown,
  ): Promise<void> {
    await this.handle(req, reply, () => this.bills.tradeBill(date, type));
  }

  /** The bill file. Signed request; unsigned answer (WeChat does not sign files: the SHA1 vouches). */
  @Get('billdownload/file')
  @ApiOperation({ summary: 'WeChat Pay v3 bill file download (CSV)' })
  @ApiOkResponse({ description: 'the bill as CSV text (unsigned, as WeChat Pay sends files)' })
  async billFile(@Req() req: RawRequest, @Res() reply: FastifyReply, @Query('token') token: unknown) {
    const auth = await this.authenticate(req);
    if (typeof auth !== 'string') return this.send(reply, auth);
    const csv = await this.bills.billFile(token);
    if (csv === null) return this.send(reply, wxError(400, 'PARAM_ERROR', 'unknown token'));
    await reply.status(200).type('text/plain; charset=utf-8').send(csv);
  }

  private async handle(
    req: RawRequest,
    reply: FastifyReply,
    run: (mchid: string, body: Record<string, unknown>) => Promise<WxAnswer>,
  ): Promise<void> {
    const auth = await this.authenticate(req);
    if (typeof auth !== 'string') return this.send(reply, auth);
    let body: Record<string, unknown> = {};
    if (req.method === 'POST') {
      try {
        body = JSON.parse(req.rawBody?.toString('utf8') ?? '') as Record<string, unknown>;
      } catch {
        return this.send(reply, wxError(400, 'PARAM_ERROR', 'body is not JSON'));
      }
      if (!body || typeof body !== 'object')
        return this.send(reply, wxError(400, 'PARAM_ERROR', 'body is not an object'));
    }
    return this.send(reply, await run(auth, body));
  }

  /** The signer's mchid, or the 401 answer. */
  private async authenticate(req: RawRequest): Promise<string | WxAnswer> {
    const header = req.headers.authorization ?? '';
    const m = /^WECHATPAY2-SHA256-RSA2048 (.+)$/.exec(header);
    if (!m)
      return wxError(401, 'SIGN_ERROR', 'Authorization header missing or not WECHATPAY2-SHA256-RSA2048');
    const fields: Record<string, string> = {};
    for (const part of m[1].matchAll(/(\w+)="([^"]*)"/g)) fields[part[1]] = part[2];
    const { mchid, nonce_str: nonce, signature, timestamp, serial_no: serial } = fields;
    if (!mchid || !nonce || !signature || !timestamp || !serial) {
      return wxError(
        401,
        'SIGN_ERROR',
        'Authorization is missing mchid, nonce_str, signature, timestamp or serial_no',
      );
    }
    const keys = await this.keys.get();
    if (mchid !== this.cfg.wechat.mchid) return wxError(401, 'SIGN_ERROR', `unknown mchid ${mchid}`);
    if (serial !== keys.merchantSerial)
      return wxError(401, 'SIGN_ERROR', `unknown merchant serial ${serial}`);
    if (!/^\d+$/.test(timestamp) || Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) {
      return wxError(401, 'SIGN_ERROR', 'timestamp outside ±300 s');
    }
    const body = req.rawBody?.toString('utf8') ?? '';
    const text = `${req.method}\n${req.url}\n${timestamp}\n${nonce}\n${body}\n`;
    if (!rsaVerify(text, signature, keys.merchantPublicPem)) {
      return wxError(401, 'SIGN_ERROR', 'signature does not verify');
    }
    return mchid;
  }

  private async send(reply: FastifyReply, a: WxAnswer): Promise<void> {
    if (a.fault === 'timeout') {
      // hold the answer past the client's timeout: the client cannot know whether anything happened
      await new Promise((r) => setTimeout(r, this.cfg.wechat.holdMs));
    }
    const answer = a.fault === 'system_error' ? wxError(500, 'SYSTEM_ERROR', 'system error') : a;
    const text = answer.body ? JSON.stringify(answer.body) : '';
    const keys = await this.keys.get();
    const ts = String(Math.floor(Date.now() / 1000));
    const nonce = randomBytes(16).toString('hex').toUpperCase();
    const signed = `${ts}\n${nonce}\n${a.fault === 'bad_sign' ? `${text}x` : text}\n`;
    reply.status(answer.status).headers({
      'wechatpay-timestamp': ts,
      'wechatpay-nonce': nonce,
      'wechatpay-signature': rsaSign(signed, keys.platformPrivatePem),
      'wechatpay-serial': keys.platformKeyId,
      'request-id': randomBytes(8).toString('hex'),
    });
    if (answer.status === 204) {
      await reply.send();
      return;
    }
    await reply.type('application/json; charset=utf-8').send(text);
  }
}
