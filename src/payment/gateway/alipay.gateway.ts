import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { AlipaySdk, AlipaySdkCommonResult } from 'alipay-sdk';
import { paymentConfig } from '../../config/configuration';
import { fenToYuan, tryYuanToFen } from '../money';
import {
  BillResult,
  BillTrade,
  CloseResult,
  PaymentGateway,
  PrecreateRequest,
  PrecreateResult,
  QueryResult,
} from './payment-gateway';
import { PaymentKeysProvider } from './payment-keys.provider';

const CST_OFFSET_MS = 8 * 3600 * 1000;
/** Alipay times are 'yyyy-MM-dd HH:mm:ss' in China time. */
const toCst = (d: Date) => new Date(d.getTime() + CST_OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ');
const fromCst = (s: unknown): Date | null => {
  if (typeof s !== 'string' || !/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(s)) return null;
  return new Date(`${s.replace(' ', 'T')}+08:00`);
};

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
    @Inject(paymentConfig.KEY) private readonly cfg: ConfigType<typeof paymentConfig>,
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
      const res = await fetch(url, { signal: AbortSignal.timeout(this.cfg.gatewayTimeoutMs) });
      if (res.status !== 200) return { ok: false, reason: `bill download HTTP ${res.status}` };
      const body = (await res.json()) as { trades?: Array<Record<string, string | null>> };
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
      return { ok: true, trades };
    } catch (err) {
      return { ok: false, reason: `bill download failed: ${(err as Error).message}` };
    }
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
    this.sdk = new AlipaySdk({
      appId: this.cfg.appId,
      privateKey: keys.privateKey,
      alipayPublicKey: keys.alipayPublicKey,
      gateway: this.cfg.gatewayUrl,
      timeout: this.cfg.gatewayTimeoutMs,
      keyType: 'PKCS8',
      signType: 'RSA2',
      camelcase: true,
    });
    return this.sdk;
  }
}

function describe(r: AlipaySdkCommonResult): string {
  return [r.code, r.msg, r.subCode, r.subMsg].filter(Boolean).join(' ');
}
