import { EVENT_TYPES, EVENTS_SUPPORTED, revocationSecurityEvent, verificationSecurityEvent } from './security-event.js';
import { ssfConfiguration } from './ssf-configuration.js';

const ISSUER = 'https://auth.example';
const envelope = { issuer: ISSUER, audience: 'https://orders.example', jti: 'set-1', issuedAt: new Date('2026-01-01T00:00:10.900Z') };
const createdAt = new Date('2026-01-01T00:00:05.500Z');

describe('the SET of a feed revocation', () => {
  it('announces an ended session as CAEP session-revoked, about the session and its user', () => {
    const set = revocationSecurityEvent({ id: 7, kind: 'family', subject: 'fam-1', createdAt, userId: 'user-1' }, envelope);
    expect(set).toEqual({
      iss: ISSUER,
      aud: 'https://orders.example',
      jti: 'set-1',
      iat: 1767225610,
      txn: 'revocation-7',
      sub_id: { format: 'complex', session: { format: 'opaque', id: 'fam-1' }, user: { format: 'iss_sub', iss: ISSUER, sub: 'user-1' } },
      events: { [EVENT_TYPES.sessionRevoked]: { event_timestamp: 1767225605 } },
    });
  });

  it('names only the session when its user is not known', () => {
    const set = revocationSecurityEvent({ id: 8, kind: 'family', subject: 'fam-2', createdAt }, envelope);
    expect(set.sub_id).toEqual({ format: 'complex', session: { format: 'opaque', id: 'fam-2' } });
  });

  it('announces a disabled user as RISC account-disabled, and one revoked access token by its jti', () => {
    const disabled = revocationSecurityEvent({ id: 9, kind: 'user', subject: 'user-2', createdAt }, envelope);
    expect(disabled.sub_id).toEqual({ format: 'iss_sub', iss: ISSUER, sub: 'user-2' });
    expect(Object.keys(disabled.events)).toEqual([EVENT_TYPES.accountDisabled]);
    const token = revocationSecurityEvent({ id: 10, kind: 'jti', subject: 'jti-1', createdAt }, envelope);
    expect(token.sub_id).toEqual({ format: 'jwt_id', iss: ISSUER, jti: 'jti-1' });
    expect(Object.keys(token.events)).toEqual([EVENT_TYPES.accessTokenRevoked]);
  });

  it('announces a password change as CAEP credential-change about the user, with its required fields (§3.3)', () => {
    const changed = revocationSecurityEvent({ id: 12, kind: 'credential', subject: 'user-3', createdAt }, envelope);
    expect(changed.sub_id).toEqual({ format: 'iss_sub', iss: ISSUER, sub: 'user-3' });
    expect(changed.txn).toBe('revocation-12');
    expect(changed.events).toEqual({ [EVENT_TYPES.credentialChange]: { event_timestamp: 1767225605, credential_type: 'password', change_type: 'update' } });
    expect(EVENTS_SUPPORTED).toContain(EVENT_TYPES.credentialChange);
  });

  it('announces a deleted client by its id, as a Tessera event every stream can deliver', () => {
    const deleted = revocationSecurityEvent({ id: 11, kind: 'client', subject: 'shop', createdAt }, envelope);
    expect(deleted.sub_id).toEqual({ format: 'opaque', id: 'shop' });
    expect(Object.keys(deleted.events)).toEqual([EVENT_TYPES.clientDeleted]);
    expect(EVENTS_SUPPORTED).toContain(EVENT_TYPES.clientDeleted);
  });

  it('never carries sub or exp, which would let a JWT verifier confuse it (SSF 1.0 §4.1.3)', () => {
    for (const kind of ['family', 'user', 'jti', 'client', 'credential'] as const) {
      const set = revocationSecurityEvent({ id: 1, kind, subject: 's', createdAt, userId: 'u' }, envelope);
      expect(set).not.toHaveProperty('sub');
      expect(set).not.toHaveProperty('exp');
    }
  });

  it('answers a verification request with the receiver state, about the stream', () => {
    const set = verificationSecurityEvent('stream-1', 'abc', envelope);
    expect(set).toMatchObject({ sub_id: { format: 'opaque', id: 'stream-1' }, events: { [EVENT_TYPES.verification]: { state: 'abc' } } });
    expect(verificationSecurityEvent('stream-1', undefined, envelope).events).toEqual({ [EVENT_TYPES.verification]: {} });
  });
});

describe('the transmitter configuration metadata (SSF 1.0 §7.1)', () => {
  it('names the issuer, the JWKS, both delivery methods and the management endpoints under the issuer', () => {
    expect(ssfConfiguration(ISSUER)).toEqual({
      spec_version: '1_0',
      issuer: ISSUER,
      jwks_uri: `${ISSUER}/oauth/jwks`,
      delivery_methods_supported: ['urn:ietf:rfc:8935', 'urn:ietf:rfc:8936'],
      configuration_endpoint: `${ISSUER}/ssf/stream`,
      status_endpoint: `${ISSUER}/ssf/status`,
      verification_endpoint: `${ISSUER}/ssf/verify`,
      authorization_schemes: [{ spec_urn: 'urn:ietf:rfc:6749' }],
      default_subjects: 'ALL',
    });
  });
});
