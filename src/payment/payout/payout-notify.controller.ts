import { Controller, HttpCode, Inject, Logger, Post, Req, Res } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { ApiExcludeEndpoint, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../../common/auth/auth.decorators';
import { decodeNotifyBody } from '../../common/http/notify-body';
import { callbackConfig } from '../../config/configuration';
import { alipayConfig } from '../channels/alipay/alipay.config';
import { AlipayTransferClient, byAlipayStatus } from '../channels/alipay/alipay-transfer';
import { readAlipayTransferNotify } from '../channels/alipay/alipay-transfer-notify';
import { WechatKeysProvider } from '../channels/wechat/wechat-keys.provider';
import { byState } from '../channels/wechat/wechat-transfer';
import { readTransferNotify } from '../channels/wechat/wechat-transfer-notify';
import { PayoutTransfer, TransferResult } from './payout-gateway';
import { PayoutChannel } from './payout-state';
import { PayoutRepository } from './payout.repository';
import { PayoutSettleService, transferOf } from './payout-settle.service';

type RawRequest = FastifyRequest & { rawBody?: Buffer };

/** What a channel's notify reader found in a notify that verified: the transfer it is about. */
interface TransferNews {
  channel: PayoutChannel;
  id: string;
  payoutNo: string;
  /** fen */
  amount: number;
  /** the news as a result, by the channel's one mapping of its transfer states (answer, query, notify) */
  result: (t: PayoutTransfer) => TransferResult;
}

/**
 * The gateways' transfer notifies, the third way a payout's outcome arrives beside the transfer query and
 * the sweeper: WeChat Pay's 商家转账 `MCHTRANSFER.BILL.FINISHED` and Alipay's `alipay.fund.trans.order.changed`.
 * Each is verified by its channel's reader first; then one path for both (`apply`): news whose number is not
 * a payout of that channel, or whose amount is not the payout's, changes nothing; the rest goes through the
 * same PayoutSettleService.onResult as an answer or a query (SUCCESS succeeds once; FAIL / CANCELLED and a
 * bounce return the money once, the PAYOUT_REVERSED marker; anything else leaves the payout to the query).
 * Handled (a duplicate or late notify included) is acknowledged; a database failure is not, so the gateway
 * sends it again. WeChat: 204, 4xx for what does not verify or match, 5xx for the database. Alipay: HTTP 200
 * with exactly `success`, or `fail` (re-sent) for all the rest.
 */
@ApiTags('callbacks')
@Public()
@Controller({ path: 'callbacks', version: '1' })
export class PayoutNotifyController {
  private readonly logger = new Logger(PayoutNotifyController.name);

  constructor(
    private readonly wechatKeys: WechatKeysProvider,
    private readonly alipay: AlipayTransferClient,
    private readonly repo: PayoutRepository,
    private readonly settle: PayoutSettleService,
    @Inject(alipayConfig.KEY) private readonly alipayCfg: ConfigType<typeof alipayConfig>,
    @Inject(callbackConfig.KEY) private readonly callbackCfg: ConfigType<typeof callbackConfig>,
  ) {}

  @Post('wechat/transfers')
  @HttpCode(204)
  @ApiExcludeEndpoint()
  async wechat(@Req() req: RawRequest, @Res() reply: FastifyReply): Promise<void> {
    const fail = (status: number, message: string) =>
      reply
        .status(status)
        .type('application/json')
        .send(JSON.stringify({ code: 'FAIL', message }));
    let keys;
    try {
      keys = await this.wechatKeys.get();
    } catch (err) {
      return fail(503, `keys: ${(err as Error).message}`);
    }
    const n = readTransferNotify(req.headers, req.rawBody?.toString('utf8') ?? '', keys);
    if (!n.ok) {
      this.logger.warn(`wechat transfer notify refused: ${n.reason}`);
      return fail(n.status, n.reason);
    }
    const news = { channel: 'wechat' as const, id: n.id, payoutNo: n.outBillNo, amount: n.amount };
    const out = await this.apply({ ...news, result: (t) => byState(n.resource, t) });
    if (out === 'no_payout') return fail(404, 'no such payout');
    if (out === 'not_applied') return fail(500, 'not applied, send again');
    await reply.status(204).send();
  }

  @Post('alipay/transfers')
  @HttpCode(200)
  @ApiExcludeEndpoint()
  async alipayNotify(@Req() req: RawRequest, @Res() reply: FastifyReply): Promise<void> {
    const answer = (text: 'success' | 'fail') =>
      reply.status(200).type('text/plain; charset=utf-8').send(text);
    const bytes = req.rawBody ?? Buffer.alloc(0);
    const body = decodeNotifyBody(req.headers['content-type'], bytes, this.callbackCfg.bodyLimitBytes);
    const n = body.problem
      ? { ok: false as const, reason: body.problem }
      : await readAlipayTransferNotify(body.raw, (p) => this.alipay.verifyNotify(p), this.alipayCfg.appId);
    if (!n.ok) {
      this.logger.warn(`alipay transfer notify refused: ${n.reason}`);
      return answer('fail');
    }
    const news = { channel: 'alipay' as const, id: n.id, payoutNo: n.outBizNo, amount: n.amount };
    const out = await this.apply({ ...news, result: (t) => byAlipayStatus(n.biz, t) });
    return answer(out === 'done' ? 'success' : 'fail');
  }

  /** The verified news against the payout, then the one settle path; `done` once its outcome is durable. */
  private async apply(n: TransferNews): Promise<'done' | 'no_payout' | 'not_applied'> {
    try {
      const p = await this.repo.findByNo(null, n.payoutNo);
      if (!p || p.channel !== n.channel || p.amount !== n.amount) {
        this.logger.warn(
          `${n.channel} transfer notify ${n.id} for ${n.payoutNo} (${n.amount} fen) matches no payout`,
        );
        return 'no_payout';
      }
      await this.settle.onResult(p, n.result(transferOf(p)), 'notify');
      return 'done';
    } catch (err) {
      this.logger.warn(`${n.channel} transfer notify ${n.id} not applied: ${(err as Error).message}`);
      return 'not_applied';
    }
  }
}
