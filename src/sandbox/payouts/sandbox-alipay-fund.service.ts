import { Injectable } from '@nestjs/common';
import { fenToYuan, tryYuanToFen } from '../sandbox-money';
import { toCst } from '../sandbox-time';
import { bizError, Fault, GatewayAnswer, ok } from '../sandbox-trade.types';
import { SandboxTransferRow } from './sandbox-payout.types';
import { paramsHash, SandboxTransferService } from './sandbox-transfer.service';

/** The fund methods the Alipay face answers (registered in the gateway.do dispatch). */
export const ALIPAY_FUND_METHODS = ['alipay.fund.trans.uni.transfer', 'alipay.fund.trans.common.query'];

/**
 * Alipay's face of the payout simulator: `alipay.fund.trans.uni.transfer` (out_biz_no the idempotency
 * key; the same number with other parameters → PAYMENT_INFO_INCONSISTENCY) and
 * `alipay.fund.trans.common.query`. Answers are the inner `<method>_response` objects; gateway.do signs
 * them. Written apart from the service's client (src/payment/channels/alipay/alipay-transfer.ts).
 */
@Injectable()
export class SandboxAlipayFundService {
  constructor(private readonly core: SandboxTransferService) {}

  /**
   * `call` carries the request's common params that matter here: its `app_id`, and its `notify_url`,
   * where the transfer's alipay.fund.trans.order.changed goes (Alipay's message service sends it to the
   * app's gateway address; the simulator takes the address from the call).
   */
  async answer(
    method: string,
    biz: Record<string, unknown>,
    call: { appId: string; notifyUrl: string | null },
  ): Promise<GatewayAnswer | Fault> {
    return method === 'alipay.fund.trans.uni.transfer' ? this.transfer(biz, call) : this.query(biz);
  }

  private async transfer(
    biz: Record<string, unknown>,
    call: { appId: string; notifyUrl: string | null },
  ): Promise<GatewayAnswer | Fault> {
    const outNo = biz.out_biz_no;
    const amount = tryYuanToFen(biz.trans_amount);
    const payee = (biz.payee_info ?? {}) as Record<string, unknown>;
    if (typeof outNo !== 'string' || !/^[A-Za-z0-9_]{1,64}$/.test(outNo) || amount === null || amount <= 0) {
      return bizError('INVALID_PARAMETER', 'out_biz_no or trans_amount invalid');
    }
    if (biz.product_code !== 'TRANS_ACCOUNT_NO_PWD' || biz.biz_scene !== 'DIRECT_TRANSFER') {
      return bizError('INVALID_PARAMETER', 'product_code / biz_scene');
    }
    const type = payee.identity_type;
    if (typeof payee.identity !== 'string' || (type !== 'ALIPAY_LOGON_ID' && type !== 'ALIPAY_USER_ID')) {
      return bizError('INVALID_PARAMETER', 'payee_info.identity / identity_type');
    }
    const name = typeof payee.name === 'string' ? payee.name : null;
    if (type === 'ALIPAY_LOGON_ID' && !name) return bizError('INVALID_PARAMETER', 'payee_info.name required');
    const out = await this.core.transfer({
      protocol: 'alipay',
      outNo,
      appId: call.appId,
      mchId: null,
      notifyUrl: call.notifyUrl,
      identity: payee.identity,
      name,
      amount,
      paramsHash: paramsHash({
        trans_amount: biz.trans_amount,
        order_title: biz.order_title,
        identity: payee.identity,
        identity_type: type,
        name,
      }),
    });
    switch (out.kind) {
      case 'refused':
        return out.code === 'PAYEE_NOT_EXIST'
          ? bizError('PAYEE_NOT_EXIST', '收款账号不存在')
          : bizError('PAYEE_USER_INFO_ERROR', '收款方姓名与账号不匹配');
      case 'inconsistent':
        return bizError('PAYMENT_INFO_INCONSISTENCY', '两次请求商户单号一样，但是参数不一致');
      case 'fault':
        return out.fault;
      default:
        if (out.timeout) return 'timeout';
        return ok({
          out_biz_no: outNo,
          order_id: out.row.order_id,
          pay_fund_order_id: `${out.row.order_id}01`,
          // a failing transfer (fault fail) is accepted first and ends FAIL: the query shows it
          status: out.row.status === 'FAIL' ? 'DEALING' : answerStatus(out.row),
          trans_date: toCst(out.row.created_at),
        });
    }
  }

  private async query(biz: Record<string, unknown>): Promise<GatewayAnswer | Fault> {
    const outNo = biz.out_biz_no;
    if (typeof outNo !== 'string') return bizError('INVALID_PARAMETER', 'out_biz_no required');
    const q = await this.core.query('alipay', outNo);
    if (q.kind === 'not_found') return bizError('ORDER_NOT_EXIST', '转账订单不存在');
    const r = q.row;
    return ok({
      out_biz_no: outNo,
      order_id: r.order_id,
      pay_fund_order_id: `${r.order_id}01`,
      trans_amount: fenToYuan(r.amount),
      ...fundStatusFields(r),
    });
  }
}

/** A fund order's status and what goes with it, as the query and the order.changed notify show them. */
export function fundStatusFields(r: SandboxTransferRow): Record<string, string> {
  return {
    status: answerStatus(r),
    pay_date: toCst(r.created_at),
    ...(r.status === 'FAIL' ? { fail_reason: '收款账户状态异常', error_code: r.fail_reason ?? 'FAIL' } : {}),
    ...(r.status === 'REFUND' ? { fail_reason: '银行退票' } : {}),
  };
}

function answerStatus(r: SandboxTransferRow): string {
  return r.status === 'WAIT_USER_CONFIRM' ? 'DEALING' : r.status === 'CANCELLED' ? 'FAIL' : r.status;
}
