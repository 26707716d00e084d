import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { AxiosInstance } from 'axios';
import { constants, createHash, publicEncrypt } from 'node:crypto';
import { Decorator, Formatter } from 'wechatpay-axios-plugin';
import { wechatConfig } from './wechat.config';
import type {
  FundBillLine,
  FundBillResult,
  PayoutClient,
  PayoutTransfer,
  TransferResult,
} from '../../payout/payout-gateway';
import { fromCst } from '../../../common/china-time';
import { tryYuanToFen } from '../../money';
import { WechatKeys, WechatKeysProvider } from './wechat-keys.provider';

type Answer = { ok: true; status: number; data: Record<string, unknown> } | { ok: false; reason: string };

const BILLS = '/v3/fund-app/mch-transfer/transfer-bills';

/**
 * Refusals of a transfer bill that are conclusive (no bill made under this number). INVALID_REQUEST
 * (among others: the number exists with other parameters), SYSTEM_ERROR, FREQUENCY_LIMITED, 5xx and
 * unlisted codes are UNKNOWN: a bill may exist.
 */
const REFUSALS = new Set(['PARAM_ERROR', 'NOT_ENOUGH', 'NO_AUTH', 'ACCOUNT_ERROR', 'OPENID_INVALID']);

/**
 * WeChat Pay 商家转账 (the single-bill API, GATEWAY.md "Payouts") on wechatpay-axios-plugin: every
 * request signed, every answer — errors included (`validateStatus: () => true`) — verified with the
 * platform key named by its Wechatpay-Serial. `user_name` goes RSA-OAEP-encrypted with the platform key,
 * that key's id in the `Wechatpay-Serial` request header. States: SUCCESS succeeds; FAIL and CANCELLED
 * (cancelled, or unconfirmed until it closed) fail; ACCEPTED, PROCESSING, WAIT_USER_CONFIRM, TRANSFERING
 * and CANCELING are pending — the query settles them.
 */
@Injectable()
export class WechatTransferClient implements PayoutClient {
  private readonly logger = new Logger(WechatTransferClient.name);
  private http?: AxiosInstance;
  private keys?: WechatKeys;

  constructor(
    private readonly keyProvider: WechatKeysProvider,
    @Inject(wechatConfig.KEY) private readonly cfg: ConfigType<typeof wechatConfig>,
  ) {}

  async transfer(t: PayoutTransfer): Promise<TransferResult> {
    let http: AxiosInstance;
    try {
      http = await this.client();
    } catch (err) {
      return { status: 'UNKNOWN', reason: `keys: ${(err as Error).message}` };
    }
    const keys = this.keys!;
    const [serial, key] = Object.entries(keys.platformKeys)[0];
    const data: Record<string, unknown> = {
      appid: keys.appid,
      out_bill_no: t.payoutNo,
      transfer_scene_id: this.cfg.transferSceneId,
      openid: t.payeeIdentity,
      transfer_amount: t.amount,
      transfer_remark: t.title.slice(0, 32),
      notify_url: `${this.cfg.notifyUrl}/transfers`,
      transfer_scene_report_infos: [
        { info_type: '活动名称', info_content: '钱包提现' },
        { info_type: '奖励说明', info_content: '余额提现到微信零钱' },
      ],
    };
    if (t.payeeName) {
      data.user_name = publicEncrypt(
        { key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' },
        Buffer.from(t.payeeName, 'utf8'),
      ).toString('base64');
    }
    const a = await this.call(http, 'POST', BILLS, data, { 'Wechatpay-Serial': serial });
    if (!a.ok) return { status: 'UNKNOWN', reason: a.reason };
    const d = a.data;
    if (a.status === 200) {
      if (d.out_bill_no !== t.payoutNo)
        return { status: 'UNKNOWN', reason: `answer for ${String(d.out_bill_no)}` };
      return byState(d, t);
    }
    if (a.status >= 400 && a.status < 500 && typeof d.code === 'string' && REFUSALS.has(d.code)) {
      return { status: 'FAILED', code: d.code, reason: String(d.message ?? d.code) };
    }
    return { status: 'UNKNOWN', reason: describe(a) };
  }

  async query(t: PayoutTransfer): Promise<TransferResult> {
    let http: AxiosInstance;
    try {
      http = await this.client();
    } catch (err) {
      return { status: 'UNKNOWN', reason: `keys: ${(err as Error).message}` };
    }
    const a = await this.call(http, 'GET', `${BILLS}/out-bill-no/${encodeURIComponent(t.payoutNo)}`);
    if (!a.ok) return { status: 'UNKNOWN', reason: a.reason };
    const d = a.data;
    if (a.status === 404 && d.code === 'NOT_FOUND') return { status: 'NOT_FOUND' };
    if (a.status !== 200) return { status: 'UNKNOWN', reason: describe(a) };
    if (d.out_bill_no !== t.payoutNo || d.transfer_amount !== t.amount || d.appid !== this.keys!.appid) {
      return {
        status: 'UNKNOWN',
        reason: `answer for ${String(d.appid)}/${String(d.out_bill_no)}/${String(d.transfer_amount)}`,
      };
    }
    return byState(d, t);
  }

  /**
   * The fund-flow bill of a (China time) day: `GET /v3/bill/fundflowbill` (signed answer with the download
   * URL and its SHA1), then the file, checked against the SHA1. Lines of 业务名称 商家转账: 支出 is OUT, 收入
   * (money back) IN; 业务凭证号 is our out_bill_no. GATEWAY.md names no transfer bill: the fund-flow bill is
   * the closest WeChat Pay v3 bill (docs/payouts.md).
   */
  async fundBill(date: string): Promise<FundBillResult> {
    let http: AxiosInstance;
    try {
      http = await this.client();
    } catch (err) {
      return { ok: false, reason: `keys: ${(err as Error).message}` };
    }
    const a = await this.call(http, 'GET', `/v3/bill/fundflowbill?bill_date=${date}&account_type=BASIC`);
    if (!a.ok) return a;
    const d = a.data;
    if (a.status !== 200 || typeof d.download_url !== 'string' || typeof d.hash_value !== 'string') {
      if (a.status === 400 && d.code === 'NO_STATEMENT_EXIST') return { ok: true, lines: [] };
      return { ok: false, reason: describe(a) };
    }
    const base = this.cfg.baseUrl.replace(/\/+$/, '');
    if (!d.download_url.startsWith(`${base}/`)) return { ok: false, reason: 'download_url off the API host' };
    let file: Buffer;
    try {
      const res = await http.request({
        method: 'GET',
        url: d.download_url.slice(base.length),
        responseType: 'arraybuffer', // raw bytes: a text decode strips the BOM and changes the SHA1
        // files are not signed (the SHA1 of the signed answer vouches): the plugin's verifier skips only
        // /v3/billdownload/file, so this request goes without the instance's response transforms
        transformResponse: [(data: unknown) => data],
        timeout: this.cfg.timeoutMs,
        validateStatus: () => true,
      });
      if (res.status !== 200 || !Buffer.isBuffer(res.data))
        return { ok: false, reason: `file HTTP ${res.status}` };
      file = res.data;
    } catch (err) {
      return { ok: false, reason: `fund bill download failed: ${(err as Error).message}` };
    }
    if (
      d.hash_type !== 'SHA1' ||
      createHash('sha1').update(file).digest('hex') !== d.hash_value.toLowerCase()
    ) {
      return { ok: false, reason: 'fund bill file does not match its SHA1' };
    }
    return parseFundFlowBill(file);
  }

  private async call(
    http: AxiosInstance,
    method: 'GET' | 'POST',
    url: string,
    data?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer> {
    try {
      const res = await http.request({
        method,
        url,
        data,
        headers,
        timeout: this.cfg.timeoutMs,
        validateStatus: () => true,
      });
      if (res.status >= 500 || res.status === 429) {
        return { ok: false, reason: `HTTP ${res.status} ${JSON.stringify(res.data).slice(0, 200)}` };
      }
      const body = res.data && typeof res.data === 'object' ? (res.data as Record<string, unknown>) : {};
      return { ok: true, status: res.status, data: body };
    } catch (err) {
      // transport error, timeout, missing/stale/bad answer signature
      const e = err as Error & { code?: string };
      const reason = `${e.code ?? e.name}: ${e.message}`.slice(0, 300);
      this.logger.warn(`${method} ${url} failed: ${reason}`);
      return { ok: false, reason };
    }
  }

  private async client(): Promise<AxiosInstance> {
    if (this.http) return this.http;
    const keys = await this.keyProvider.get();
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

/** The fund-flow CSV (BOM, backtick cells, two summary lines) → the transfer lines, parsed with the plugin. */
export function parseFundFlowBill(file: Buffer): FundBillResult {
  let rows: Array<Record<string, string>>;
  try {
    rows = (Formatter.castCsvBill(file) as { rows: Array<Record<string, string>> }).rows;
  } catch {
    return { ok: false, reason: 'malformed fund bill file' };
  }
  const lines: FundBillLine[] = [];
  for (const r of rows) {
    if (r['业务名称'] !== '商家转账') continue;
    const direction = r['收支类型'] === '支出' ? 'OUT' : r['收支类型'] === '收入' ? 'IN' : null;
    const amount = tryYuanToFen(r['收支金额（元）']);
    if (!direction || amount === null || !r['业务凭证号'] || !r['微信支付业务单号']) {
      return { ok: false, reason: 'malformed fund bill line' };
    }
    lines.push({
      payoutNo: r['业务凭证号'],
      orderId: r['微信支付业务单号'],
      amount,
      direction,
      at: fromCst(r['记账时间']),
    });
  }
  return { ok: true, lines };
}

/** A bill's state (answer, query or notify resource) as a result. */
export function byState(d: Record<string, unknown>, t: PayoutTransfer): TransferResult {
  const billNo = typeof d.transfer_bill_no === 'string' ? d.transfer_bill_no : null;
  switch (d.state) {
    case 'SUCCESS':
      return {
        status: 'SUCCEEDED',
        channelOrderId: billNo,
        succeededAt: typeof d.update_time === 'string' ? new Date(d.update_time) : null,
      };
    case 'FAIL':
      return {
        status: 'FAILED',
        code: String(d.fail_reason ?? 'FAIL'),
        reason: `transfer FAIL ${String(d.fail_reason ?? '')}`.trim(),
      };
    case 'CANCELLED':
      return {
        status: 'FAILED',
        code: 'CANCELLED',
        reason: 'bill CANCELLED (cancelled, or unconfirmed until it closed)',
      };
    case 'ACCEPTED':
    case 'PROCESSING':
    case 'WAIT_USER_CONFIRM':
    case 'TRANSFERING':
    case 'CANCELING':
      return { status: 'PENDING', channelOrderId: billNo, state: d.state };
    default:
      return { status: 'UNKNOWN', reason: `${t.payoutNo}: state ${JSON.stringify(d.state)}` };
  }
}

function describe(a: { status: number; data: Record<string, unknown> }): string {
  return [`HTTP ${a.status}`, a.data.code, a.data.message].filter(Boolean).join(' ');
}
