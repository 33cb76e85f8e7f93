import { usernameKey, usernameProblem } from './username.js';

describe('usernames (RFC 8265 §3.3 UsernameCaseMapped)', () => {
  it('maps width, case and normalisation to one key', () => {
    const key = usernameKey('alice');
    for (const same of ['ALICE', 'Alice', 'ａｌｉｃｅ', 'ＡＬＩＣＥ']) expect(usernameKey(same)).toBe(key);
    // Full case folding, not toLowerCase: ß, ẞ and SS are one; final and medial sigma are one.
    expect(new Set(['straße', 'STRASSE', 'Strasse', 'STRAẞE'].map(usernameKey)).size).toBe(1);
    expect(usernameKey('ΟΔΟΣ')).toBe(usernameKey('οδος'));
    expect(usernameKey('οδος')).toBe(usernameKey('οδοσ'));
    // NFC: a precomposed é and e + U+0301 are one.
    expect(usernameKey('jos\u00e9')).toBe(usernameKey('jose\u0301'));
    expect(usernameKey('josé')).not.toBe(usernameKey('jose'));
  });

  it('accepts letters, marks and digits of any script, ASCII symbols, and single inner spaces', () => {
    for (const good of ['alice', 'Alice Smith', 'o.brien+tag@example.org', 'josé', 'Ωmega', '名前', 'user_1', 'ａｌｉｃｅ']) {
      expect(usernameProblem(good)).toBeUndefined();
    }
  });

  it.each([
    ['ali\u200bce', /invisible \(default-ignorable\) character \(U\+200B/],
    ['ali\u00adce', /invisible/],
    ['a\ud800b', /lone surrogates/],
    ['a\udc00b', /lone surrogates/],
    ['ali\u0007ce', /control character/],
    ['ali\u00a0ce', /space other than U\+0020/],
    [' alice', /begin or end with a space/],
    ['ali  ce', /two in a row/],
    ['\ufb01le', /compatibility character/],
    ['alice\u2122', /symbol or punctuation outside ASCII/],
    ['o\u2019brien', /symbol or punctuation outside ASCII/],
    ['a\ue000', /private-use or format character/],
    ['a\u0378', /unassigned code point/],
    ['', /must be 1 to 256 characters/],
    ['a'.repeat(257), /must be 1 to 256 characters/],
  ])('refuses %j, naming the rule', (name, rule) => {
    expect(usernameProblem(name)).toMatch(rule);
  });

  it('keys every string, even refused ones, so the login throttle can count them', () => {
    expect(usernameKey('a\ud800b')).toBe('a\ufffdb');
    expect(usernameKey('ALI\u200bCE')).toBe('ali\u200bce');
  });
});
