/**
 * A rough lower bound, in bits, of how hard a hand-set client secret is to guess: each
 * character costs log2 of the alphabet its classes span (lower, upper, digits, others),
 * except that a run continuing a repetition of what came before, or a known sequence
 * (alphabet, digits, keyboard rows, either way), costs a few bits for the whole run.
 * It cannot see dictionary words: it refuses the obviously weak (`aaaa…`, `abcd…`,
 * `password1234password1234`), not every weak one.
 */
export function estimatedSecretBits(secret: string): number {
  const pool = alphabetSize(secret);
  const lower = secret.toLowerCase();
  let bits = 0;
  for (let i = 0; i < lower.length; ) {
    const run = Math.max(repeatRun(lower, i), sequenceRun(lower, i));
    if (run >= MIN_RUN) {
      bits += RUN_BITS;
      i += run;
    } else {
      bits += Math.log2(pool);
      i += 1;
    }
  }
  return bits;
}

/**
 * Online guessing at any rate cannot cover 2^100; a random secret of 32 hex characters
 * (128 bits) clears it with room to spare, one of decimal digits needs about 40.
 */
export const MIN_SECRET_BITS = 100;

const MIN_RUN = 3;
const RUN_BITS = 8;
const SEQUENCES = ['abcdefghijklmnopqrstuvwxyz', '0123456789', 'qwertyuiop', 'asdfghjkl', 'zxcvbnm', 'qwertzuiop', 'azertyuiop', '1qaz2wsx3edc'];
const ALL_SEQUENCES = [...SEQUENCES, ...SEQUENCES.map((sequence) => [...sequence].reverse().join(''))];

function alphabetSize(secret: string): number {
  let size = 0;
  if (/[a-z]/.test(secret)) size += 26;
  if (/[A-Z]/.test(secret)) size += 26;
  if (/[0-9]/.test(secret)) size += 10;
  if (/[^a-zA-Z0-9]/.test(secret)) size += 33;
  return Math.max(size, 2);
}

/** Length of the longest prefix of text[at…] that also starts earlier (overlap allowed: `aaaa`). */
function repeatRun(text: string, at: number): number {
  let best = 0;
  for (let from = 0; from < at; from++) {
    let length = 0;
    while (at + length < text.length && text[from + length] === text[at + length]) length++;
    best = Math.max(best, length);
  }
  return best;
}

/** Length of the longest prefix of text[at…] that is a piece of a known sequence. */
function sequenceRun(text: string, at: number): number {
  let best = 0;
  for (const sequence of ALL_SEQUENCES) {
    for (let start = sequence.indexOf(text[at]); start >= 0; start = sequence.indexOf(text[at], start + 1)) {
      let length = 0;
      while (at + length < text.length && sequence[start + length] === text[at + length]) length++;
      best = Math.max(best, length);
    }
  }
  return best;
}
