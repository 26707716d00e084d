import {
  Controller,
  Get,
  HttpCode,
  Param,
  Post,
  Query,
  Req,
  Res,
  UseGuards,
  VERSION_NEUTRAL,
} from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { constants, createPrivateKey, privateDecrypt, randomBytes } from 'node:crypto';
import { Public } from '../../common/auth/auth.decorators';
import { rsaSign, rsaVerify } from '../sandbox-crypto';
import { SandboxEnabledGuard } from '../sandbox-enabled.guard';
import { WechatSandboxKeysService } from '../wechat/wechat-sandbox-keys.service';
import { toCstRfc3339 } from '../sandbox-time';
import { SandboxTransferRow } from './sandbox-payout.types';
import { SandboxFundBillService } from './sandbox-fund-bill.service';
import { paramsHash, SandboxTransferService } from './sandbox-transfer.service';

type RawRequest = FastifyRequest & { rawBody?: Buffer };
interface Answer {
  status: number;
  body: Record<string, unknown>;
  timeout?: boolean;
}
const BILLS = 'fund-app/mch-transfer/transfer-bills';
const err = (status: number, code: string, message: string): Answer => ({ status, body: { code, message } });

/**
 * WeChat Pay's face of the payout simulator: 商家转账 `POST /v3/fund-app/mch-transfer/transfer-bills` and
 * `GET …/transfer-bills/out-bill-no/{out_bill_no}`, under the WeChat sandbox's base URL. Requests must be
 * signed by the merchant (WECHATPAY2-SHA256-RSA2048), answers are signed with the platform key, and
 * `user_name` must be RSA-OAEP-encrypted with the platform key named in `Wechatpay-Serial`. A bill is
 * accepted (ACCEPTED) and, unless a fault says otherwise, confirmed by the user at once (the query shows
 * SUCCESS); the same out_bill_no with other parameters is refused 400 INVALID_REQUEST.
 */
@ApiTags('sandbox-wechat')
@Public()
@UseGuards(SandboxEnabledGuard)
@Controller({ path: 'sandbox/wechat/v3', version: VERSION_NEUTRAL })
export class SandboxWechatTransferController {
  constructor(
    private readonly core: SandboxTransferService,
    private readonly keys: WechatSandboxKeysService,
    private readonly bills: SandboxFundBillService,
  ) {}

  @Post(BILLS)
  @HttpCode(200)
  @ApiOperation({ summary: 'WeChat Pay 商家转账: start a transfer bill (signed request; use a v3 client)' })
  @ApiOkResponse({
    description: '`{out_bill_no, transfer_bill_no, create_time, state, package_info}`, signed',
  })
  async create(@Req() req: RawRequest, @Res() reply: FastifyReply): Promise<void> {
    const auth = await this.authenticate(req);
    if ('status' in auth) return this.send(reply, auth);
    let b: Record<string, unknown>;
    try {
      b = JSON.parse(req.rawBody?.toString('utf8') ?? '') as Record<string, unknown>;
    } catch {
      return this.send(reply, err(400, 'PARAM_ERROR', 'body is not JSON'));
    }
    return this.send(reply, await this.bill(b, req.headers['wechatpay-serial'], auth.mchid));
  }

  @Get(`${BILLS}/out-bill-no/:outBillNo`)
  @ApiOperation({ summary: 'WeChat Pay 商家转账: the bill by out_bill_no' })
  @ApiOkResponse({ description: 'the bill (state, transfer_amount, …), signed; 404 NOT_FOUND' })
  async query(@Req() req: RawRequest, @Res() reply: FastifyReply, @Param('outBillNo') no: string) {
    const auth = await this.authenticate(req);
    if ('status' in auth) return this.send(reply, auth);
    const q = await this.core.query('wechat', no);
    if (q.kind === 'not_found') return this.send(reply, err(404, 'NOT_FOUND', '记录不存在'));
    return this.send(reply, { status: 200, body: view(q.row, auth.mchid) });
  }

  @Get('bill/fundflowbill')
  @ApiOperation({ summary: 'WeChat Pay v3 fund-flow bill (transfers out, bounces in): download URL + SHA1' })
  @ApiOkResponse({ description: '`{download_url, hash_type, hash_value}`, signed' })
  async fundFlowBill(@Req() req: RawRequest, @Res() reply: FastifyReply, @Query('bill_date') date: unknown) {
    const auth = await this.authenticate(req);
    if ('status' in auth) return this.send(reply, auth);
    if (typeof date !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(date)) {
      return this.send(reply, err(400, 'PARAM_ERROR', 'bill_date must be yyyy-MM-dd'));
    }
    return this.send(reply, { status: 200, body: await this.bills.wechatAnswer(date) });
  }

  /** The fund-flow file. Signed request; unsigned answer (WeChat does not sign files: the SHA1 vouches). */
  @Get('billdownload/fundflow')
  @ApiOperation({ summary: 'WeChat Pay v3 fund-flow bill file (CSV)' })
  @ApiOkResponse({ description: 'the bill as CSV text (unsigned, as WeChat Pay sends files)' })
  async fundFlowFile(@Req() req: RawRequest, @Res() reply: FastifyReply, @Query('token') token: unknown) {
    const auth = await this.authenticate(req);
    if ('status' in auth) return this.send(reply, auth);
    const csv = await this.bills.wechatFile(token);
    if (csv === null) return this.send(reply, err(400, 'PARAM_ERROR', 'unknown token'));
    await reply.status(200).type('text/plain; charset=utf-8').send(csv);
  }

  private async bill(b: Record<string, unknown>, serial: unknown, mchid: string): Promise<Answer> {
    const outNo = b.out_bill_no;
    const amount = b.transfer_amount;
    if (typeof outNo !== 'string' || !/^[A-Za-z0-9]{5,32}$/.test(outNo)) {
      return err(400, 'PARAM_ERROR', 'out_bill_no: 5–32 letters or digits');
    }
    if (!Number.isSafeInteger(amount) || (amount as number) <= 0 || typeof b.openid !== 'string') {
      return err(400, 'PARAM_ERROR', 'transfer_amount / openid');
    }
    if (
      typeof b.appid !== 'string' ||
      typeof b.transfer_scene_id !== 'string' ||
      typeof b.transfer_remark !== 'string'
    ) {
      return err(400, 'PARAM_ERROR', 'appid / transfer_scene_id / transfer_remark');
    }
    let name: string | null = null;
    if (b.user_name !== undefined) {
      const keys = await this.keys.get();
      if (serial !== keys.platformKeyId)
        return err(400, 'PARAM_ERROR', 'Wechatpay-Serial is not the platform key');
      try {
        name = privateDecrypt(
          {
            key: createPrivateKey(keys.platformPrivatePem),
            padding: constants.RSA_PKCS1_OAEP_PADDING,
            oaepHash: 'sha1',
          },
          Buffer.from(String(b.user_name), 'base64'),
        ).toString('utf8');
      } catch {
        return err(400, 'PARAM_ERROR', 'user_name does not decrypt with the platform key');
      }
    }
    const out = await this.core.transfer({
      protocol: 'wechat',
      outNo,
      appId: b.appid as string,
      mchId: mchid,
      notifyUrl: typeof b.notify_url === 'string' ? b.notify_url : null,
      identity: b.openid,
      name,
      amount: amount as number,
      paramsHash: paramsHash({
        appid: b.appid,
        transfer_scene_id: b.transfer_scene_id,
        openid: b.openid,
        user_name: name,
        transfer_amount: amount,
        transfer_remark: b.transfer_remark,
      }),
    });
    switch (out.kind) {
      case 'refused':
        if (out.code === 'PAYEE_NOT_EXIST')
          return err(400, 'OPENID_INVALID', 'openid 与 appid 不匹配或不存在');
        return err(400, 'PARAM_ERROR', '收款用户姓名校验不通过');
      case 'inconsistent':
        return err(400, 'INVALID_REQUEST', '商户单号重复，且请求参数与原单不一致');
      case 'fault':
        return out.fault === 'timeout'
          ? { ...err(500, 'SYSTEM_ERROR', 'too late'), timeout: true }
          : err(500, 'SYSTEM_ERROR', '系统繁忙');
      default: {
        const r = out.row;
        const answer: Answer = {
          status: 200,
          body: {
            out_bill_no: outNo,
            transfer_bill_no: r.order_id,
            create_time: toCstRfc3339(r.created_at),
            state: r.status === 'WAIT_USER_CONFIRM' ? 'WAIT_USER_CONFIRM' : out.fresh ? 'ACCEPTED' : state(r),
            package_info: `sandbox_package_${r.order_id}`,
          },
        };
        return out.timeout ? { ...answer, timeout: true } : answer;
      }
    }
  }

  /** The signer's mchid, or the 401 answer (the merchant's serial and signature are what prove it). */
  private async authenticate(req: RawRequest): Promise<Answer | { mchid: string }> {
    const m = /^WECHATPAY2-SHA256-RSA2048 (.+)$/.exec(req.headers.authorization ?? '');
    if (!m) return err(401, 'SIGN_ERROR', 'Authorization missing or not WECHATPAY2-SHA256-RSA2048');
    const f: Record<string, string> = {};
    for (const part of m[1].matchAll(/(\w+)="([^"]*)"/g)) f[part[1]] = part[2];
    const keys = await this.keys.get();
    if (!f.mchid || f.serial_no !== keys.merchantSerial) {
      return err(401, 'SIGN_ERROR', 'unknown mchid or merchant serial');
    }
    if (!/^\d+$/.test(f.timestamp ?? '') || Math.abs(Date.now() / 1000 - Number(f.timestamp)) > 300) {
      return err(401, 'SIGN_ERROR', 'timestamp outside ±300 s');
    }
    const text = `${req.method}\n${req.url}\n${f.timestamp}\n${f.nonce_str}\n${req.rawBody?.toString('utf8') ?? ''}\n`;
    if (!f.signature || !rsaVerify(text, f.signature, keys.merchantPublicPem)) {
      return err(401, 'SIGN_ERROR', 'signature does not verify');
    }
    return { mchid: f.mchid };
  }

  private async send(reply: FastifyReply, a: Answer): Promise<void> {
    // a timeout: the answer is held until the client gives up (its socket closes), at most 30 s
    if (a.timeout) await heldUntilClosed(reply);
    const text = JSON.stringify(a.body);
    const keys = await this.keys.get();
    const ts = String(Math.floor(Date.now() / 1000));
    const nonce = randomBytes(16).toString('hex').toUpperCase();
    reply.status(a.status).headers({
      'wechatpay-timestamp': ts,
      'wechatpay-nonce': nonce,
      'wechatpay-signature': rsaSign(`${ts}\n${nonce}\n${text}\n`, keys.platformPrivatePem),
      'wechatpay-serial': keys.platformKeyId,
    });
    await reply.type('application/json; charset=utf-8').send(text);
  }
}

function heldUntilClosed(reply: FastifyReply): Promise<void> {
  return new Promise((resolve) => {
    const cap = setTimeout(resolve, 30_000);
    reply.raw.once('close', () => {
      clearTimeout(cap);
      resolve();
    });
  });
}

const state = (r: SandboxTransferRow) => (r.status === 'REFUND' ? 'SUCCESS' : r.status);

function view(r: SandboxTransferRow, mchid: string): Record<string, unknown> {
  return {
    mch_id: mchid,
    out_bill_no: r.out_no,
    transfer_bill_no: r.order_id,
    appid: r.app_id,
    state: state(r),
    transfer_amount: r.amount,
    openid: r.payee_identity,
    ...(r.fail_reason && (r.status === 'FAIL' || r.status === 'CANCELLED')
      ? { fail_reason: r.fail_reason }
      : {}),
    create_time: toCstRfc3339(r.created_at),
    update_time: toCstRfc3339(r.updated_at),
  };
}
