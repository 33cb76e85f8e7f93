/**
 * Usernames per RFC 8265 §3.3, the UsernameCaseMapped profile of the PRECIS
 * IdentifierClass (RFC 8264 §4.2), so that `alice`, `ALICE` and `ａｌｉｃｅ` are one account
 * and `ali\u200bce` is none. Two forms:
 * - the display form (what was typed, NFC): shown back, kept in `users.username`;
 * - the comparison key (`usernameKey`): unique in `users.username_key`, and what login,
 *   admin lookups, the CLI and the login throttle compare.
 *
 * Approximations, because JavaScript has no PRECIS library (documented in the README):
 * - width mapping (§3.3.1 step 1) maps the Halfwidth and Fullwidth Forms block and the
 *   ideographic space, the code points whose <wide>/<narrow> decompositions RFC 8265 means;
 * - Unicode Default Case Folding (§3.3.2 step 3) is `toUpperCase().toLowerCase()` until it
 *   no longer changes the string: it folds ß, ẞ and SS alike, final sigma, ligatures with
 *   a case mapping and dotted capital I as full case folding does; it can differ for a few
 *   code points whose upper and lower case are not each other's (Cherokee folds to upper
 *   case, we to lower), which changes which string is the key, not which strings share one;
 * - the IdentifierClass is approximated by its categories: letters, marks and digits of
 *   any script, ASCII printable characters, and the ASCII space between parts (§3.1 lets an
 *   application accept space-separated userparts); the Bidi Rule (§3.3.3 step 5) is not
 *   applied.
 */

export const MAX_USERNAME_LENGTH = 256;

// Without the u flag a regular expression sees UTF-16 code units, so a half pair shows.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, 'g');

/** Why a username is refused, naming the rule; undefined when it is acceptable. */
export function usernameProblem(raw: string): string | undefined {
  // A lone surrogate is no Unicode scalar value: no profile can even read it.
  if (LONE_SURROGATE.test(raw)) return 'may not contain lone surrogates (RFC 8264 §4: strings of Unicode code points)';
  const mapped = widthMapped(raw).normalize('NFC');
  if (mapped.length === 0 || mapped.length > MAX_USERNAME_LENGTH) return `must be 1 to ${MAX_USERNAME_LENGTH} characters`;
  if (mapped.trim() !== mapped || mapped.includes('  ')) {
    return 'may not begin or end with a space, or contain two in a row (RFC 8265 §3.1: userparts separated by one space)';
  }
  for (const char of mapped) {
    const problem = characterProblem(char);
    if (problem) return `may not contain ${problem} (U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}; RFC 8264 §9)`;
  }
  return undefined;
}

/**
 * The comparison key (RFC 8265 §3.3.2 enforcement: width mapping, case folding, NFC). For
 * any string, valid or not, so the login throttle keys refused names the same way; only a
 * valid username can have an account.
 */
export function usernameKey(raw: string): string {
  let folded = widthMapped(raw.replace(LONE_SURROGATES, '\ufffd')).normalize('NFC');
  for (let i = 0; i < 3; i++) {
    const next = folded.toUpperCase().toLowerCase();
    if (next === folded) break;
    folded = next;
  }
  return folded.normalize('NFC');
}

/** The display form of a valid username (NFC, width mapped), or undefined when it is refused. */
export function displayUsername(raw: string): string | undefined {
  return usernameProblem(raw) === undefined ? widthMapped(raw).normalize('NFC') : undefined;
}

// U+3000 IDEOGRAPHIC SPACE and U+FF01–U+FFEE: the compatibility <wide>/<narrow> forms.
const WIDTH_FORMS = /[\u3000\uff01-\uffee]/gu;

function widthMapped(value: string): string {
  return value.replace(WIDTH_FORMS, (char) => char.normalize('NFKC'));
}

const CONTROL = /\p{Cc}/u;
// Zero-width joiners and spaces, soft hyphen, variation selectors, bidi controls...: invisible, so spoofable.
const IGNORABLE = /\p{Default_Ignorable_Code_Point}/u;
const SPACE = /\p{Zs}/u;
const UNASSIGNED = /\p{Cn}/u;
const PRIVATE_OR_FORMAT = /[\p{Co}\p{Cf}\p{Cs}]/u;
const SYMBOL_OR_PUNCTUATION = /[\p{S}\p{P}]/u;
const ASCII_PRINTABLE = /^[\x20-\x7e]$/;

function characterProblem(char: string): string | undefined {
  if (CONTROL.test(char)) return 'a control character';
  if (IGNORABLE.test(char)) return 'an invisible (default-ignorable) character';
  if (ASCII_PRINTABLE.test(char)) return undefined;
  if (SPACE.test(char)) return 'a space other than U+0020';
  if (UNASSIGNED.test(char)) return 'an unassigned code point';
  if (PRIVATE_OR_FORMAT.test(char)) return 'a private-use or format character';
  if (SYMBOL_OR_PUNCTUATION.test(char)) return 'a symbol or punctuation outside ASCII';
  // HasCompat (RFC 8264 §9.17): ligatures, superscripts, circled letters... are refused,
  // not mapped; only width was mapped above.
  if (char.normalize('NFKC') !== char) return 'a compatibility character (HasCompat)';
  return undefined;
}
