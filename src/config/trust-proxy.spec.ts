import { ConfigError, loadConfig } from './config.js';
import { fastifyTrustProxy, trustProxyWarning } from './trust-proxy.js';

const PRODUCTION = { NODE_ENV: 'production', ISSUER: 'https://id.example', KEY_ENCRYPTION_SECRET: 'k'.repeat(32), TOKEN_HASH_SECRET: 't'.repeat(32) };

describe('TRUST_PROXY', () => {
  it('is off by default: the socket address is the client address', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
  });

  it('takes a number of proxy hops', () => {
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ ...PRODUCTION, TRUST_PROXY: '1' }).trustProxy).toBe(1);
  });

  it.each([
    ['10.0.0.1', ['10.0.0.1']],
    ['10.0.0.0/8, 192.168.1.0/24', ['10.0.0.0/8', '192.168.1.0/24']],
    ['::1,fd00::/8', ['::1', 'fd00::/8']],
    ['2001:db8::/32,203.0.113.7/32', ['2001:db8::/32', '203.0.113.7/32']],
    ['loopback,uniquelocal', ['loopback', 'uniquelocal']],
  ])('takes a list of proxy addresses and CIDRs: %j', (raw, list) => {
    expect(loadConfig({ TRUST_PROXY: raw }).trustProxy).toEqual(list);
    expect(loadConfig({ ...PRODUCTION, TRUST_PROXY: raw }).trustProxy).toEqual(list);
  });

  it('takes true outside production only, with a warning at boot', () => {
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(trustProxyWarning(true)).toMatch(/TRUST_PROXY=true/);
    expect(trustProxyWarning(1)).toBeUndefined();
    expect(() => loadConfig({ ...PRODUCTION, TRUST_PROXY: 'true' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...PRODUCTION, TRUST_PROXY: 'true' })).toThrow(/^TRUST_PROXY must be .* when NODE_ENV=production/);
  });

  it.each(['yes', '0', '-1', '100', '10.0.0.0/33', '::1/129', '10.0.0.0/8/1', '10.0.0.256', '10.0.0.0/8,', 'example.com', '10.0.0.0/08x'])(
    'refuses %j with a message naming the variable',
    (value) => {
      expect(() => loadConfig({ TRUST_PROXY: value })).toThrow(ConfigError);
      expect(() => loadConfig({ TRUST_PROXY: value })).toThrow(/^TRUST_PROXY must be false, a number of proxy hops/);
    },
  );

  it('hands Fastify a hop function, a list, or false', () => {
    const hops = fastifyTrustProxy(2) as (address: string, hop: number) => boolean;
    expect([0, 1, 2].map((hop) => hops('10.0.0.1', hop))).toEqual([true, true, false]);
    expect(fastifyTrustProxy(['10.0.0.0/8'])).toEqual(['10.0.0.0/8']);
    expect(fastifyTrustProxy(false)).toBe(false);
  });
});
