import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { AlipaySdk, AlipaySdkCommonResult } from 'alipay-sdk';
import { alipayConfig } from './alipay.config';
import { fenToYuan, tryYuanToFen } from '../../money';
import {
  BillRefund,
  BillResult,
  BillTrade,
  CloseResult,
  PaymentGateway,
  PrecreateRequest,
  PrecreateResult,
  QueryResult,
  RefundQueryRequest,
  RefundQueryResult,
  RefundRequest,
  RefundResult,
} from '../../gateway/payment-gateway';
import { alipaySdkConfig, PaymentKeysProvider } from './payment-keys.provider';
import { fromCst, toCst } from '../../../common/china-time';

type Call = { ok: true; res: AlipaySdkCommonResult } | { ok: false; reason: string };

/**
 * The gateway client on the real alipay-sdk (4.14). Every call passes `validateSign: true` — without it
 * the SDK accepts a forged response silently. Transport errors, timeouts, bad signatures, SYSTEM_ERROR
 * and code 20000 all come back as UNKNOWN: the caller retries, it never concludes "unpaid".
 */
@Injectable()
export class AlipayGateway implements PaymentGateway, OnApplicationBootstrap {
  private readonly logger = new Logger(AlipayGateway.name);
  private sdk?: AlipaySdk;

  constructor(
    private readonly keys: PaymentKeysProvider,
    @Inject(alipayConfig.KEY) private readonly cfg: ConfigType<typeof alipayConfig>,
  ) {}

  /** Loads the keys once everything (the sandbox's key generation included) has initialised. */
  async onApplicationBootstrap(): Promise<void> {
    await this.client().catch((err: Error) =>
      this.logger.error(`gateway keys not loaded yet: ${err.message}`),
    );
  }

  async precreate(req: PrecreateRequest): Promise<PrecreateResult> {
    const call = await this.exec('alipay.trade.precreate', {
      notifyUrl: req.notifyUrl ?? this.cfg.notifyUrl,
      bizContent: {
        out_trade_no: req.paymentNo,
        total_amount: fenToYuan(req.amount),
        subject: req.subject,
        time_expire: toCst(req.expiresAt),
      },
    });
    if (!call.ok) return call;
    if (call.res.code === '10000' && typeof call.res.qrCode === 'string')
      return { ok: true, qrCode: call.res.qrCode };
    if (call.res.code === '40004' && PERMANENT_REFUSALS.has(String(call.res.subCode))) {
      return { ok: false, reason: describe(call.res), refusedCode: String(call.res.subCode) };
    }
    return { ok: false, reason: describe(call.res) };
  }

  async query(paymentNo: string): Promise<QueryResult> {
    const call = await this.exec('alipay.trade.query', { bizContent: { out_trade_no: paymentNo } });
    if (!call.ok) return { status: 'UNKNOWN', reason: call.reason };
    const r = call.res;
    if (r.code !== '10000') {
      if (r.code === '40004' && r.subCode === 'ACQ.TRADE_NOT_EXIST') return { status: 'NOT_EXIST' };
      return { status: 'UNKNOWN', reason: describe(r) };
    }
    if (r.outTradeNo !== paymentNo) return { status: 'UNKNOWN', reason: `answer for ${r.outTradeNo}` };
    switch (r.tradeStatus) {
      case 'TRADE_SUCCESS':
      case 'TRADE_FINISHED': {
        const amount = tryYuanToFen(r.totalAmount);
        const paidAt = fromCst(r.sendPayDate) ?? new Date();
        if (amount === null || typeof r.tradeNo !== 'string') {
          return { status: 'UNKNOWN', reason: `malformed paid answer ${JSON.stringify(r.totalAmount)}` };
        }
        return { status: 'PAID', tradeNo: r.tradeNo, amount, paidAt };
      }
      case 'WAIT_BUYER_PAY':
        return { status: 'WAIT_BUYER_PAY' };
      case 'TRADE_CLOSED':
        // closed unpaid, or fully refunded after payment: either way not a success to apply now
        return { status: 'CLOSED' };
      default:
        return { status: 'UNKNOWN', reason: `trade_status ${r.tradeStatus}` };
    }
  }

  async close(paymentNo: string): Promise<CloseResult> {
    const call = await this.exec('alipay.trade.close', { bizContent: { out_trade_no: paymentNo } });
    if (!call.ok) return { status: 'UNKNOWN', reason: call.reason };
    const r = call.res;
    if (r.code === '10000') return { status: 'CLOSED' };
    if (r.code === '40004' && r.subCode === 'ACQ.TRADE_NOT_EXIST') return { status: 'NOT_EXIST' };
    if (r.code === '40004' && r.subCode === 'ACQ.TRADE_STATUS_ERROR') return { status: 'ALREADY_PAID' };
    return { status: 'UNKNOWN', reason: describe(r) };
  }

  async downloadBill(date: string): Promise<BillResult> {
    const call = await this.exec('alipay.data.dataservice.bill.downloadurl.query', {
      bizContent: { bill_type: 'trade', bill_date: date },
    });
    if (!call.ok) return call;
    const url = call.res.billDownloadUrl;
    if (call.res.code !== '10000' || typeof url !== 'string')
      return { ok: false, reason: describe(call.res) };
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(this.cfg.timeoutMs) });
      if (res.status !== 200) return { ok: false, reason: `bill download HTTP ${res.status}` };
      const body = (await res.json()) as {
        trades?: Array<Record<string, string | null>>;
        refunds?: Array<Record<string, string | null>>;
      };
      const trades: BillTrade[] = [];
      for (const t of body.trades ?? []) {
        const amount = tryYuanToFen(t.total_amount);
        if (amount === null || !t.out_trade_no || !t.trade_no)
          return { ok: false, reason: 'malformed bill line' };
        trades.push({
          paymentNo: t.out_trade_no,
          tradeNo: t.trade_no,
          amount,
          status: t.trade_status ?? '',
          paidAt: fromCst(t.gmt_payment),
        });
      }
      const refunds: BillRefund[] = [];
      for (const r of body.refunds ?? []) {
        // refund lines carry negative amounts: '-12.34'
        const raw = typeof r.refund_amount === 'string' ? r.refund_amount.replace(/^-/, '') : null;
        const amount = tryYuanToFen(raw);
        if (amount === null || !r.out_trade_no || !r.out_request_no)
          return { ok: false, reason: 'malformed bill refund line' };
        refunds.push({
          paymentNo: r.out_trade_no,
          refundNo: r.out_request_no,
          amount,
          refundedAt: fromCst(r.gmt_refund),
        });
      }
      return { ok: true, trades, refunds };
    } catch (err) {
      return { ok: false, reason: `bill download failed: ${(err as Error).message}` };
    }
  }

  /**
   * alipay.trade.refund. `fund_change: Y` is the only success; `N` means no money moved in this call
   * (a repeat of a refund made earlier, or one not done yet) and is settled by the refund query.
   * `40004` + sub_code is a refusal of this request, except ACQ.SYSTEM_ERROR which is unknown.
   */
  async refund(req: RefundRequest): Promise<RefundResult> {
    const call = await this.exec('alipay.trade.refund', {
      ...(req.notifyUrl ? { notifyUrl: req.notifyUrl } : {}),
      bizContent: {
        out_trade_no: req.paymentNo,
        out_request_no: req.refundNo,
        refund_amount: fenToYuan(req.amount),
        refund_reason: req.reason,
      },
    });
    if (!call.ok) return { status: 'UNKNOWN', reason: call.reason };
    const r = call.res;
    if (r.code === '10000') {
      if (r.outTradeNo !== undefined && r.outTradeNo !== req.paymentNo) {
        return { status: 'UNKNOWN', reason: `answer for ${r.outTradeNo}` };
      }
      if (r.fundChange === 'Y') return { status: 'SUCCEEDED', refundedAt: fromCst(r.gmtRefundPay) };
      if (r.fundChange === 'N') return { status: 'PROCESSING' };
      return { status: 'UNKNOWN', reason: `fund_change ${JSON.stringify(r.fundChange)}` };
    }
    if (
      r.code === '40004' &&
      typeof r.subCode === 'string' &&
      r.subCode &&
      r.subCode !== 'ACQ.SYSTEM_ERROR'
    ) {
      return { status: 'FAILED', code: r.subCode, reason: describe(r) };
    }
    // 20000, ACQ.SYSTEM_ERROR, and request-level errors (40001/40002/40006: keys, app id, permissions)
    // that a fixed configuration lets the retry pass: never a conclusive "failed"
    return { status: 'UNKNOWN', reason: describe(r) };
  }

  /**
   * alipay.trade.fastpay.refund.query. `10000` only means the query worked: the refund succeeded when
   * the answer carries `refund_amount` (and `refund_status` is REFUND_SUCCESS or absent); an answer
   * without it is "not refunded (yet)".
   */
  async refundQuery(req: RefundQueryRequest): Promise<RefundQueryResult> {
    const call = await this.exec('alipay.trade.fastpay.refund.query', {
      bizContent: {
        out_trade_no: req.paymentNo,
        out_request_no: req.refundNo,
        query_options: ['gmt_refund_pay'],
      },
    });
    if (!call.ok) return { status: 'UNKNOWN', reason: call.reason };
    const r = call.res;
    if (r.code !== '10000') {
      if (r.code === '40004' && r.subCode === 'ACQ.TRADE_NOT_EXIST') return { status: 'NOT_FOUND' };
      return { status: 'UNKNOWN', reason: describe(r) };
    }
    if (
      (r.outTradeNo !== undefined && r.outTradeNo !== req.paymentNo) ||
      (r.outRequestNo !== undefined && r.outRequestNo !== req.refundNo)
    ) {
      return { status: 'UNKNOWN', reason: `answer for ${r.outTradeNo}/${r.outRequestNo}` };
    }
    if (r.refundAmount === undefined || r.refundAmount === null || r.refundAmount === '') {
      return { status: 'NOT_FOUND' };
    }
    const amount = tryYuanToFen(r.refundAmount);
    if (amount === null) {
      return { status: 'UNKNOWN', reason: `malformed refund_amount ${JSON.stringify(r.refundAmount)}` };
    }
    if (r.refundStatus === undefined || r.refundStatus === 'REFUND_SUCCESS') {
      return { status: 'SUCCEEDED', amount, refundedAt: fromCst(r.gmtRefundPay) };
    }
    return { status: 'UNKNOWN', reason: `refund_status ${JSON.stringify(r.refundStatus)}` };
  }

  async verifyNotify(params: Record<string, string>): Promise<boolean> {
    if (!params || typeof params.sign !== 'string') return false;
    let sdk: AlipaySdk;
    try {
      sdk = await this.client(); // loads the keys on first use, so a failed load at boot heals itself
    } catch (err) {
      this.logger.warn(`notify not verifiable yet: ${(err as Error).message}`);
      return false;
    }
    try {
      return sdk.checkNotifySignV2({ ...params });
    } catch {
      return false;
    }
  }

  private async exec(method: string, params: Record<string, unknown>): Promise<Call> {
    let sdk: AlipaySdk;
    try {
      sdk = await this.client();
    } catch (err) {
      return { ok: false, reason: `keys: ${(err as Error).message}` };
    }
    try {
      const res = await sdk.exec(method, params, { validateSign: true });
      if (res.code === '20000' || res.subCode === 'ACQ.SYSTEM_ERROR' || res.subCode === 'isp.unknow-error') {
        this.logger.warn(`${method}: gateway busy (${describe(res)})`);
      }
      return { ok: true, res };
    } catch (err) {
      // transport error, timeout, non-JSON, bad or missing response signature
      const reason = `${(err as Error).name}: ${(err as Error).message}`.slice(0, 300);
      this.logger.warn(`${method} failed: ${reason}`);
      return { ok: false, reason };
    }
  }

  private async client(): Promise<AlipaySdk> {
    if (this.sdk) return this.sdk;
    const keys = await this.keys.get();
    this.sdk = new AlipaySdk(alipaySdkConfig(this.cfg, keys));
    return this.sdk;
  }
}

/** Business refusals of a precreate that no retry can change (the request itself is unacceptable). */
const PERMANENT_REFUSALS = new Set([
  'ACQ.INVALID_PARAMETER',
  'ACQ.TOTAL_FEE_EXCEED',
  'ACQ.ACCESS_FORBIDDEN',
  'ACQ.EXIST_FORBIDDEN_WORD',
  'ACQ.PARTNER_ERROR',
  'ACQ.SELLER_BEEN_BLOCKED',
]);

function describe(r: AlipaySdkCommonResult): string {
  return [r.code, r.msg, r.subCode, r.subMsg].filter(Boolean).join(' ');
}
