import { KeyObject } from 'node:crypto';
import { Aes, Formatter, Rsa } from 'wechatpay-axios-plugin';

/** WeChat Pay v3 signs answers and notifies; a signature older (or newer) than this is a replay. */
export const WECHAT_MAX_CLOCK_SKEW_SEC = 300;

export type WechatHeaders = Record<string, string | string[] | undefined>;

/** The four signature headers of a WeChat Pay v3 answer or notify (lower-cased, as Node delivers them). */
export interface WechatSignatureHeaders {
  timestamp: string;
  nonce: string;
  signature: string;
  serial: string;
}

export function signatureHeaders(headers: WechatHeaders): WechatSignatureHeaders | null {
  const pick = (name: string): string | null => {
    const v = headers[name] ?? headers[name.toLowerCase()];
    const s = Array.isArray(v) ? v[0] : v;
    return typeof s === 'string' && s.length > 0 ? s : null;
  };
  const timestamp = pick('wechatpay-timestamp');
  const nonce = pick('wechatpay-nonce');
  const signature = pick('wechatpay-signature');
  const serial = pick('wechatpay-serial');
  if (!timestamp || !nonce || !signature || !serial) return null;
  return { timestamp, nonce, signature, serial };
}

/** Why a signature was refused: not from WeChat, or replayed. */
export type SignatureErrorCode = 'MISSING_HEADERS' | 'STALE_TIMESTAMP' | 'UNKNOWN_SERIAL' | 'BAD_SIGNATURE';

export type SignatureCheck = { ok: true } | { ok: false; code: SignatureErrorCode; reason: string };

/**
 * Verifies SHA256withRSA over `timestamp\nnonce\nbody\n` (the raw body, byte for byte) with the platform
 * key named by Wechatpay-Serial, and refuses a timestamp more than 300 s from now (a replay). The
 * signing string and the RSA check are wechatpay-axios-plugin's `Formatter.response` and `Rsa.verify`,
 * the same ones its axios client applies to answers.
 */
export function checkSignature(
  headers: WechatHeaders,
  rawBody: string,
  platformKeys: Record<string, KeyObject | string>,
  nowSec: number = Math.floor(Date.now() / 1000),
): SignatureCheck {
  const h = signatureHeaders(headers);
  if (!h) return { ok: false, code: 'MISSING_HEADERS', reason: 'Wechatpay-* signature headers missing' };
  const ts = /^\d{1,12}$/.test(h.timestamp) ? Number(h.timestamp) : NaN;
  if (!Number.isFinite(ts) || Math.abs(nowSec - ts) > WECHAT_MAX_CLOCK_SKEW_SEC) {
    return {
      ok: false,
      code: 'STALE_TIMESTAMP',
      reason: `Wechatpay-Timestamp ${h.timestamp} is outside ±300 s`,
    };
  }
  if (!Object.prototype.hasOwnProperty.call(platformKeys, h.serial)) {
    return { ok: false, code: 'UNKNOWN_SERIAL', reason: `unknown Wechatpay-Serial ${h.serial}` };
  }
  let verified = false;
  try {
    verified = Rsa.verify(
      Formatter.response(h.timestamp, h.nonce, rawBody),
      h.signature,
      platformKeys[h.serial],
    );
  } catch {
    verified = false;
  }
  return verified
    ? { ok: true }
    : { ok: false, code: 'BAD_SIGNATURE', reason: 'Wechatpay-Signature does not verify' };
}

/** The encrypted `resource` of a v3 notify. */
export interface WechatResource {
  algorithm: string;
  ciphertext: string;
  associated_data?: string;
  nonce: string;
  original_type?: string;
}

/**
 * AEAD_AES_256_GCM with the 32-byte APIv3 key: iv = `nonce`, aad = `associated_data`, the auth tag is the
 * last 16 bytes of the base64-decoded ciphertext (wechatpay-axios-plugin's `Aes.AesGcm`). Null when the
 * resource is malformed or does not authenticate.
 */
export function decryptResource(resource: unknown, apiV3Key: string): string | null {
  if (!resource || typeof resource !== 'object') return null;
  const r = resource as Partial<WechatResource>;
  if (r.algorithm !== 'AEAD_AES_256_GCM' || typeof r.ciphertext !== 'string' || typeof r.nonce !== 'string') {
    return null;
  }
  if (Buffer.from(r.ciphertext, 'base64').length <= 16) return null;
  try {
    return Aes.AesGcm.decrypt(r.ciphertext, apiV3Key, r.nonce, r.associated_data ?? '');
  } catch {
    return null;
  }
}

/**
 * The inverse of decryptResource, for the tests that build notifies. The sandbox does not use it: it
 * encrypts with its own code (src/sandbox/wechat/wechat-sandbox.views.ts), so a bug on one side of the
 * protocol cannot hide in the other.
 */
export function encryptResource(
  plaintext: string,
  apiV3Key: string,
  nonce: string,
  associatedData: string,
  originalType: string,
): WechatResource {
  return {
    algorithm: 'AEAD_AES_256_GCM',
    ciphertext: Aes.AesGcm.encrypt(plaintext, apiV3Key, nonce, associatedData),
    associated_data: associatedData,
    nonce,
    original_type: originalType,
  };
}

export type WechatEventType = 'TRANSACTION.SUCCESS' | 'REFUND.SUCCESS' | 'REFUND.ABNORMAL' | 'REFUND.CLOSED';
export const WECHAT_EVENT_TYPES: readonly WechatEventType[] = [
  'TRANSACTION.SUCCESS',
  'REFUND.SUCCESS',
  'REFUND.ABNORMAL',
  'REFUND.CLOSED',
];

/** A decrypted TRANSACTION.SUCCESS resource, reduced to what the service checks and applies. */
export interface WechatTransaction {
  appid: string;
  mchid: string;
  outTradeNo: string;
  transactionId: string;
  tradeState: string;
  /** fen */
  total: number;
  successTime: Date | null;
}

/** A decrypted REFUND.* resource. */
export interface WechatRefund {
  mchid: string;
  outTradeNo: string;
  outRefundNo: string;
  refundId: string;
  refundStatus: string;
  /** fen, this refund */
  refund: number;
  /** fen, the payment */
  total: number;
  successTime: Date | null;
}

export type WechatNotify =
  | { ok: true; id: string; eventType: 'TRANSACTION.SUCCESS'; transaction: WechatTransaction }
  | { ok: true; id: string; eventType: Exclude<WechatEventType, 'TRANSACTION.SUCCESS'>; refund: WechatRefund }
  /** `outTradeNo`: on WRONG_MERCHANT, the payment the (decrypted, verified) resource names. */
  | { ok: false; code: NotifyErrorCode; reason: string; outTradeNo?: string };

export type NotifyErrorCode =
  SignatureErrorCode | 'MALFORMED' | 'UNDECRYPTABLE' | 'UNKNOWN_EVENT' | 'WRONG_MERCHANT';

export interface WechatNotifyKeys {
  mchid: string;
  appid: string;
  apiV3Key: string;
  /** id (PUB_KEY_ID_… or certificate serial) → public key */
  platformKeys: Record<string, KeyObject | string>;
}

/**
 * Reads a WeChat Pay v3 notify in the order the protocol demands: the signature headers over the raw
 * body first (nothing is decrypted for a forged or replayed notify), then the AES-GCM resource, then the
 * merchant fields (`mchid`, and `appid` on transactions) against our configuration. Checking
 * `out_trade_no` and `amount.total` against the payment is the caller's (it owns the payments).
 */
export class WechatNotifyReader {
  constructor(private readonly keys: () => WechatNotifyKeys | Promise<WechatNotifyKeys>) {}

  async read(headers: WechatHeaders, rawBody: string, nowSec?: number): Promise<WechatNotify> {
    const keys = await this.keys();
    const sig = checkSignature(headers, rawBody, keys.platformKeys, nowSec);
    if (!sig.ok) return sig;
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(rawBody) as Record<string, unknown>;
    } catch {
      return { ok: false, code: 'MALFORMED', reason: 'body is not JSON' };
    }
    if (!body || typeof body !== 'object' || typeof body.id !== 'string') {
      return { ok: false, code: 'MALFORMED', reason: 'notify id missing' };
    }
    const eventType = body.event_type as WechatEventType;
    if (!WECHAT_EVENT_TYPES.includes(eventType)) {
      return { ok: false, code: 'UNKNOWN_EVENT', reason: `event_type ${String(body.event_type)}` };
    }
    const plain = decryptResource(body.resource, keys.apiV3Key);
    if (plain === null) return { ok: false, code: 'UNDECRYPTABLE', reason: 'resource does not decrypt' };
    let res: Record<string, unknown>;
    try {
      res = JSON.parse(plain) as Record<string, unknown>;
    } catch {
      return { ok: false, code: 'MALFORMED', reason: 'resource is not JSON' };
    }
    const outTradeNo = typeof res.out_trade_no === 'string' ? res.out_trade_no : undefined;
    if (res.mchid !== keys.mchid) {
      return { ok: false, code: 'WRONG_MERCHANT', reason: `mchid ${String(res.mchid)}`, outTradeNo };
    }
    if (eventType === 'TRANSACTION.SUCCESS') {
      const transaction = toTransaction(res);
      if (!transaction) return { ok: false, code: 'MALFORMED', reason: 'transaction fields malformed' };
      if (transaction.appid !== keys.appid) {
        return { ok: false, code: 'WRONG_MERCHANT', reason: `appid ${transaction.appid}`, outTradeNo };
      }
      return { ok: true, id: body.id, eventType, transaction };
    }
    const refund = toRefund(res);
    if (!refund) return { ok: false, code: 'MALFORMED', reason: 'refund fields malformed' };
    return { ok: true, id: body.id, eventType, refund };
  }
}

const isFen = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const str = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

export function parseTime(v: unknown): Date | null {
  if (typeof v !== 'string') return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** A transaction object (notify resource or query answer) → WechatTransaction, or null when malformed. */
export function toTransaction(r: Record<string, unknown>): WechatTransaction | null {
  const amount = r.amount as Record<string, unknown> | undefined;
  if (!str(r.appid) || !str(r.mchid) || !str(r.out_trade_no) || !str(r.trade_state)) return null;
  if (!amount || !isFen(amount.total)) return null;
  if (r.trade_state === 'SUCCESS' && !str(r.transaction_id)) return null;
  return {
    appid: r.appid,
    mchid: r.mchid,
    outTradeNo: r.out_trade_no,
    transactionId: typeof r.transaction_id === 'string' ? r.transaction_id : '',
    tradeState: r.trade_state,
    total: amount.total,
    successTime: parseTime(r.success_time),
  };
}

/** A refund object (notify resource or refund answer) → WechatRefund, or null when malformed. */
export function toRefund(r: Record<string, unknown>): WechatRefund | null {
  const amount = r.amount as Record<string, unknown> | undefined;
  const status = r.refund_status ?? r.status;
  if (!str(r.out_trade_no) || !str(r.out_refund_no) || !str(status)) return null;
  if (!amount || !isFen(amount.refund) || !isFen(amount.total)) return null;
  return {
    mchid: typeof r.mchid === 'string' ? r.mchid : '',
    outTradeNo: r.out_trade_no,
    outRefundNo: r.out_refund_no,
    refundId: typeof r.refund_id === 'string' ? r.refund_id : '',
    refundStatus: status,
    refund: amount.refund,
    total: amount.total,
    successTime: parseTime(r.success_time),
  };
}
