import { createPrivateKey, type KeyObject, sign } from 'node:crypto';
import { deriveKey, unseal } from '../../src/common/crypto.js';
import { idTokenClaims } from '../../src/oauth/oidc/id-token-claims.js';
import { createClient, createUser, login, type TestClient, type TestUser } from '../factories/index.js';
import { INACTIVE_BODY, introspect, isActive, jwtClaims, jwtHeader } from '../factories/resource-server.js';
import { startTestApp, type TestApp, TEST_SECRETS } from '../setup/app.js';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function es256(key: KeyObject, header: object, payload: object): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

/**
 * An ID token is a statement to its client, never a credential (OIDC Core §2, RFC 8725
 * §3.11): signed by the server key with header typ JWT, it is refused wherever an access
 * token is taken, even when it carries every access-token claim.
 */
describe('an ID token is never an access token', () => {
  let t: TestApp;
  let app: TestClient;
  let resourceServer: TestClient;
  let user: TestUser;
  let accessToken: string;
  let serverKey: KeyObject;
  let kid: string;

  beforeAll(async () => {
    t = await startTestApp();
    app = await createClient(t);
    resourceServer = await createClient(t, { grantTypes: ['client_credentials'], scopes: [], introspect: true });
    user = await createUser(t);
    accessToken = (await login(t, app, user, 'read')).access_token;
    kid = jwtHeader(accessToken).kid as string;
    const [row] = await t.db.dataSource.query<Array<{ private_key_sealed: Buffer }>>(`SELECT private_key_sealed FROM signing_keys WHERE kid = $1`, [kid]);
    const der = unseal(deriveKey(TEST_SECRETS.KEY_ENCRYPTION_SECRET, 'signing-key'), row.private_key_sealed, Buffer.from(kid));
    serverKey = createPrivateKey({ key: der!, format: 'der', type: 'pkcs8' });
  });
  afterAll(async () => {
    await t.close();
  });

  function idTokens(): string[] {
    const access = jwtClaims(accessToken);
    const claims = idTokenClaims({
      issuer: t.config.issuer,
      subject: user.user.id,
      clientId: app.id,
      authTime: new Date(t.clock.now()),
      amr: ['pwd'],
      sid: access.sid as string,
      now: Math.floor(t.clock.now() / 1000),
      ttl: 300,
    });
    const header = { alg: 'ES256', typ: 'JWT', kid };
    // The second carries the access token's own claims too: only its typ tells them apart.
    return [es256(serverKey, header, claims), es256(serverKey, header, { ...access, ...claims, aud: access.aud })];
  }

  it('the control: the same key and claims under typ at+jwt are accepted', async () => {
    expect(await isActive(t, resourceServer, es256(serverKey, { alg: 'ES256', typ: 'at+jwt', kid }, jwtClaims(accessToken)))).toBe(true);
  });

  it('introspection answers active:false', async () => {
    for (const idToken of idTokens()) {
      const result = await introspect(t, resourceServer, idToken);
      expect(result.status).toBe(200);
      expect(result.text).toBe(INACTIVE_BODY);
    }
  });

  it('the Bearer-protected APIs and userinfo answer 401 invalid_token', async () => {
    for (const idToken of idTokens()) {
      for (const path of ['/auth/sessions', '/oauth/userinfo', '/admin/users']) {
        const response = await fetch(`${t.url}${path}`, { headers: { authorization: `Bearer ${idToken}` } });
        expect(response.status).toBe(401);
        expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
      }
    }
  });
});
