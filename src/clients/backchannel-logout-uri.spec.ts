import { InvalidInputError } from '../common/errors.js';
import { validBackchannelLogoutUri } from './backchannel-logout-uri.js';

const development = { production: false };
const production = { production: true };

describe('validBackchannelLogoutUri', () => {
  it('accepts https with a query, and loopback http outside production', () => {
    expect(validBackchannelLogoutUri('https://rp.example.com/bc?x=1', production)).toBe('https://rp.example.com/bc?x=1');
    expect(validBackchannelLogoutUri('http://127.0.0.1:8080/bc', development)).toBe('http://127.0.0.1:8080/bc');
    expect(validBackchannelLogoutUri('http://localhost/bc', development)).toBe('http://localhost/bc');
  });

  it.each([
    ['http://127.0.0.1:8080/bc', production, /only https/],
    ['http://localhost/bc', production, /only https/],
    ['http://rp.example.com/bc', development, /must use https/],
    ['https://rp.example.com/bc#frag', development, /fragment/],
    ['https://user:pw@rp.example.com/bc', development, /userinfo/],
    ['javascript:alert(1)', development, /must use https/],
    ['/relative', development, /not an absolute URL/],
    ['https://rp.example.com/ bc', development, /white space/],
  ])('refuses %s', (uri, policy, why) => {
    const attempt = () => validBackchannelLogoutUri(uri, policy);
    expect(attempt).toThrow(InvalidInputError);
    expect(attempt).toThrow(why);
  });
});
