import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { DataSource } from 'typeorm';
import { sandboxConfig } from '../../config/configuration';
import { fenToYuan } from '../sandbox-money';
import { billWindow, SimBillDownload } from '../core/sim-bills';
import { toCst } from '../sandbox-time';
import { wxCsv } from '../wechat/wechat-sandbox-bill.service';
import { PayoutProtocol } from './sandbox-payout.types';

/** One money movement of the merchant's fund account: a transfer out, or a bank bounce coming back. */
interface FlowLine {
  out_no: string;
  order_id: string;
  payee_identity: string;
  amount: number;
  at: Date;
  direction: 'OUT' | 'IN';
}

/**
 * The payout simulator's fund bills: the day's (China time) movements of the merchant's fund account that
 * came from transfers, read-only over sandbox_transfer. A transfer that moved money is an OUT line at the
 * time it succeeded (Alipay: when made; WeChat: when the bill reached SUCCESS); an Alipay bank bounce
 * (REFUND) adds an IN line at the time it came back. Alipay's bill (`bill_type=signcustomer`) is served as
 * JSON, as the simulator's trade bill is; WeChat's (`GET /v3/bill/fundflowbill`) as the fund-flow CSV
 * behind a download URL and its SHA1, as its trade bill is.
 */
@Injectable()
export class SandboxFundBillService {
  private readonly download: SimBillDownload;

  constructor(
    private readonly ds: DataSource,
    @Inject(sandboxConfig.KEY) private readonly cfg: ConfigType<typeof sandboxConfig>,
  ) {
    const url = `${cfg.baseUrl}/sandbox/wechat/v3/billdownload/fundflow`;
    this.download = new SimBillDownload(url, (date, cutoff) => this.wechatCsv(date, cutoff));
  }

  /** Where alipay.data.dataservice.bill.downloadurl.query (signcustomer) points. */
  alipayUrl(date: string): string {
    return `${this.cfg.baseUrl}/sandbox/payouts/alipay/bills/${date}`;
  }

  /** Alipay's fund account bill of a day: lines named as alipay.data.bill.accountlog.query names them. */
  async alipayBill(date: string) {
    const lines = await this.flows('alipay', date, Date.now());
    return {
      bill_date: date,
      lines: lines.map((l, i) => ({
        account_log_id: `${date.replace(/-/g, '')}${String(i + 1).padStart(8, '0')}`,
        alipay_order_no: l.order_id,
        merchant_order_no: l.out_no,
        trans_dt: toCst(l.at),
        other_account: l.payee_identity,
        direction: l.direction === 'OUT' ? '支出' : '收入',
        trans_amount: fenToYuan(l.amount),
        type: l.direction === 'OUT' ? '转账' : '退票',
      })),
    };
  }

  /** GET /v3/bill/fundflowbill: the hash and download URL of the day's file (core/sim-bills.ts). */
  wechatAnswer(date: string): Promise<Record<string, string>> {
    return this.download.answer(date);
  }

  /** The fund-flow file behind a token (null when the token is not one of ours). */
  wechatFile(token: unknown): Promise<string | null> {
    return this.download.fetch(token);
  }

  /** WeChat's fund-flow layout: BOM, header, backtick-prefixed cells, two summary lines, yuan amounts. */
  private async wechatCsv(date: string, cutoff: number): Promise<string> {
    const lines = await this.flows('wechat', date, cutoff);
    const head =
      '记账时间,微信支付业务单号,资金流水单号,业务名称,业务类型,收支类型,收支金额（元）,账户结余（元）,资金变更提交申请人,备注,业务凭证号';
    const body = lines.map((l, i) => [
      toCst(l.at),
      l.order_id,
      `${date.replace(/-/g, '')}${String(i + 1).padStart(10, '0')}`,
      '商家转账',
      l.direction === 'OUT' ? '转账' : '退款',
      l.direction === 'OUT' ? '支出' : '收入',
      fenToYuan(l.amount),
      '0.00',
      'system',
      '钱包提现',
      l.out_no,
    ]);
    const sum = (d: 'OUT' | 'IN') => lines.filter((l) => l.direction === d).reduce((s, l) => s + l.amount, 0);
    const count = (d: 'OUT' | 'IN') => String(lines.filter((l) => l.direction === d).length);
    const summary = [
      String(lines.length),
      count('IN'),
      fenToYuan(sum('IN')),
      count('OUT'),
      fenToYuan(sum('OUT')),
    ];
    return wxCsv(head, body, '资金流水总笔数,收入笔数,收入金额,支出笔数,支出金额', summary);
  }

  private async flows(protocol: PayoutProtocol, date: string, cutoff: number): Promise<FlowLine[]> {
    const day = billWindow(date, cutoff);
    if (!day) return [];
    const [from, until] = day;
    // Alipay transfers to an account succeed when made; a WeChat bill when it reaches SUCCESS (updated_at)
    const outAt = protocol === 'alipay' ? 'created_at' : 'updated_at';
    const rows: Array<Omit<FlowLine, 'amount'> & { amount: string }> = await this.ds.query(
      `SELECT out_no, order_id, payee_identity, amount, ${outAt} AS at, 'OUT' AS direction FROM sandbox_transfer
        WHERE protocol = ? AND status IN ('SUCCESS', 'REFUND') AND ${outAt} >= ? AND ${outAt} < ?
       UNION ALL
       SELECT out_no, order_id, payee_identity, amount, updated_at AS at, 'IN' AS direction FROM sandbox_transfer
        WHERE protocol = ? AND status = 'REFUND' AND updated_at >= ? AND updated_at < ?
       ORDER BY at, out_no, direction DESC`,
      [protocol, from, until, protocol, from, until],
    );
    return rows.map((r) => ({ ...r, amount: Number(r.amount), at: new Date(r.at) }));
  }
}
