import { cryptoRandom } from '../common/random.js';
import { matchingStep, newTotpSecret, totpCode, totpUri } from './totp.js';

describe('TOTP (RFC 6238)', () => {
  // RFC 6238 Appendix B: the SHA-1 seed "12345678901234567890", T = 59 s → 94287082 (8 digits; 6: 287082).
  const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

  it('computes the codes of RFC 6238 Appendix B (6-digit truncation)', () => {
    expect(totpCode(RFC_SECRET, 59_000)).toBe('287082');
    expect(totpCode(RFC_SECRET, 1_111_111_109_000)).toBe('081804');
  });

  it('matches a code one step either side, and names its step', () => {
    const now = 1_111_111_109_000;
    expect(matchingStep(RFC_SECRET, '081804', now)).toBe(Math.floor(now / 30_000));
    expect(matchingStep(RFC_SECRET, totpCode(RFC_SECRET, now - 30_000), now)).toBe(Math.floor(now / 30_000) - 1);
    expect(matchingStep(RFC_SECRET, totpCode(RFC_SECRET, now + 30_000), now)).toBe(Math.floor(now / 30_000) + 1);
    expect(matchingStep(RFC_SECRET, totpCode(RFC_SECRET, now - 90_000), now)).toBeUndefined();
  });

  it('refuses anything but six digits', () => {
    expect(matchingStep(RFC_SECRET, ' 081804', 1_111_111_109_000)).toBeUndefined();
    expect(matchingStep(RFC_SECRET, '0818041', 1_111_111_109_000)).toBeUndefined();
  });

  it('makes 160-bit base32 secrets and the otpauth URI apps scan', () => {
    const secret = newTotpSecret(cryptoRandom);
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const uri = new URL(totpUri('Tessera', 'alice', secret));
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(decodeURIComponent(uri.pathname)).toBe('/Tessera:alice');
    expect(uri.searchParams.get('secret')).toBe(secret);
    expect(uri.searchParams.get('algorithm')).toBe('SHA1');
    expect(uri.searchParams.get('digits')).toBe('6');
    expect(uri.searchParams.get('period')).toBe('30');
  });
});
