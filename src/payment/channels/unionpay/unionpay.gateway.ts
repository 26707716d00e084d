import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { inflateSync } from 'node:zlib';
import type {
  BillRefund,
  BillResult,
  BillTrade,
  CloseResult,
  PrecreateResult,
  QueryResult,
  RefundQueryResult,
  RefundResult,
} from '../../gateway/payment-gateway';
import type { ChannelGateway, PaymentRef, RefundRef } from '../channel';
import { unionpayConfig } from './unionpay.config';
import { UnionpayKeysProvider } from './unionpay-keys';
import { acpSign, acpVerify } from './unionpay-sign';
import {
  acpTime,
  fenOf,
  isAskAgainCode,
  isRefusalCode,
  isSuccessCode,
  parseAcpAnswer,
} from './unionpay-wire';

type Answer = { ok: true; f: Record<string, string> } | { ok: false; reason: string };

/**
 * The UnionPay online-gateway client (acp 5.1.0, signMethod 01) on node:crypto and fetch. Every request is
 * signed with the merchant key (certId = its certificate's decimal serial); every answer must verify
 * against the configured root + intermediate (acpVerify) and name our merId and orderId, or it is
 * UNKNOWN. Codes 03/04/05 are "ask again", never a conclusion.
 *
 * Consume by QR (`txnType=01`, `txnSubType=07`) has no close: after `payTimeout` (the payment's
 * expiresAt) UnionPay refuses to pay the QR. `close` therefore queries: paid → ALREADY_PAID, unknown →
 * UNKNOWN, anything else → CLOSED; a buyer who still pays before payTimeout (a cancel or a channel switch
 * before expiry) brings a late payment, which the success path records (CLOSED → SUCCESS, anomaly).
 */
@Injectable()
export class UnionpayGateway implements ChannelGateway {
  private readonly logger = new Logger(UnionpayGateway.name);

  constructor(
    private readonly keys: UnionpayKeysProvider,
    @Inject(unionpayConfig.KEY) private readonly cfg: ConfigType<typeof unionpayConfig>,
  ) {}

  async precreate(p: PaymentRef, opts: { notifyUrl?: string } = {}): Promise<PrecreateResult> {
    const a = await this.call('/gateway/api/backTransReq.do', {
      ...this.common('01', '07', p.paymentNo, p.createdAt),
      channelType: '08',
      txnAmt: String(p.amount),
      currencyCode: '156',
      backUrl: opts.notifyUrl ?? this.cfg.notifyUrl,
      payTimeout: acpTime(p.expiresAt),
      riskRateInfo: `{commodityName=${p.subject.replace(/[{}&=]/g, ' ').slice(0, 60)}}`,
    });
    if (!a.ok) return a;
    const code = a.f.respCode;
    if (code === '00' && a.f.qrCode) return { ok: true, qrCode: a.f.qrCode };
    if (isRefusalCode(code))
      return { ok: false, reason: `respCode ${code} ${a.f.respMsg ?? ''}`, refusedCode: code };
    return { ok: false, reason: `respCode ${code} ${a.f.respMsg ?? ''}` };
  }

  async query(p: PaymentRef): Promise<QueryResult> {
    const a = await this.queryTrans(p.paymentNo, p.createdAt);
    if (!a.ok) return { status: 'UNKNOWN', reason: a.reason };
    const f = a.f;
    // 34: no transaction under this orderId + txnTime yet (the QR has not been scanned): ask again later
    if (f.respCode === '34') return { status: 'NOT_EXIST' };
    if (f.respCode !== '00') return { status: 'UNKNOWN', reason: `respCode ${f.respCode}` };
    if (isSuccessCode(f.origRespCode)) {
      const amount = fenOf(f.txnAmt);
      if (amount === null || !f.queryId) return { status: 'UNKNOWN', reason: 'malformed query answer' };
      return { status: 'PAID', tradeNo: f.queryId, amount, paidAt: new Date() };
    }
    if (isAskAgainCode(f.origRespCode) || !f.origRespCode) {
      return { status: 'UNKNOWN', reason: `origRespCode ${f.origRespCode ?? 'missing'}` };
    }
    return { status: 'WAIT_BUYER_PAY' }; // this attempt failed at the bank; the QR stays payable until payTimeout
  }

  async close(p: PaymentRef): Promise<CloseResult> {
    const q = await this.query(p);
    if (q.status === 'PAID') return { status: 'ALREADY_PAID' };
    if (q.status === 'UNKNOWN') return q;
    return { status: 'CLOSED' };
  }

  /** `txnType=04`: a new orderId (the refund number) and txnTime, `origQryId` = the payment's queryId. */
  async refund(p: PaymentRef, r: RefundRef): Promise<RefundResult> {
    if (!p.channelTradeNo) return { status: 'UNKNOWN', reason: 'the payment has no queryId yet' };
    const a = await this.call('/gateway/api/backTransReq.do', {
      ...this.common('04', '00', r.refundNo, r.createdAt),
      channelType: '07',
      origQryId: p.channelTradeNo,
      txnAmt: String(r.amount),
      currencyCode: '156',
      backUrl: r.notifyUrl ?? this.cfg.notifyUrl,
    });
    if (!a.ok) return { status: 'UNKNOWN', reason: a.reason };
    const code = a.f.respCode;
    // 00 means accepted: the outcome comes by notify (success or failure) or by refund query
    if (code === '00') return { status: 'PROCESSING' };
    if (isRefusalCode(code)) return { status: 'FAILED', code, reason: a.f.respMsg ?? `respCode ${code}` };
    return { status: 'UNKNOWN', reason: `respCode ${code} ${a.f.respMsg ?? ''}` };
  }

  async refundQuery(_p: PaymentRef, r: RefundRef): Promise<RefundQueryResult> {
    const a = await this.queryTrans(r.refundNo, r.createdAt);
    if (!a.ok) return { status: 'UNKNOWN', reason: a.reason };
    const f = a.f;
    if (f.respCode === '34') return { status: 'NOT_FOUND' };
    if (f.respCode !== '00') return { status: 'UNKNOWN', reason: `respCode ${f.respCode}` };
    if (isSuccessCode(f.origRespCode)) {
      const amount = fenOf(f.txnAmt);
      if (amount === null) return { status: 'UNKNOWN', reason: 'malformed refund query answer' };
      return { status: 'SUCCEEDED', amount, refundedAt: new Date() };
    }
    if (isAskAgainCode(f.origRespCode) || !f.origRespCode) return { status: 'PROCESSING' };
    return { status: 'FAILED', reason: `origRespCode ${f.origRespCode} ${f.origRespMsg ?? ''}`.trim() };
  }

  /**
   * The settlement file of a China day (`txnType=76`, `fileType=00`, settleDate MMDD). The sandbox's file
   * is a simplification (docs/unionpay.md): `fileContent` is base64 of deflated text, one line per
   * transaction `txnType|orderId|queryId|txnAmt|txnTime|origQryId`; the real one is a zip of fixed-width files.
   */
  async downloadBill(date: string): Promise<BillResult> {
    const settleDate = date.slice(5, 7) + date.slice(8, 10);
    const a = await this.call('/gateway/api/fileTransRequest.do', {
      version: '5.1.0',
      encoding: 'UTF-8',
      txnType: '76',
      txnSubType: '01',
      bizType: '000000',
      accessType: '0',
      merId: this.cfg.merId,
      settleDate,
      txnTime: acpTime(new Date()),
      fileType: '00',
    });
    if (!a.ok) return a;
    if (a.f.respCode === '98') return { ok: true, trades: [], refunds: [] }; // no file: nothing settled that day
    if (a.f.respCode !== '00' || !a.f.fileContent) return { ok: false, reason: `respCode ${a.f.respCode}` };
    let text: string;
    try {
      text = inflateSync(Buffer.from(a.f.fileContent, 'base64')).toString('utf8');
    } catch {
      return { ok: false, reason: 'undecodable fileContent' };
    }
    const trades: BillTrade[] = [];
    const refunds: BillRefund[] = [];
    const byQueryId = new Map<string, string>();
    const rows = text
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('|'));
    for (const [txnType, orderId, queryId] of rows) if (txnType === '01') byQueryId.set(queryId, orderId);
    for (const [txnType, orderId, queryId, amt, , origQryId] of rows) {
      const amount = fenOf(amt);
      if (amount === null || !orderId) return { ok: false, reason: 'malformed bill line' };
      if (txnType === '01')
        trades.push({ paymentNo: orderId, tradeNo: queryId, amount, status: 'SUCCESS', paidAt: null });
      else if (txnType === '04') {
        const paymentNo = byQueryId.get(origQryId);
        if (!paymentNo) return { ok: false, reason: `refund line ${orderId} of an unknown trade` };
        refunds.push({ paymentNo, refundNo: orderId, amount, refundedAt: null });
      }
    }
    return { ok: true, trades, refunds };
  }

  private common(txnType: string, txnSubType: string, orderId: string, at: Date): Record<string, string> {
    return {
      version: '5.1.0',
      encoding: 'UTF-8',
      txnType,
      txnSubType,
      bizType: '000000',
      accessType: '0',
      merId: this.cfg.merId,
      orderId,
      txnTime: acpTime(at),
    };
  }

  private queryTrans(orderId: string, at: Date): Promise<Answer> {
    return this.call('/gateway/api/queryTrans.do', this.common('00', '00', orderId, at));
  }

  /** Signs, posts and verifies; anything we may not trust is `ok: false` (UNKNOWN to the caller). */
  private async call(path: string, fields: Record<string, string>): Promise<Answer> {
    let keys;
    try {
      keys = await this.keys.get();
    } catch (err) {
      return { ok: false, reason: `keys: ${(err as Error).message}` };
    }
    const body = new URLSearchParams(acpSign(fields, keys.signer)).toString();
    let text: string;
    try {
      const res = await fetch(`${this.cfg.gatewayUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' },
        body,
        signal: AbortSignal.timeout(this.cfg.timeoutMs),
      });
      text = await res.text();
      if (res.status !== 200) return { ok: false, reason: `HTTP ${res.status}` };
    } catch (err) {
      const e = err as Error;
      this.logger.warn(`${path} failed: ${e.name}: ${e.message}`);
      return { ok: false, reason: `${e.name}: ${e.message}`.slice(0, 300) };
    }
    const f = parseAcpAnswer(text);
    const v = acpVerify(f, keys.trust);
    if (!v.ok) {
      this.logger.warn(`${path}: answer refused (${v.reason})`);
      return { ok: false, reason: `answer: ${v.reason}` };
    }
    if (f.merId !== fields.merId || (fields.orderId && f.orderId !== fields.orderId)) {
      return { ok: false, reason: `answer for ${f.merId}/${f.orderId}` };
    }
    return { ok: true, f };
  }
}
