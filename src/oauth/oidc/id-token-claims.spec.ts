import { idTokenClaims } from './id-token-claims.js';

describe('idTokenClaims', () => {
  const context = {
    issuer: 'https://id.example.com',
    subject: '6f1c2a57-9a4e-4b61-9d0e-0c6f7a3f2b10',
    clientId: 'web',
    authTime: new Date('2026-01-01T00:00:00.900Z'),
    amr: ['pwd'],
    sid: '0b7e7f8e-4f54-4d3f-8f7a-4d2c7f3f9a11',
    now: 1_767_225_700,
    ttl: 300,
  };

  it('states who, for whom, when and how the user authenticated (OIDC Core §2)', () => {
    expect(idTokenClaims({ ...context, nonce: 'n-0S6_WzA2Mj' })).toEqual({
      iss: 'https://id.example.com',
      sub: context.subject,
      aud: 'web',
      exp: 1_767_226_000,
      iat: 1_767_225_700,
      auth_time: 1_767_225_600,
      nonce: 'n-0S6_WzA2Mj',
      sid: context.sid,
      azp: 'web',
      amr: ['pwd'],
    });
  });

  it('states the methods the login proved (RFC 8176), a password when none were recorded', () => {
    expect(idTokenClaims({ ...context, amr: ['pwd', 'otp', 'mfa'] }).amr).toEqual(['pwd', 'otp', 'mfa']);
    expect(idTokenClaims({ ...context, amr: [] }).amr).toEqual(['pwd']);
  });

  it('carries no nonce when none was sent, as on refresh (§12.2)', () => {
    expect(idTokenClaims(context)).not.toHaveProperty('nonce');
  });
});
