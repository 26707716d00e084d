import { isIP } from 'node:net';

/**
 * TRUST_PROXY, parsed: `false` (the default: `request.ip` is the TCP peer and X-Forwarded-For is
 * ignored), a hop count (the nearest N peers are proxies), or the addresses / CIDRs of the proxies
 * (`proxy-addr` also knows `loopback`, `linklocal` and `uniquelocal`). Never `true`: that trusts any
 * client's X-Forwarded-For, and the per-address rate limits would count whatever it claims.
 */
export type TrustProxy = false | number | string[];

/**
 * What Fastify's `trustProxy` option is given. Fastify 5.12 turns a numeric trustProxy into "trust
 * nothing" (it cannot tell a proxy from a direct client), so a hop count goes in as proxy-addr's trust
 * function `(addr, i) => i < hops`: the operator asserts that every connection comes through that many
 * proxies (the docs say to prefer addresses when the service can be reached directly).
 */
export function fastifyTrustProxy(t: TrustProxy): false | string[] | ((addr: string, i: number) => boolean) {
  if (typeof t === 'number') {
    const hops = t;
    return (_addr: string, i: number) => i < hops;
  }
  return t;
}

const NAMED = new Set(['loopback', 'linklocal', 'uniquelocal']);
const OFF = new Set(['', 'false', 'off', 'no', 'none', '0']);

/** TRUST_PROXY → Fastify's trustProxy; throws an Error naming what is wrong (the message is one line). */
export function parseTrustProxy(raw: string | undefined): TrustProxy {
  const v = (raw ?? '').trim();
  if (OFF.has(v.toLowerCase())) return false;
  if (/^true$/i.test(v)) {
    throw new Error(
      "must not be true (that trusts any client's X-Forwarded-For): give the hop count or the proxies' addresses",
    );
  }
  if (/^\d+$/.test(v)) {
    const hops = Number(v);
    if (hops > 16) throw new Error("must be a hop count of at most 16, or the proxies' addresses");
    return hops;
  }
  const entries = v.split(',').map((s) => s.trim());
  for (const e of entries) {
    if (!isTrustEntry(e)) {
      throw new Error(
        `"${e.slice(0, 64)}" is not an IP address, a CIDR (addr/prefix) or loopback|linklocal|uniquelocal`,
      );
    }
  }
  return entries;
}

function isTrustEntry(e: string): boolean {
  if (NAMED.has(e)) return true;
  const [addr, prefix, ...rest] = e.split('/');
  if (rest.length) return false;
  const family = isIP(addr);
  if (!family) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}
