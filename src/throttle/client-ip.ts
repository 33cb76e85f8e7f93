import { isIPv4, isIPv6 } from 'node:net';

/**
 * The throttle's key for a client address: an IPv4 address as it is, an IPv6 address by
 * its /64 (one subscriber's allocation, RFC 6177), so rotating through the addresses of
 * one network does not buy fresh attempts. An IPv4-mapped IPv6 address is its IPv4 one.
 */
export function clientIpKey(ip: string | undefined): string {
  if (ip === undefined || ip === '') return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped && isIPv4(mapped[1])) return mapped[1];
  if (!isIPv6(ip)) return ip;
  return `${expandIPv6(ip).slice(0, 4).join(':')}::/64`;
}

function expandIPv6(ip: string): string[] {
  const withoutZone = ip.split('%')[0].toLowerCase();
  const [head, tail] = withoutZone.includes('::') ? withoutZone.split('::') : [withoutZone, undefined];
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  // A trailing dotted quad stands for the last two groups.
  const missing = 8 - left.length - right.length - (right.concat(left).some((g) => g.includes('.')) ? 1 : 0);
  const all = tail === undefined ? left : [...left, ...Array<string>(Math.max(missing, 0)).fill('0'), ...right];
  return all.map((group) => (group.includes('.') ? group : String(parseInt(group, 16).toString(16))));
}
