import { Controller, HttpCode, Logger, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../../common/auth/auth.decorators';
import { WechatKeysProvider } from '../channels/wechat/wechat-keys.provider';
import { byState } from '../channels/wechat/wechat-transfer';
import { readTransferNotify } from '../channels/wechat/wechat-transfer-notify';
import { PayoutRepository } from './payout.repository';
import { PayoutSettleService, transferOf } from './payout-settle.service';

type RawRequest = FastifyRequest & { rawBody?: Buffer };

/**
 * WeChat Pay's 商家转账 notify (`MCHTRANSFER.BILL.FINISHED`), the third way a payout's outcome arrives
 * beside the transfer query and the sweeper. Verified and decrypted first; a bill that is not ours, or
 * whose amount is not the payout's, changes nothing. The bill's state goes through the same
 * PayoutSettleService.onResult as an answer or a query: SUCCESS succeeds once, FAIL / CANCELLED return the
 * money once (the PAYOUT_REVERSED marker), anything else leaves the payout to the query. 204 once handled
 * (a duplicate or late notify included); 4xx for what does not verify, 5xx when the database failed (WeChat
 * sends it again).
 */
@ApiTags('callbacks')
@Public()
@Controller({ path: 'callbacks/wechat/transfers', version: '1' })
export class PayoutNotifyController {
  private readonly logger = new Logger(PayoutNotifyController.name);

  constructor(
    private readonly keys: WechatKeysProvider,
    private readonly repo: PayoutRepository,
    private readonly settle: PayoutSettleService,
  ) {}

  @Post()
  @HttpCode(204)
  @ApiExcludeEndpoint()
  async notify(@Req() req: RawRequest, @Res() reply: FastifyReply): Promise<void> {
    const fail = (status: number, message: string) =>
      reply
        .status(status)
        .type('application/json')
        .send(JSON.stringify({ code: 'FAIL', message }));
    let keys;
    try {
      keys = await this.keys.get();
    } catch (err) {
      return fail(503, `keys: ${(err as Error).message}`);
    }
    const n = readTransferNotify(req.headers, req.rawBody?.toString('utf8') ?? '', keys);
    if (!n.ok) {
      this.logger.warn(`transfer notify refused: ${n.reason}`);
      return fail(n.status, n.reason);
    }
    const p = await this.repo.findByNo(null, n.outBillNo);
    if (!p || p.channel !== 'wechat' || p.amount !== n.amount) {
      this.logger.warn(`transfer notify ${n.id} for ${n.outBillNo} (${n.amount} fen) matches no payout`);
      return fail(404, 'no such payout');
    }
    try {
      await this.settle.onResult(p, byState(n.resource, transferOf(p)), 'notify');
    } catch (err) {
      this.logger.warn(`transfer notify ${n.id} not applied: ${(err as Error).message}`);
      return fail(500, 'not applied, send again');
    }
    await reply.status(204).send();
  }
}
