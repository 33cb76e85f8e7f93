import { clientIpKey } from './client-ip.js';

describe('clientIpKey', () => {
  it('keeps an IPv4 address as it is, and unwraps an IPv4-mapped one', () => {
    expect(clientIpKey('203.0.113.7')).toBe('203.0.113.7');
    expect(clientIpKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
  });

  it('keys IPv6 addresses by their /64, however they are written', () => {
    const key = clientIpKey('2001:db8:1:2::1');
    expect(key).toBe('2001:db8:1:2::/64');
    expect(clientIpKey('2001:0db8:0001:0002:ffff:ffff:ffff:ffff')).toBe(key);
    expect(clientIpKey('2001:DB8:1:2:0:0:0:9')).toBe(key);
    expect(clientIpKey('2001:db8:1:3::1')).not.toBe(key);
    expect(clientIpKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientIpKey('::1')).toBe('0:0:0:0::/64');
    expect(clientIpKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
  });

  it('gives a missing address one key of its own', () => {
    expect(clientIpKey(undefined)).toBe('unknown');
    expect(clientIpKey('')).toBe('unknown');
  });
});
