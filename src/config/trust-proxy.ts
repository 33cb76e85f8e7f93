import { isIP } from 'node:net';
import { ConfigError } from './config.js';

/**
 * TRUST_PROXY, in Fastify's (proxy-addr's) terms. The client address is found by walking
 * from the socket's peer leftwards through X-Forwarded-For, and is the first address that
 * is not trusted (or the leftmost one, when all are):
 * - false: the socket's peer; X-Forwarded-For is ignored.
 * - n (hops): the peer and the n - 1 proxies before it are trusted: the n-th entry from
 *   the right of X-Forwarded-For.
 * - a list of addresses and CIDRs: only a peer in the list may name another address.
 * - true: every hop is trusted, so the leftmost entry, which the client itself writes.
 *   Anyone can then pick their IP (and so their throttle budget): refused in production.
 */
export type TrustProxy = boolean | number | readonly string[];

// proxy-addr's names for the reserved ranges (loopback: 127.0.0.1/8 and ::1/128, etc.).
const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);
const EXPECTED = 'false, a number of proxy hops from 1 to 99, or a comma-separated list of proxy addresses or CIDRs (IPv4 or IPv6)';

export function parseTrustProxy(raw: string | undefined, production: boolean): TrustProxy {
  if (raw === undefined || raw === 'false') return false;
  if (raw === 'true') {
    if (production) throw new ConfigError('TRUST_PROXY', `${EXPECTED} when NODE_ENV=production (true lets every client choose its own IP)`, raw);
    return true;
  }
  if (/^\d{1,2}$/.test(raw) && Number(raw) >= 1) return Number(raw);
  const entries = raw.split(',').map((entry) => entry.trim());
  if (entries.every(isProxyAddress)) return Object.freeze(entries);
  throw new ConfigError('TRUST_PROXY', EXPECTED, raw);
}

function isProxyAddress(entry: string): boolean {
  if (NAMED_RANGES.has(entry)) return true;
  const [address, prefix, ...rest] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128);
}

/** Fastify's trustProxy option for a setting (a hop count trusts that many proxies nearest to Tessera). */
export function fastifyTrustProxy(setting: TrustProxy): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof setting === 'number') return (_address, hop) => hop < setting;
  return typeof setting === 'boolean' ? setting : [...setting];
}

/** The boot warning for a setting that lets clients choose their own address, if any. */
export function trustProxyWarning(setting: TrustProxy): string | undefined {
  if (setting !== true) return undefined;
  return 'TRUST_PROXY=true trusts X-Forwarded-For from anyone: every client can choose the IP the throttles see. Set a hop count or the proxy addresses (refused when NODE_ENV=production)';
}
