import { authenticationMethods, isMultiFactor } from './authentication-methods.js';

describe('authenticationMethods (RFC 8176)', () => {
  it('keeps a password alone single-factor', () => {
    expect(authenticationMethods(['pwd'])).toEqual(['pwd']);
    expect(isMultiFactor(authenticationMethods(['pwd']))).toBe(false);
  });

  it('adds mfa for a password and a one-time code, in a stable order', () => {
    expect(authenticationMethods(['otp', 'pwd'])).toEqual(['pwd', 'otp', 'mfa']);
  });

  it('adds mfa for a user-verified hardware key, not for the key alone', () => {
    expect(authenticationMethods(['hwk', 'user'])).toEqual(['hwk', 'user', 'mfa']);
    expect(authenticationMethods(['hwk'])).toEqual(['hwk']);
  });

  it('drops unknown values and duplicates, and keeps an mfa it was given', () => {
    expect(authenticationMethods(['pwd', 'pwd', 'sms', 'mfa'])).toEqual(['pwd', 'mfa']);
  });
});
