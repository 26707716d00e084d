/**
 * UnionPay acp 5.1.0 wire details shared by the client and the notify adapter (not by the sandbox,
 * which has its own): times, codes and the answer format.
 */

const CST_OFFSET_MS = 8 * 3600 * 1000;

/** Date → `YYYYMMDDhhmmss`, China time (txnTime, payTimeout). */
export function acpTime(d: Date): string {
  return new Date(d.getTime() + CST_OFFSET_MS).toISOString().slice(0, 19).replace(/[-T:]/g, '');
}

/** `00` success, `A6` partial success (treated as paid). */
export const isSuccessCode = (code: string | undefined) => code === '00' || code === 'A6';

/** `03` timeout, `04` state unknown, `05` accepted/in process: ask again, never conclude. */
export const isAskAgainCode = (code: string | undefined) => code === '03' || code === '04' || code === '05';

/** A refusal of this request for good: format, merchant, permission, limits (`30`–`39` but `34`), `6x`. */
export const isRefusalCode = (code: string | undefined) =>
  !!code && ((/^3\d$/.test(code) && code !== '34') || /^6\d$/.test(code));

/**
 * A synchronous answer: `k=v&k=v` with raw (not URL-encoded) values. Split on `&`, then on the first `=`:
 * base64 signatures and the PEM of signPubKeyCert contain `=` but never `&`.
 */
export function parseAcpAnswer(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.trim().split('&')) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return out;
}

/** Integer fen from a txnAmt string (digits only, no leading zeros beyond "0"); null otherwise. */
export function fenOf(txnAmt: string | undefined): number | null {
  if (!txnAmt || !/^(0|[1-9]\d{0,15})$/.test(txnAmt)) return null;
  const n = Number(txnAmt);
  return Number.isSafeInteger(n) ? n : null;
}
