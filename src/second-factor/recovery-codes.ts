import type { Random } from '../common/random.js';

export const RECOVERY_CODE_COUNT = 10;

// Crockford-like base32 without look-alikes (no 0/o, 1/l/i): easy to copy from paper.
const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
const LENGTH = 10;

/** Ten codes of 10 characters (about 49 bits each), shown as xxxxx-xxxxx. */
export function newRecoveryCodes(random: Random): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    // 256 is not a multiple of the alphabet's size: bytes past the last full multiple are drawn again.
    const limit = 256 - (256 % ALPHABET.length);
    let code = '';
    while (code.length < LENGTH) {
      for (const byte of random.bytes(LENGTH)) if (byte < limit && code.length < LENGTH) code += ALPHABET[byte % ALPHABET.length];
    }
    return `${code.slice(0, 5)}-${code.slice(5)}`;
  });
}

/** As typed (any case, spaces or a dash) to the form that is hashed; undefined: not a recovery code. */
export function normalizedRecoveryCode(typed: string): string | undefined {
  const code = typed.toLowerCase().replace(/[\s-]/g, '');
  if (code.length !== LENGTH || [...code].some((c) => !ALPHABET.includes(c))) return undefined;
  return code;
}
