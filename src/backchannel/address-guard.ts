import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/**
 * Addresses a relying party's back-channel endpoint may not resolve to in production: the
 * loopback, private, shared (CGNAT), link-local (cloud metadata services live at
 * 169.254.169.254), multicast and reserved ranges of RFC 6890, in IPv4 and IPv6. Without
 * this, registering a client would let anyone with the admin API make Tessera POST to its
 * own internal network (SSRF).
 */
const FORBIDDEN = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24],
  ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) FORBIDDEN.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  ['::', 128], ['::1', 128], ['64:ff9b::', 96], ['100::', 64], ['2001:db8::', 32], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8],
] as const) FORBIDDEN.addSubnet(network, prefix, 'ipv6');
// IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are checked against the IPv4 subnets by BlockList itself.

export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return !FORBIDDEN.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

export class ForbiddenAddressError extends Error {
  readonly code = 'ETESSERA_FORBIDDEN_ADDRESS';
  constructor(host: string) {
    super(`${host} resolves to a private, loopback or link-local address`);
    this.name = 'ForbiddenAddressError';
  }
}

/** For a URL whose host is an IP literal, which the socket connects to without a lookup. */
export function literalHostForbidden(hostname: string): boolean {
  const bare = hostname.replace(/^\[|\]$/g, '');
  return isIP(bare) !== 0 && !isPublicAddress(bare);
}

/**
 * A `lookup` for http(s).request that answers only public addresses: the check and the
 * connection use the same resolution, so a name cannot pass the check and then be
 * re-resolved to an internal address (DNS rebinding). Every address of the name must be
 * public, whichever one the socket would try.
 */
export const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
    if (error) return callback(error, '', 0);
    if (addresses.length === 0 || addresses.some((entry) => !isPublicAddress(entry.address))) {
      return callback(new ForbiddenAddressError(hostname), '', 0);
    }
    if (options.all) return (callback as unknown as (e: null, all: LookupAddress[]) => void)(null, addresses);
    callback(null, addresses[0].address, addresses[0].family);
  });
};
