import { hkdfSync, randomBytes } from 'node:crypto';
import { deriveKey, seal, unseal } from './crypto.js';

describe('deriveKey', () => {
  // Keys sealed before an upgrade must still open after it: the derivation is HKDF exactly.
  it('is HKDF-SHA-256 without salt, info tessera:<purpose>, 32 bytes', () => {
    for (const secret of ['short', 'a refresh token of 43 characters, base64url', randomBytes(32), randomBytes(100).toString('base64')]) {
      for (const purpose of ['grace-successor', 'signing-key', 'refresh-token', 'x']) {
        const expected = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), `tessera:${purpose}`, 32));
        expect(deriveKey(secret, purpose).equals(expected)).toBe(true);
      }
    }
  });

  it('gives different keys to different purposes and secrets', () => {
    expect(deriveKey('s', 'a').equals(deriveKey('s', 'b'))).toBe(false);
    expect(deriveKey('s', 'a').equals(deriveKey('t', 'a'))).toBe(false);
  });

  it('keys a seal that only the same derivation opens', () => {
    const blob = seal(deriveKey('token', 'grace-successor'), Buffer.from('successor'));
    expect(unseal(deriveKey('token', 'grace-successor'), blob)?.toString()).toBe('successor');
    expect(unseal(deriveKey('other', 'grace-successor'), blob)).toBeUndefined();
  });
});
