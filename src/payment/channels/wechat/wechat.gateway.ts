import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { AxiosInstance } from 'axios';
import { createHash } from 'node:crypto';
import { Decorator, Formatter } from 'wechatpay-axios-plugin';
import { fromCst, toCstRfc3339 } from '../../../common/china-time';
import { wechatConfig } from './wechat.config';
import { tryYuanToFen } from '../../money';
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
import { WechatKeys, WechatKeysProvider } from './wechat-keys.provider';
import { toRefund, toTransaction } from './wechat-notify';

/** What came back: a verified answer (any HTTP status), or nothing we may trust. */
type Answer =
  { ok: true; status: number; data: Record<string, unknown> | Buffer } | { ok: false; reason: string };

/**
 * The WeChat Pay API v3 channel client, on wechatpay-axios-plugin (0.9): its axios instance signs every
 * request (`Authorization: WECHATPAY2-SHA256-RSA2048 …` over `METHOD\nURL\ntimestamp\nnonce\nbody\n`) and
 * verifies every answer (`Wechatpay-Timestamp/Nonce/Signature/Serial` over `timestamp\nnonce\nbody\n` with
 * the platform key named by the serial, timestamp within ±300 s). Requests go out with
 * `validateStatus: () => true` so error answers are verified too (the plugin skips non-2xx otherwise): a
 * forged "ORDER_NOT_EXIST" must not close anything. Timeouts, transport errors, 5xx, 429 and answers that
 * do not verify are UNKNOWN — never unpaid, never refused.
 *
 * `verifyNotify` of PaymentGateway is Alipay's form check; WeChat notifies carry their signature in
 * headers and are read by WechatNotifyReader (wechat-notify.ts), so this class leaves it out.
 */
@Injectable()
export class WechatGateway implements Omit<PaymentGateway, 'verifyNotify'>, OnApplicationBootstrap {
  private readonly logger = new Logger(WechatGateway.name);
  private http?: AxiosInstance;
  private keys?: WechatKeys;

  constructor(
    private readonly keyProvider: WechatKeysProvider,
    @Inject(wechatConfig.KEY) private readonly cfg: ConfigType<typeof wechatConfig>,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.cfg.enabled) return;
    await this.client().catch((err: Error) =>
      this.logger.error(`WeChat keys not loaded yet: ${err.message}`),
    );
  }

  /** Native pay: `code_url` is the QR code the buyer scans. */
  async precreate(req: PrecreateRequest): Promise<PrecreateResult> {
    const keys = await this.keysOrNull();
    if (!keys) return { ok: false, reason: 'WeChat keys not loaded' };
    const a = await this.call('POST', '/v3/pay/transactions/native', {
      data: {
        appid: keys.appid,
        mchid: keys.mchid,
        description: req.subject.slice(0, 127),
        out_trade_no: req.paymentNo,
        time_expire: toCstRfc3339(req.expiresAt),
        notify_url: req.notifyUrl ?? this.cfg.notifyUrl,
        amount: { total: req.amount, currency: 'CNY' },
      },
    });
    if (!a.ok) return a;
    const d = obj(a.data);
    if (a.status === 200 && typeof d.code_url === 'string') return { ok: true, qrCode: d.code_url };
    if (isPrecreateRefusal(a.status, d.code)) {
      return {
        ok: false,
        reason: describe(a),
        refusedCode: String(d.code),
        tradeMayExist: TRADE_EXISTS.has(String(d.code)),
      };
    }
    return { ok: false, reason: describe(a) };
  }

  async query(paymentNo: string): Promise<QueryResult> {
    const keys = await this.keysOrNull();
    if (!keys) return { status: 'UNKNOWN', reason: 'WeChat keys not loaded' };
    const a = await this.call('GET', `/v3/pay/transactions/out-trade-no/${encodeURIComponent(paymentNo)}`, {
      params: { mchid: keys.mchid },
    });
    if (!a.ok) return { status: 'UNKNOWN', reason: a.reason };
    const d = obj(a.data);
    if (a.status === 404 && d.code === 'ORDER_NOT_EXIST') return { status: 'NOT_EXIST' };
    if (a.status !== 200) return { status: 'UNKNOWN', reason: describe(a) };
    const t = toTransaction(d);
    if (!t) return { status: 'UNKNOWN', reason: 'malformed transaction answer' };
    if (t.outTradeNo !== paymentNo || t.mchid !== keys.mchid || t.appid !== keys.appid) {
      return { status: 'UNKNOWN', reason: `answer for ${t.mchid}/${t.appid}/${t.outTradeNo}` };
    }
    switch (t.tradeState) {
      case 'SUCCESS':
      case 'REFUND': // paid, then (partly) refunded: it was paid all the same
        return {
          status: 'PAID',
          tradeNo: t.transactionId,
          amount: t.total,
          paidAt: t.successTime ?? new Date(),
        };
      case 'NOTPAY':
      case 'USERPAYING':
      case 'PAYERROR': // this attempt failed at the bank; the order stays open until closed
        return { status: 'WAIT_BUYER_PAY' };
      case 'CLOSED':
      case 'REVOKED':
        return { status: 'CLOSED' };
      default:
        return { status: 'UNKNOWN', reason: `trade_state ${t.tradeState}` };
    }
  }

  /** 204 closed; a paid order answers ORDERPAID (query, then take the success path). */
  async close(paymentNo: string): Promise<CloseResult> {
    const keys = await this.keysOrNull();
    if (!keys) return { status: 'UNKNOWN', reason: 'WeChat keys not loaded' };
    const a = await this.call(
      'POST',
      `/v3/pay/transactions/out-trade-no/${encodeURIComponent(paymentNo)}/close`,
      {
        data: { mchid: keys.mchid },
      },
    );
    if (!a.ok) return { status: 'UNKNOWN', reason: a.reason };
    if (a.status === 204 || a.status === 200) return { status: 'CLOSED' };
    const code = obj(a.data).code;
    if (a.status === 400 && code === 'ORDERPAID') return { status: 'ALREADY_PAID' };
    if (a.status === 400 && code === 'ORDER_CLOSED') return { status: 'CLOSED' };
    if (a.status === 404 && code === 'ORDER_NOT_EXIST') return { status: 'NOT_EXIST' };
    return { status: 'UNKNOWN', reason: describe(a) };
  }

  /**
   * The trade bill of a (China time) day: `GET /v3/bill/tradebill` (signed answer with the download URL
   * and its SHA1), then the file (WeChat does not sign files: the SHA1 from the signed answer vouches
   * for it). Amounts in the file are yuan; SUCCESS lines are the paid trades.
   */
  async downloadBill(date: string): Promise<BillResult> {
    if (!(await this.keysOrNull())) return { ok: false, reason: 'WeChat keys not loaded' };
    const a = await this.call('GET', '/v3/bill/tradebill', { params: { bill_date: date, bill_type: 'ALL' } });
    if (!a.ok) return a;
    const d = obj(a.data);
    if (a.status !== 200 || typeof d.download_url !== 'string' || typeof d.hash_value !== 'string') {
      // 400 NO_STATEMENT_EXIST: no bill (no trades that day)
      if (a.status === 400 && d.code === 'NO_STATEMENT_EXIST') {
        const empty = { ok: true as const, trades: [], refunds: [] }; // a variable: see parseTradeBill
        return empty;
      }
      return { ok: false, reason: describe(a) };
    }
    const base = this.cfg.baseUrl.replace(/\/+$/, '');
    if (!d.download_url.startsWith(`${base}/`)) return { ok: false, reason: 'download_url off the API host' };
    const file = await this.call('GET', d.download_url.slice(base.length).split('?')[0], {
      params: Object.fromEntries(new URL(d.download_url).searchParams),
      responseType: 'arraybuffer', // raw bytes: axios strips the BOM from text, which changes the SHA1
    });
    if (!file.ok) return file;
    if (file.status !== 200 || !Buffer.isBuffer(file.data)) return { ok: false, reason: describe(file) };
    const sha1 = createHash('sha1').update(file.data).digest('hex');
    if (d.hash_type !== 'SHA1' || sha1 !== d.hash_value.toLowerCase()) {
      return { ok: false, reason: 'bill file does not match its SHA1' };
    }
    return parseTradeBill(file.data.toString('utf8'));
  }

  async refund(req: RefundRequest): Promise<RefundResult> {
    if (!(await this.keysOrNull())) return { status: 'UNKNOWN', reason: 'WeChat keys not loaded' };
    const a = await this.call('POST', '/v3/refund/domestic/refunds', {
      data: {
        out_trade_no: req.paymentNo,
        out_refund_no: req.refundNo,
        reason: req.reason.slice(0, 80),
        notify_url: req.notifyUrl ?? this.cfg.notifyUrl,
        amount: { refund: req.amount, total: req.paymentAmount, currency: 'CNY' },
      },
    });
    if (!a.ok) return { status: 'UNKNOWN', reason: a.reason };
    const d = obj(a.data);
    if (a.status === 200) {
      const r = toRefund(d);
      if (!r || r.outRefundNo !== req.refundNo || r.outTradeNo !== req.paymentNo) {
        return { status: 'UNKNOWN', reason: 'malformed refund answer' };
      }
      if (r.refund !== req.amount) return { status: 'UNKNOWN', reason: `refund answer for ${r.refund} fen` };
      switch (r.refundStatus) {
        case 'SUCCESS':
          return { status: 'SUCCEEDED', refundedAt: r.successTime };
        case 'PROCESSING':
          return { status: 'PROCESSING' };
        case 'CLOSED':
        case 'ABNORMAL':
          return { status: 'FAILED', code: r.refundStatus, reason: `refund ${r.refundStatus}` };
        default:
          return { status: 'UNKNOWN', reason: `refund status ${r.refundStatus}` };
      }
    }
    if (isRefusal(a.status, d.code)) {
      return { status: 'FAILED', code: String(d.code), reason: String(d.message ?? d.code) };
    }
    return { status: 'UNKNOWN', reason: describe(a) };
  }

  async refundQuery(req: RefundQueryRequest): Promise<RefundQueryResult> {
    if (!(await this.keysOrNull())) return { status: 'UNKNOWN', reason: 'WeChat keys not loaded' };
    const a = await this.call('GET', `/v3/refund/domestic/refunds/${encodeURIComponent(req.refundNo)}`, {});
    if (!a.ok) return { status: 'UNKNOWN', reason: a.reason };
    const d = obj(a.data);
    if (a.status === 404 && d.code === 'RESOURCE_NOT_EXISTS') return { status: 'NOT_FOUND' };
    if (a.status !== 200) return { status: 'UNKNOWN', reason: describe(a) };
    const r = toRefund(d);
    if (!r || r.outRefundNo !== req.refundNo || r.outTradeNo !== req.paymentNo) {
      return { status: 'UNKNOWN', reason: 'malformed refund answer' };
    }
    switch (r.refundStatus) {
      case 'SUCCESS':
        return { status: 'SUCCEEDED', amount: r.refund, refundedAt: r.successTime };
      case 'PROCESSING':
        return { status: 'PROCESSING' };
      case 'CLOSED':
      case 'ABNORMAL':
        return { status: 'FAILED', reason: `refund ${r.refundStatus}` };
      default:
        return { status: 'UNKNOWN', reason: `refund status ${r.refundStatus}` };
    }
  }

  private async call(
    method: 'GET' | 'POST',
    url: string,
    opts: { data?: unknown; params?: Record<string, string>; responseType?: 'arraybuffer' },
  ): Promise<Answer> {
    let http: AxiosInstance;
    try {
      http = await this.client();
    } catch (err) {
      return { ok: false, reason: `keys: ${(err as Error).message}` };
    }
    try {
      const res = await http.request({
        method,
        url,
        data: opts.data,
        params: opts.params,
        responseType: opts.responseType,
        timeout: this.cfg.timeoutMs,
        validateStatus: () => true,
      });
      if (res.status >= 500 || res.status === 429) {
        this.logger.warn(`${method} ${url}: gateway busy (HTTP ${res.status})`);
        return { ok: false, reason: `HTTP ${res.status} ${JSON.stringify(res.data).slice(0, 200)}` };
      }
      return { ok: true, status: res.status, data: res.data as Record<string, unknown> | Buffer };
    } catch (err) {
      // transport error, timeout, missing/stale/bad answer signature
      const e = err as Error & { code?: string };
      const reason = `${e.code ?? e.name}: ${e.message}`.slice(0, 300);
      this.logger.warn(`${method} ${url} failed: ${reason}`);
      return { ok: false, reason };
    }
  }

  private async keysOrNull(): Promise<WechatKeys | null> {
    try {
      await this.client();
      return this.keys ?? null;
    } catch {
      return null;
    }
  }

  private async client(): Promise<AxiosInstance> {
    if (this.http) return this.http;
    const keys = await this.keyProvider.get();
    // Decorator = the plugin's client without the URL-chaining proxy; .v3 is its signing, verifying axios
    const wx = new Decorator({
      mchid: keys.mchid,
      serial: keys.merchantSerial,
      privateKey: keys.merchantPrivateKey,
      certs: keys.platformKeys,
      baseURL: `${this.cfg.baseUrl.replace(/\/+$/, '')}/`,
    });
    this.keys = keys;
    this.http = wx.v3;
    return this.http;
  }
}

const obj = (d: unknown): Record<string, unknown> =>
  d && typeof d === 'object' ? (d as Record<string, unknown>) : {};

function describe(a: { status: number; data: unknown }): string {
  const d = obj(a.data);
  return [`HTTP ${a.status}`, d.code, d.message].filter(Boolean).join(' ');
}

/**
 * A pre-pay answer that refuses this payment for good (422 GATEWAY_REFUSED, as Alipay's ACQ.* refusals): a
 * signed 4xx with a business code (PARAM_ERROR, APPID_MCHID_NOT_MATCH, OUT_TRADE_NO_USED, ORDER_CLOSED,
 * NO_AUTH, …). Not: SYSTEM_ERROR and 429 FREQUENCY_LIMITED (retry later), 401 SIGN_ERROR (our signature or
 * keys, not this payment), ORDERPAID (the trade is paid: the active query and the notify apply it).
 */
export function isPrecreateRefusal(status: number, code: unknown): boolean {
  if (status < 400 || status >= 500 || status === 401 || status === 429) return false;
  return typeof code === 'string' && !NOT_PRECREATE_REFUSALS.has(code);
}
const NOT_PRECREATE_REFUSALS = new Set(['SYSTEM_ERROR', 'FREQUENCY_LIMITED', 'SIGN_ERROR', 'ORDERPAID']);
/** Refusals that mean a trade under this out_trade_no exists at WeChat (closed there before here). */
const TRADE_EXISTS = new Set(['ORDER_CLOSED', 'OUT_TRADE_NO_USED', 'INVALID_REQUEST']);

/**
 * A refund answer that refuses this request for good: a signed 4xx with a business code. 429
 * (FREQUENCY_LIMITED) and 5xx never reach here (UNKNOWN). NOT_ENOUGH (merchant balance) is a refusal
 * now; a later refund gets a new number.
 */
function isRefusal(status: number, code: unknown): boolean {
  return status >= 400 && status < 500 && typeof code === 'string' && code !== 'SYSTEM_ERROR';
}

/**
 * The trade bill CSV (UTF-8 with BOM; every cell prefixed with a backtick; two summary lines at the end),
 * parsed with the plugin's Formatter.castCsvBill. Columns used: 交易时间 (time), 微信订单号
 * (transaction_id), 商户订单号 (out_trade_no), 交易状态 (SUCCESS | REFUND), 应结订单金额 (yuan),
 * 商户退款单号 (out_refund_no), 退款金额 (yuan). REFUND lines become `refunds` (the refund lines of the
 * refunds issue's BillResult); their 交易时间 is taken as the refund time (uncertain in WeChat's docs).
 */
export function parseTradeBill(csv: string): BillResult {
  const text = csv.startsWith('\uFEFF') ? csv : `\uFEFF${csv}`;
  let rows: Array<Record<string, string>>;
  try {
    rows = (Formatter.castCsvBill(Buffer.from(text, 'utf8')) as { rows: Array<Record<string, string>> }).rows;
  } catch {
    return { ok: false, reason: 'malformed bill file' };
  }
  const trades: BillTrade[] = [];
  const refunds: BillRefund[] = [];
  for (const r of rows) {
    const at = fromCst(r['交易时间']);
    if (r['交易状态'] === 'REFUND') {
      const amount = tryYuanToFen(r['退款金额']);
      if (amount === null || !r['商户订单号'] || !r['商户退款单号']) {
        return { ok: false, reason: 'malformed bill refund line' };
      }
      refunds.push({ paymentNo: r['商户订单号'], refundNo: r['商户退款单号'], amount, refundedAt: at });
      continue;
    }
    if (r['交易状态'] !== 'SUCCESS') continue;
    const amount = tryYuanToFen(r['应结订单金额']);
    if (amount === null || !r['商户订单号'] || !r['微信订单号'])
      return { ok: false, reason: 'malformed bill line' };
    trades.push({
      paymentNo: r['商户订单号'],
      tradeNo: r['微信订单号'],
      amount,
      status: 'SUCCESS',
      paidAt: at,
    });
  }
  return { ok: true, trades, refunds };
}
