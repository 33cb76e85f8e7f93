import { isPublicAddress, literalHostForbidden, publicOnlyLookup } from './address-guard.js';

describe('the back-channel address guard', () => {
  it.each(['127.0.0.1', '10.1.2.3', '172.20.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', '::', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1', 'not-an-ip'])(
    'refuses %s',
    (address) => expect(isPublicAddress(address)).toBe(false),
  );

  it.each(['93.184.216.34', '8.8.8.8', '2606:2800:220:1:248:1893:25c8:1946'])('allows %s', (address) => expect(isPublicAddress(address)).toBe(true));

  it('judges IP-literal hosts, brackets and all, and leaves names to the lookup', () => {
    expect(literalHostForbidden('127.0.0.1')).toBe(true);
    expect(literalHostForbidden('[::1]')).toBe(true);
    expect(literalHostForbidden('8.8.8.8')).toBe(false);
    expect(literalHostForbidden('rp.example.com')).toBe(false);
  });

  it('refuses a name that resolves to loopback', async () => {
    const error = await new Promise<NodeJS.ErrnoException | null>((resolve) => publicOnlyLookup('localhost', { all: true }, (e) => resolve(e)));
    expect(error?.code).toBe('ETESSERA_FORBIDDEN_ADDRESS');
  });
});
