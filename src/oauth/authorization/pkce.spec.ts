import { s256, validCodeVerifier, validS256Challenge } from './pkce.js';

describe('PKCE (RFC 7636)', () => {
  it('computes the S256 challenge of the RFC 7636 Appendix B example', () => {
    expect(s256('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });

  it('accepts verifiers of 43 to 128 unreserved characters only', () => {
    expect(validCodeVerifier('a'.repeat(43))).toBe(true);
    expect(validCodeVerifier(`${'A1'.repeat(62)}-._~`)).toBe(true);
    expect(validCodeVerifier('a'.repeat(42))).toBe(false);
    expect(validCodeVerifier('a'.repeat(129))).toBe(false);
    expect(validCodeVerifier(`${'a'.repeat(43)}+`)).toBe(false);
    expect(validCodeVerifier(`${'a'.repeat(43)}=`)).toBe(false);
    expect(validCodeVerifier(`${'a'.repeat(43)} `)).toBe(false);
  });

  it('accepts only challenges shaped like a base64url SHA-256', () => {
    expect(validS256Challenge(s256('x'.repeat(50)))).toBe(true);
    expect(validS256Challenge('a'.repeat(44))).toBe(false);
    expect(validS256Challenge(`${'a'.repeat(42)}=`)).toBe(false);
    expect(validS256Challenge(`${'a'.repeat(42)}/`)).toBe(false);
  });
});
