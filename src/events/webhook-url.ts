import * as ipaddr from 'ipaddr.js';
import { lookup } from 'node:dns/promises';

/** Why an endpoint URL is refused, or null when it may be used. */
export type UrlRefusal = string | null;

export type Resolver = (host: string) => Promise<string[]>;

export const dnsResolver: Resolver = async (host) =>
  (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

/** Whether an address is one a production endpoint may reach (public unicast). */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  let addr = ipaddr.parse(address);
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) {
    addr = (addr as ipaddr.IPv6).toIPv4Address();
  }
  // only plain public unicast: not loopback, private, link-local, unique-local, CGNAT, reserved, …
  return addr.range() === 'unicast';
}

/** The syntax rules (every environment): an absolute http(s) URL without credentials, ≤ 2048 characters. */
export function urlSyntaxRefusal(raw: string): UrlRefusal {
  if (raw.length > 2048) return 'url is longer than 2048 characters';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'url is not an absolute URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'url must be http or https';
  if (url.username || url.password) return 'url must not carry credentials';
  return null;
}

/**
 * Whether `raw` may be an endpoint (at registration) or be sent to (before each delivery). In production
 * it must be https and every address its host resolves to must be public (no loopback, private,
 * link-local, …); elsewhere any http(s) URL will do (a receiver on http://127.0.0.1 in tests).
 * @returns the addresses checked (empty outside production), or the refusal.
 */
export async function checkWebhookUrl(
  raw: string,
  opts: { production: boolean; resolve?: Resolver },
): Promise<{ refusal: UrlRefusal; addresses: string[] }> {
  const syntax = urlSyntaxRefusal(raw);
  if (syntax) return { refusal: syntax, addresses: [] };
  if (!opts.production) return { refusal: null, addresses: [] };
  const url = new URL(raw);
  if (url.protocol !== 'https:') return { refusal: 'url must be https in production', addresses: [] };
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: string[];
  try {
    addresses = ipaddr.isValid(host) ? [host] : await (opts.resolve ?? dnsResolver)(host);
  } catch (err) {
    return { refusal: `url host does not resolve (${(err as Error).message})`, addresses: [] };
  }
  if (!addresses.length) return { refusal: 'url host does not resolve', addresses };
  const bad = addresses.find((a) => !isPublicAddress(a));
  if (bad) return { refusal: `url resolves to a non-public address (${bad})`, addresses };
  return { refusal: null, addresses };
}
