import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { DataSource } from 'typeorm';
import { sandboxConfig } from '../../config/configuration';
import { fenToYuan } from '../sandbox-money';
import { billWindow, SimBillDownload } from '../core/sim-bills';
import { toCst } from '../sandbox-time';
import { WxAnswer, wxError, wxOk, WxRefundRow, WxTransactionRow } from './wechat-sandbox.types';

/**
 * The simulated WeChat Pay v3 trade bill (GET /v3/bill/tradebill and its download): read-only over the
 * simulator's transactions and refunds, split from WechatSandboxService, which changes them.
 */
@Injectable()
export class WechatSandboxBillService {
  private readonly download: SimBillDownload;

  constructor(
    private readonly ds: DataSource,
    @Inject(sandboxConfig.KEY) private readonly cfg: ConfigType<typeof sandboxConfig>,
  ) {
    const url = `${cfg.baseUrl}/sandbox/wechat/v3/billdownload/file`;
    this.download = new SimBillDownload(url, (date, cutoff) => this.billCsv(date, cutoff));
  }

  /** GET /v3/bill/tradebill: the hash and download URL of the day's file (core/sim-bills.ts). */
  async tradeBill(billDate: unknown, billType: unknown): Promise<WxAnswer> {
    if (typeof billDate !== 'string' || !billWindow(billDate)) {
      return wxError(400, 'PARAM_ERROR', 'bill_date must be yyyy-MM-dd');
    }
    if (billType !== undefined && billType !== 'ALL' && billType !== 'SUCCESS' && billType !== 'REFUND') {
      return wxError(400, 'PARAM_ERROR', 'bill_type must be ALL, SUCCESS or REFUND');
    }
    return wxOk(await this.download.answer(billDate));
  }

  /** The bill file behind a download token (null when the token is not ours). */
  billFile(token: unknown): Promise<string | null> {
    return this.download.fetch(token);
  }

  /** WeChat's trade bill layout: BOM, header, backtick-prefixed cells, two summary lines, yuan amounts. */
  private async billCsv(date: string, cutoff: number): Promise<string> {
    const [start, until] = billWindow(date, cutoff)!;
    const paid: WxTransactionRow[] = await this.ds.query(
      `SELECT * FROM sandbox_wechat_transaction WHERE success_time >= ? AND success_time < ? ORDER BY success_time, id`,
      [start, until],
    );
    const refunds: Array<WxRefundRow & { transaction_id: string; appid: string; t_total: string }> =
      await this.ds.query(
        `SELECT r.*, t.transaction_id, t.appid, t.total AS t_total FROM sandbox_wechat_refund r
         JOIN sandbox_wechat_transaction t ON t.out_trade_no = r.out_trade_no
       WHERE r.status = 'SUCCESS' AND r.success_time >= ? AND r.success_time < ? ORDER BY r.success_time, r.id`,
        [start, until],
      );
    const head =
      '交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注';
    const lines = paid.map((t) => [
      toCst(t.success_time!),
      t.appid,
      t.mchid,
      '0',
      '',
      t.transaction_id,
      t.out_trade_no,
      t.payer_openid ?? '',
      'NATIVE',
      'SUCCESS',
      'OTHERS',
      'CNY',
      fenToYuan(Number(t.total)),
      '0.00',
      '0',
      '0',
      '0.00',
      '0.00',
      '',
      '',
      t.description,
      '',
      '0.00',
      '0.60%',
      fenToYuan(Number(t.total)),
      '0.00',
      '',
    ]);
    for (const r of refunds) {
      lines.push([
        toCst(r.success_time!),
        r.appid,
        this.cfg.wechat.mchid,
        '0',
        '',
        r.transaction_id,
        r.out_trade_no,
        '',
        'NATIVE',
        'REFUND',
        'OTHERS',
        'CNY',
        '0.00',
        '0.00',
        r.refund_id,
        r.out_refund_no,
        fenToYuan(Number(r.refund)),
        '0.00',
        'ORIGINAL',
        'SUCCESS',
        '',
        '',
        '0.00',
        '0.60%',
        fenToYuan(Number(r.t_total)),
        fenToYuan(Number(r.refund)),
        '',
      ]);
    }
    const paidSum = paid.reduce((s, t) => s + Number(t.total), 0);
    const refundSum = refunds.reduce((s, r) => s + Number(r.refund), 0);
    const sums = [
      fenToYuan(paidSum),
      fenToYuan(refundSum),
      '0.00',
      '0.00',
      fenToYuan(paidSum),
      fenToYuan(refundSum),
    ];
    return wxCsv(head, lines, TRADE_SUMMARY, [String(paid.length + refunds.length), ...sums]);
  }
}

const TRADE_SUMMARY =
  '总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额';

/** WeChat's bill file layout (trade and fund-flow bills): BOM, header, backtick-prefixed cells, two summary lines. */
export function wxCsv(head: string, lines: string[][], summaryHead: string, summary: string[]): string {
  const cells = (xs: string[]) => `${xs.map((x) => `\`${x}`).join(',')}\n`;
  return `\uFEFF${head}\n${lines.map(cells).join('')}${summaryHead}\n${cells(summary)}`;
}
