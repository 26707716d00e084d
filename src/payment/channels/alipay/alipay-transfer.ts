import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { AlipaySdk, AlipaySdkCommonResult } from 'alipay-sdk';
import { fromCst } from '../../../common/china-time';
import { fenToYuan, tryYuanToFen } from '../../money';
import type {
  FundBillLine,
  FundBillResult,
  PayoutClient,
  PayoutTransfer,
  TransferResult,
} from '../../payout/payout-gateway';
import { alipayConfig } from './alipay.config';
import { alipaySdkConfig, PaymentKeysProvider } from './payment-keys.provider';

type Call = { ok: true; res: AlipaySdkCommonResult } | { ok: false; reason: string };

const PRODUCT_CODE = 'TRANS_ACCOUNT_NO_PWD';
const BIZ_SCENE = 'DIRECT_TRANSFER';

/**
 * Refusals of a transfer request that are conclusive: no money moved under this number (a repeat of a
 * number that did move money answers that first result, not a refusal). Anything else that is not a
 * success — SYSTEM_ERROR, isp.unknow-error, PAYMENT_INFO_INCONSISTENCY (the number is known with other
 * parameters: never ours, as every retry is built from the stored row), an unlisted code — is UNKNOWN.
 */
const REFUSALS = new Set([
  'PAYEE_NOT_EXIST',
  'PAYEE_USER_INFO_ERROR',
  'PAYEE_ACC_OCUPIED',
  'PAYEE_ACCOUNT_STATUS_ERROR',
  'PAYEE_ACCOUNT_NOT_EXSIT',
  'PAYEE_CERT_INFO_ERROR',
  'PAYEE_NOT_RELNAME_CERTIFY',
  'PAYER_BALANCE_NOT_ENOUGH',
  'PAYER_STATUS_ERROR',
  'PERMIT_CHECK_PERM_IDENTITY_THEFT',
]);
const isRefusal = (sub: unknown) =>
  typeof sub === 'string' && (REFUSALS.has(sub) || sub.startsWith('EXCEED_LIMIT_'));

/** `2088` + 12 digits is an Alipay user id; anything else a logon id (phone, e-mail). */
export function alipayIdentityType(identity: string): 'ALIPAY_USER_ID' | 'ALIPAY_LOGON_ID' {
  return /^2088\d{12}$/.test(identity) ? 'ALIPAY_USER_ID' : 'ALIPAY_LOGON_ID';
}

/**
 * Alipay 单笔转账 on alipay-sdk (4.x): `alipay.fund.trans.uni.transfer` and
 * `alipay.fund.trans.common.query`, every call with `validateSign: true` (an answer whose signature does
 * not verify is UNKNOWN). Its own SDK instance on the merchant's keys (PaymentKeysProvider, alipaySdkConfig),
 * as the payment client has; production fund APIs want public-key-certificate mode (ALIPAY_*_CERT): then
 * app_cert_sn / alipay_root_cert_sn go on every call, and a refusal of them (isv.missing-app-cert-sn,
 * isv.app-cert-not-exist, …: code 40002, not 40004) is UNKNOWN like every request-level error.
 */
@Injectable()
export class AlipayTransferClient implements PayoutClient {
  private readonly logger = new Logger(AlipayTransferClient.name);
  private sdk?: AlipaySdk;

  constructor(
    private readonly keys: PaymentKeysProvider,
    @Inject(alipayConfig.KEY) private readonly cfg: ConfigType<typeof alipayConfig>,
  ) {}

  async transfer(t: PayoutTransfer): Promise<TransferResult> {
    const call = await this.exec('alipay.fund.trans.uni.transfer', {
      // where alipay.fund.trans.order.changed goes (docs/payouts.md: in production the app's 应用网关 too)
      notifyUrl: `${this.cfg.notifyUrl}/transfers`,
      bizContent: {
        out_biz_no: t.payoutNo,
        trans_amount: fenToYuan(t.amount),
        product_code: PRODUCT_CODE,
        biz_scene: BIZ_SCENE,
        order_title: t.title,
        payee_info: {
          identity: t.payeeIdentity,
          identity_type: alipayIdentityType(t.payeeIdentity),
          ...(t.payeeName ? { name: t.payeeName } : {}),
        },
      },
    });
    if (!call.ok) return { status: 'UNKNOWN', reason: call.reason };
    const r = call.res;
    if (r.code === '10000') {
      if (r.outBizNo !== t.payoutNo) return { status: 'UNKNOWN', reason: `answer for ${r.outBizNo}` };
      return byAlipayStatus(r, t);
    }
    if (r.code === '40004' && isRefusal(r.subCode)) {
      return { status: 'FAILED', code: String(r.subCode), reason: describe(r) };
    }
    if (r.subCode === 'PAYMENT_INFO_INCONSISTENCY') {
      this.logger.error(
        `payout ${t.payoutNo}: Alipay holds this number with other parameters (${describe(r)})`,
      );
    }
    return { status: 'UNKNOWN', reason: describe(r) };
  }

  async query(t: PayoutTransfer): Promise<TransferResult> {
    const call = await this.exec('alipay.fund.trans.common.query', {
      bizContent: { out_biz_no: t.payoutNo, product_code: PRODUCT_CODE, biz_scene: BIZ_SCENE },
    });
    if (!call.ok) return { status: 'UNKNOWN', reason: call.reason };
    const r = call.res;
    if (r.code !== '10000') {
      // right after a call ORDER_NOT_EXIST means "not there yet": the caller sends again, same number
      if (r.code === '40004' && r.subCode === 'ORDER_NOT_EXIST') return { status: 'NOT_FOUND' };
      return { status: 'UNKNOWN', reason: describe(r) };
    }
    if (r.outBizNo !== undefined && r.outBizNo !== t.payoutNo) {
      return { status: 'UNKNOWN', reason: `answer for ${r.outBizNo}` };
    }
    if (r.transAmount !== undefined && tryYuanToFen(r.transAmount) !== t.amount) {
      return { status: 'UNKNOWN', reason: `answer for ${JSON.stringify(r.transAmount)} yuan` };
    }
    return byAlipayStatus(r, t);
  }

  /**
   * The fund account bill of a (China time) day: `alipay.data.dataservice.bill.downloadurl.query` with
   * `bill_type=signcustomer`, then the file. Transfer lines (type 转账, 支出) are OUT, bank bounces (退票,
   * 收入) IN; other movements of the account are not payouts and are skipped.
   */
  async fundBill(date: string): Promise<FundBillResult> {
    const call = await this.exec('alipay.data.dataservice.bill.downloadurl.query', {
      bizContent: { bill_type: 'signcustomer', bill_date: date },
    });
    if (!call.ok) return call;
    const url = call.res.billDownloadUrl;
    if (call.res.code !== '10000' || typeof url !== 'string')
      return { ok: false, reason: describe(call.res) };
    let body: { lines?: Array<Record<string, unknown>> };
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(this.cfg.timeoutMs) });
      if (res.status !== 200) return { ok: false, reason: `fund bill download HTTP ${res.status}` };
      body = (await res.json()) as typeof body;
    } catch (err) {
      return { ok: false, reason: `fund bill download failed: ${(err as Error).message}` };
    }
    const lines: FundBillLine[] = [];
    for (const l of body.lines ?? []) {
      const kind =
        l.type === '转账' && l.direction === '支出'
          ? 'OUT'
          : l.type === '退票' && l.direction === '收入'
            ? 'IN'
            : null;
      if (!kind) continue;
      const amount = tryYuanToFen(l.trans_amount);
      if (
        amount === null ||
        typeof l.merchant_order_no !== 'string' ||
        typeof l.alipay_order_no !== 'string'
      ) {
        return { ok: false, reason: 'malformed fund bill line' };
      }
      lines.push({
        payoutNo: l.merchant_order_no,
        orderId: l.alipay_order_no,
        amount,
        direction: kind,
        at: fromCst(l.trans_dt),
      });
    }
    return { ok: true, lines };
  }

  /**
   * Whether an async notify's form (alipay.fund.trans.order.changed) carries Alipay's signature: alipay-sdk's
   * checkNotifySignV2 over the raw decoded values, with and without `sign_type` (the SDK tries both). False,
   * never a throw, when the keys do not load (the notify is refused; Alipay sends it again).
   */
  async verifyNotify(params: Record<string, string>): Promise<boolean> {
    try {
      return (await this.client()).checkNotifySignV2({ ...params });
    } catch (err) {
      this.logger.warn(`transfer notify not verifiable: ${(err as Error).message}`);
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
      return { ok: true, res: await sdk.exec(method, params, { validateSign: true }) };
    } catch (err) {
      // transport error, timeout, non-JSON, bad or missing answer signature
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

/**
 * A transfer's `status` as a result, one mapping for the transfer answer, the query and the notify
 * (alipay-transfer-notify.ts; its biz_content camel-cased as alipay-sdk does the answers): SUCCESS →
 * SUCCEEDED, FAIL → FAILED, REFUND (a bank bounce) → BOUNCED, INIT / DEALING / WAIT_PAY → PENDING.
 */
export function byAlipayStatus(r: Record<string, unknown>, t: PayoutTransfer): TransferResult {
  const orderId = typeof r.orderId === 'string' ? r.orderId : null;
  switch (r.status) {
    case 'SUCCESS':
      return {
        status: 'SUCCEEDED',
        channelOrderId: orderId,
        succeededAt: fromCst(r.payDate) ?? fromCst(r.transDate),
      };
    case 'FAIL':
      return {
        status: 'FAILED',
        code: String(r.errorCode ?? 'FAIL'),
        reason: String(r.failReason ?? 'transfer FAIL'),
      };
    case 'REFUND':
      return { status: 'BOUNCED', reason: String(r.failReason ?? 'REFUND: returned by the bank') };
    case 'INIT':
    case 'DEALING':
    case 'WAIT_PAY':
      return { status: 'PENDING', channelOrderId: orderId, state: String(r.status) };
    default:
      return { status: 'UNKNOWN', reason: `${t.payoutNo}: status ${JSON.stringify(r.status)}` };
  }
}

function describe(r: AlipaySdkCommonResult): string {
  return [r.code, r.msg, r.subCode, r.subMsg].filter(Boolean).join(' ');
}
