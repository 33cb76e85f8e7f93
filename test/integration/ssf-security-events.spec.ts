import { createLocalJWKSet, jwtVerify } from 'jose';
import { KeysService } from '../../src/oauth/keys/keys.service.js';
import { EVENT_TYPES, revocationSecurityEvent } from '../../src/ssf/security-event.js';
import { SecurityEventSigner } from '../../src/ssf/security-event.signer.js';
import { startTestApp, type TestApp } from '../setup/app.js';

/** SETs signed by the keys of the JWKS, verifiable by a receiver and by nothing else. */
describe('Security Event Tokens signed with the JWKS keys', () => {
  let t: TestApp;
  let signer: SecurityEventSigner;

  beforeAll(async () => {
    t = await startTestApp();
    signer = new SecurityEventSigner(t.app.get(KeysService));
  });
  afterAll(() => t.close());

  const sign = () =>
    signer.sign(
      revocationSecurityEvent(
        { id: 1, kind: 'family', subject: 'fam-1', createdAt: new Date(t.clock.now()), userId: 'user-1' },
        { issuer: t.config.issuer, audience: 'https://orders.example', jti: 'set-1', issuedAt: new Date(t.clock.now()) },
      ),
    );
  const jwks = async () => createLocalJWKSet((await (await fetch(`${t.url}/oauth/jwks`)).json()) as Parameters<typeof createLocalJWKSet>[0]);

  it('verifies against the published JWKS with typ secevent+jwt, and is refused as an access token', async () => {
    const set = sign();
    const { payload, protectedHeader } = await jwtVerify(set, await jwks(), {
      typ: 'secevent+jwt',
      issuer: t.config.issuer,
      audience: 'https://orders.example',
      currentDate: new Date(t.clock.now()),
    });
    expect(protectedHeader).toMatchObject({ typ: 'secevent+jwt', alg: t.config.signingAlg });
    expect(payload.events).toEqual({ [EVENT_TYPES.sessionRevoked]: { event_timestamp: Math.floor(t.clock.now() / 1000) } });
    await expect(jwtVerify(set, await jwks(), { typ: 'at+jwt', currentDate: new Date(t.clock.now()) })).rejects.toThrow(/typ/);
  });

  it('follows a key rotation: SETs name the new key once it signs (after KEY_PUBLISH_DELAY)', async () => {
    const before = sign();
    const { kid, activatesAt } = await t.app.get(KeysService).rotate('test');
    const header = (token: string) => JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()) as { kid: string };
    expect(header(sign()).kid).toBe(header(before).kid);
    t.clock.advance((activatesAt.getTime() - t.clock.now()) / 1000);
    const after = sign();
    expect(header(after).kid).toBe(kid);
    expect(header(before).kid).not.toBe(kid);
    await expect(jwtVerify(after, await jwks(), { typ: 'secevent+jwt', currentDate: new Date(t.clock.now()) })).resolves.toBeDefined();
  });
});
