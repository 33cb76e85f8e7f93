import { OAuthError } from '../oauth/errors/oauth-error.js';
import { clearedCookies, csrfCookie, refreshCookie, refreshCookiePath, RequestCookies } from './cookies.js';

describe('RequestCookies', () => {
  it('reads name=value pairs, trimming only spaces and tabs (RFC 6265 §5.2)', () => {
    const cookies = RequestCookies.from('a=1;  b=two \t; c=x=y; flag; =anonymous');
    expect(cookies.one('a')).toBe('1');
    expect(cookies.one('b')).toBe('two');
    expect(cookies.one('c')).toBe('x=y');
    expect(cookies.one('flag')).toBeUndefined();
    expect(cookies.one('missing')).toBeUndefined();
  });

  it('does not take a name with other whitespace for the prefixed one', () => {
    expect(RequestCookies.from('\u00a0__Host-tessera-csrf=planted').one('__Host-tessera-csrf')).toBeUndefined();
  });

  it('treats an empty value as absent', () => {
    expect(RequestCookies.from('a=').one('a')).toBeUndefined();
  });

  it('refuses a cookie sent twice with a 403 instead of picking one', () => {
    const cookies = RequestCookies.from('a=1; b=2; a=3');
    expect(cookies.one('b')).toBe('2');
    let error: unknown;
    try {
      cookies.one('a');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(OAuthError);
    expect((error as OAuthError).status).toBe(403);
  });

  it('joins a Cookie header split in several lines', () => {
    const cookies = RequestCookies.from(['a=1', 'b=2']);
    expect([cookies.one('a'), cookies.one('b')]).toEqual(['1', '2']);
  });
});

describe('the cookies Tessera sets', () => {
  it('puts the refresh cookie on /auth below the issuer path', () => {
    expect(refreshCookiePath({ issuer: 'https://login.example.com' })).toBe('/auth');
    expect(refreshCookiePath({ issuer: 'https://example.com/tessera/' })).toBe('/tessera/auth');
  });

  it('makes the refresh cookie HttpOnly and the CSRF cookie readable, both Secure and SameSite=Strict', () => {
    expect(refreshCookie('/auth', 'r', 60).options).toEqual({ secure: true, sameSite: 'strict', httpOnly: true, path: '/auth', maxAge: 60 });
    expect(csrfCookie('c', 60).options).toEqual({ secure: true, sameSite: 'strict', httpOnly: false, path: '/', maxAge: 60 });
    expect(csrfCookie('c').options).not.toHaveProperty('maxAge');
  });

  it('clears both with the attributes they were set with, or the browser would keep them', () => {
    const [refresh, csrf] = clearedCookies('/tessera/auth');
    expect(refresh).toEqual({
      name: '__Secure-tessera-refresh', value: '', options: { secure: true, sameSite: 'strict', httpOnly: true, path: '/tessera/auth', maxAge: 0 },
    });
    expect(csrf).toEqual({ name: '__Host-tessera-csrf', value: '', options: { secure: true, sameSite: 'strict', httpOnly: false, path: '/', maxAge: 0 } });
  });
});
