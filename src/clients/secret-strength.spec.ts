import { randomBytes, randomInt } from 'node:crypto';
import { estimatedSecretBits, MIN_SECRET_BITS } from './secret-strength.js';

describe('estimatedSecretBits', () => {
  it.each([
    ['generated (base64url, 256 bits)', () => randomBytes(32).toString('base64url')],
    ['32 random hex characters', () => randomBytes(16).toString('hex')],
    ['a UUID', () => crypto.randomUUID()],
    ['40 random digits', () => Array.from({ length: 40 }, () => randomInt(10)).join('')],
  ])('passes a random secret: %s', (_what, make) => {
    for (let i = 0; i < 200; i++) {
      const secret = make();
      expect({ secret, strong: estimatedSecretBits(secret) >= MIN_SECRET_BITS }).toEqual({ secret, strong: true });
    }
  });

  it.each([
    'a'.repeat(40),
    'abcabcabcabcabcabcabcabcabcabcabc',
    'abcdefghijklmnopqrstuvwxyz0123456789',
    'zyxwvutsrqponmlkjihgfedcba9876543210',
    'password1234password1234password',
    'qwertyuiopasdfghjklzxcvbnm1234567890',
    'Secret-Secret-Secret-Secret-Secret-Secret',
    '0000000000000000000000000000000000000001',
    '12341234123412341234123412341234',
  ])('refuses an obviously weak one: %j', (secret) => {
    expect(estimatedSecretBits(secret)).toBeLessThan(MIN_SECRET_BITS);
  });
});
