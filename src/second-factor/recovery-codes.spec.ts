import { cryptoRandom } from '../common/random.js';
import { newRecoveryCodes, normalizedRecoveryCode } from './recovery-codes.js';

describe('recovery codes', () => {
  it('makes ten distinct codes of the shown form', () => {
    const codes = newRecoveryCodes(cryptoRandom);
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[a-z2-9]{5}-[a-z2-9]{5}$/);
  });

  it('reads a code however it is typed, and nothing else', () => {
    expect(normalizedRecoveryCode(' ABCDE-fghjk ')).toBe('abcdefghjk');
    expect(normalizedRecoveryCode('abcde fghjk')).toBe('abcdefghjk');
    expect(normalizedRecoveryCode('123456')).toBeUndefined();
    expect(normalizedRecoveryCode('abcde-fghj0')).toBeUndefined();
  });
});
