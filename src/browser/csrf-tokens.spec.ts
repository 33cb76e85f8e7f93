import type { ResolvedConfig } from '../config/config.js';
import { cryptoRandom } from '../common/random.js';
import { CsrfTokens, familyBinding, LOGIN_BINDING, sameToken } from './csrf-tokens.js';

const config = { tokenHashSecret: 'unit-test-token-hash-secret-0123456789abcdef' } as ResolvedConfig;
const FAMILY = familyBinding('7c9e6679-7425-40de-944b-e07fc1f90ae7');
const OTHER_FAMILY = familyBinding('0f8fad5b-d9cb-469f-a165-70867728950e');

describe('CsrfTokens', () => {
  const tokens = new CsrfTokens(config, cryptoRandom);

  it('issues random tokens that verify for what they were issued for, and nothing else', () => {
    const token = tokens.issue(FAMILY);
    expect(token).toMatch(/^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);
    expect(tokens.issue(FAMILY)).not.toBe(token);
    expect(tokens.verify(token, FAMILY)).toBe(true);
    expect(tokens.verify(token, OTHER_FAMILY)).toBe(false);
    expect(tokens.verify(token, LOGIN_BINDING)).toBe(false);
    expect(tokens.verify(tokens.issue(LOGIN_BINDING), LOGIN_BINDING)).toBe(true);
  });

  it('refuses a token signed under another secret, a changed nonce and malformed input', () => {
    const elsewhere = new CsrfTokens({ tokenHashSecret: 'another-token-hash-secret-0123456789abcdefgh' } as ResolvedConfig, cryptoRandom);
    const token = tokens.issue(FAMILY);
    const [nonce, mac] = token.split('.');
    expect(tokens.verify(elsewhere.issue(FAMILY), FAMILY)).toBe(false);
    expect(tokens.verify(`${nonce.slice(0, -1)}${nonce.endsWith('A') ? 'B' : 'A'}.${mac}`, FAMILY)).toBe(false);
    for (const bad of ['', '.', nonce, `${token}.`, `${token}x`, `${nonce}.${mac.slice(1)}`, token.replace('.', ':')]) {
      expect(tokens.verify(bad, FAMILY)).toBe(false);
    }
  });
});

describe('sameToken', () => {
  it('compares header and cookie exactly', () => {
    expect(sameToken('abc.def', 'abc.def')).toBe(true);
    expect(sameToken('abc.def', 'abc.deF')).toBe(false);
    expect(sameToken('abc.def', 'abc.de')).toBe(false);
  });
});
