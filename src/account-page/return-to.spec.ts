import { loginLocation, safeReturnTo } from './return-to.js';

describe('safeReturnTo', () => {
  it.each([
    ['/account', '', '/account'],
    ['/account?tab=sessions', '', '/account?tab=sessions'],
    ['/tessera/account', '/tessera', '/tessera/account'],
  ])('keeps the same-origin path %s (base %j)', (raw, base, expected) => {
    expect(safeReturnTo(raw, base)).toBe(expected);
  });

  it.each([
    [undefined, ''],
    ['https://evil.example/account', ''],
    ['//evil.example/account', ''],
    ['/\\evil.example', ''],
    ['/account\r\nSet-Cookie: x=1', ''],
    ['account', ''],
    ['javascript:alert(1)', ''],
    ['/other/account', '/tessera'],
    ['/tessera/../x', '/tessera'],
    [`/${'a'.repeat(600)}`, ''],
  ])('falls back to the account page for %j (base %j)', (raw, base) => {
    expect(safeReturnTo(raw, base)).toBe(`${base}/account`);
  });

  it('builds the login address that comes back', () => {
    expect(loginLocation('/t', '/t/account')).toBe('/t/login?return_to=%2Ft%2Faccount');
  });
});
