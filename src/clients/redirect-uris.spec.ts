import type { InvalidInputError } from '../common/errors.js';
import { validRedirectUri, validRedirectUris } from './redirect-uris.js';

const DEVELOPMENT = { production: false };
const PRODUCTION = { production: true };

describe('validRedirectUri', () => {
  it.each([
    'https://app.example.com/callback',
    'https://app.example.com:8443/cb?tenant=a',
    'http://127.0.0.1:5173/callback',
    'http://[::1]:8080/cb',
    'com.example.app:/oauth2redirect',
    'com.example.app://callback',
  ])('accepts %s in production', (uri) => {
    expect(validRedirectUri(uri, PRODUCTION)).toBe(uri);
  });

  it('accepts any http host outside production only', () => {
    expect(validRedirectUri('http://localhost:3000/cb', DEVELOPMENT)).toBe('http://localhost:3000/cb');
    expect(() => validRedirectUri('http://localhost:3000/cb', PRODUCTION)).toThrow(/only http:\/\/127\.0\.0\.1/);
    expect(() => validRedirectUri('http://app.example.com/cb', PRODUCTION)).toThrow(/RFC 8252 §7\.3/);
  });

  it.each([
    ['/callback', /not an absolute URI/],
    ['app.example.com/cb', /not an absolute URI/],
    ['https://app.example.com/cb#frag', /fragment/],
    ['https://app.example.com/cb#', /fragment/],
    ['https://user@app.example.com/cb', /userinfo/],
    ['https://app.example.com:x@evil.example/cb', /userinfo/],
    ['https://app.example.com/cb/../admin', /dot segments/],
    ['https://app.example.com/./cb', /dot segments/],
    ['https://app.example.com/cb\n', /white space/],
    ['https://app.example.com/c b', /white space/],
    ['javascript:alert(1)', /private-use scheme/],
    ['data:text/html,hi', /private-use scheme/],
    ['file:///etc/passwd', /private-use scheme/],
    ['ftp://files.example.com/cb', /private-use scheme/],
  ])('refuses %s', (uri, why) => {
    expect(() => validRedirectUri(uri, DEVELOPMENT)).toThrow(why);
    expect(() => validRedirectUri(uri, DEVELOPMENT)).toThrow(/^redirect_uris: /);
  });

  it('refuses a URI longer than 2000 characters', () => {
    expect(() => validRedirectUri(`https://app.example.com/${'a'.repeat(2000)}`, DEVELOPMENT)).toThrow(/longer than 2000/);
  });

  it('keeps dot segments that are only in the query', () => {
    expect(validRedirectUri('https://app.example.com/cb?next=/../x', PRODUCTION)).toBe('https://app.example.com/cb?next=/../x');
  });
});

describe('validRedirectUris', () => {
  it('drops duplicates, keeps the order and bounds the count', () => {
    expect(validRedirectUris(['https://b.example/cb', 'https://a.example/cb', 'https://b.example/cb'], PRODUCTION)).toEqual([
      'https://b.example/cb',
      'https://a.example/cb',
    ]);
    expect(() => validRedirectUris(Array.from({ length: 21 }, (_, i) => `https://a.example/${i}`), PRODUCTION)).toThrow(/at most 20/);
  });

  it('names the list it checks in its errors: post-logout redirect URIs follow the same rules', () => {
    const refusal = (uris: string[]) => {
      try {
        validRedirectUris(uris, PRODUCTION, 'post_logout_redirect_uris');
      } catch (error) {
        return { field: (error as InvalidInputError).field, message: (error as Error).message };
      }
      return undefined;
    };
    expect(refusal(['https://a.example/bye#x'])).toEqual({ field: 'post_logout_redirect_uris', message: expect.stringMatching(/fragment/) as string });
    expect(refusal(['http://a.example/bye'])?.field).toBe('post_logout_redirect_uris');
    expect(refusal(['https://a.example/bye'])).toBeUndefined();
  });
});
