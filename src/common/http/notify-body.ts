import * as iconv from 'iconv-lite';

/** The received notify as UTF-8 form text, or why it cannot be one. */
export type NotifyBody = { raw: string; problem?: string };

const FORM = /^application\/x-www-form-urlencoded\b/i;

/**
 * Turns the bytes of a gateway notify into UTF-8 form text. Only `application/x-www-form-urlencoded`
 * is a notify; anything else is a problem (answered `fail`, logged as malformed). Alipay merchants can
 * configure GBK: the percent-escapes then encode GBK bytes, so the values are percent-decoded to bytes
 * and decoded by the declared charset (the `charset` field, else the Content-Type parameter; UTF-8 by
 * default), then re-encoded as UTF-8 form text, which is what is verified, logged and applied.
 */
export function decodeNotifyBody(contentType: string | undefined, bytes: Buffer, limit: number): NotifyBody {
  const latin1 = bytes.toString('latin1'); // 1 byte = 1 char: safe to scan the ASCII structure of any charset
  if (!FORM.test(contentType ?? '')) {
    return { raw: latin1, problem: `content-type ${(contentType ?? 'none').slice(0, 60)} is not a form` };
  }
  if (bytes.length > limit) return { raw: latin1, problem: `body of ${bytes.length} bytes over ${limit}` };
  const declared =
    /(?:^|&)charset=([A-Za-z0-9_-]{1,32})(?:&|$)/.exec(latin1)?.[1] ??
    /;\s*charset=([A-Za-z0-9_-]{1,32})/i.exec(contentType ?? '')?.[1] ??
    'utf-8';
  const charset = declared.toLowerCase();
  if (charset === 'utf-8' || charset === 'utf8') return { raw: bytes.toString('utf8') };
  if (!iconv.encodingExists(charset)) return { raw: latin1, problem: `unknown charset ${declared}` };
  const out = new URLSearchParams();
  for (const part of latin1.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const [k, v] = eq < 0 ? [part, ''] : [part.slice(0, eq), part.slice(eq + 1)];
    out.append(iconv.decode(percentBytes(k), charset), iconv.decode(percentBytes(v), charset));
  }
  return { raw: out.toString() };
}

/** Form percent-decoding to bytes (`+` is a space); a broken escape is kept as it is. */
function percentBytes(s: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '+') bytes.push(0x20);
    else if (c === '%' && /^[0-9A-Fa-f]{2}$/.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(s.charCodeAt(i) & 0xff);
  }
  return Buffer.from(bytes);
}
