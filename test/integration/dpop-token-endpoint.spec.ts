import { randomBytes } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { AuthorizationCodesService } from '../../src/oauth/authorization/authorization-codes.service.js';
import { s256 } from '../../src/oauth/authorization/pkce.js';
import { JanitorService } from '../../src/janitor/janitor.service.js';
import { NONCE_WINDOW_SECONDS } from '../../src/oauth/dpop/dpop-nonces.js';
import { type DpopKey, currentNonce, dpopKey, dpopProof, dpopToken } from '../factories/dpop.js';
import { createClient, createUser, login, postForm, type TestClient, type TestUser, token } from '../factories/index.js';
import { startTestApp, type TestApp } from '../setup/app.js';

function claimsOf(jwt: unknown): Record<string, unknown> {
  return JSON.parse(Buffer.from(String(jwt).split('.')[1], 'base64url').toString()) as Record<string, unknown>;
}

/** RFC 9449 at POST /oauth/token: bound tokens, nonces, and every bad proof refused with nothing issued. */
describe('DPoP at the token endpoint', () => {
  let t: TestApp;
  let client: TestClient;
  let publicClient: TestClient;
  let opaqueClient: TestClient;
  let user: TestUser;
  let key: DpopKey;

  beforeAll(async () => {
    t = await startTestApp();
    client = await createClient(t);
    publicClient = await createClient(t, { type: 'public', grantTypes: ['password', 'refresh_token'], scopes: ['read'] });
    opaqueClient = await createClient(t, { accessTokenFormat: 'opaque', introspect: true });
    user = await createUser(t);
    key = await dpopKey();
  });
  afterAll(async () => { await t.close(); });

  const password = () => ({ grant_type: 'password', username: user.username, password: user.password });
  const count = async (table: string) =>
    (await t.db.dataSource.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM ${table}`))[0].n;

  it('binds a client_credentials JWT to the proof key: token_type DPoP, cnf.jkt, and a fresh DPoP-Nonce', async () => {
    const result = await dpopToken(t, client, { grant_type: 'client_credentials' }, await dpopProof(t, key));
    expect(result.status).toBe(200);
    expect(result.body.token_type).toBe('DPoP');
    expect(claimsOf(result.body.access_token).cnf).toEqual({ jkt: key.jkt });
    expect(result.headers.get('dpop-nonce')).toBe(currentNonce(t));
  });

  it('binds a password login, its refresh token family and every rotation to the same key', async () => {
    const first = await dpopToken(t, publicClient, password(), await dpopProof(t, key));
    expect(first.status).toBe(200);
    expect(first.body.token_type).toBe('DPoP');
    const [family] = await t.db.dataSource.query<Array<{ dpop_jkt: string }>>(
      `SELECT dpop_jkt FROM families WHERE id = $1`, [claimsOf(first.body.access_token).sid],
    );
    expect(family.dpop_jkt).toBe(key.jkt);
    const second = await dpopToken(t, publicClient, { grant_type: 'refresh_token', refresh_token: String(first.body.refresh_token) }, await dpopProof(t, key));
    expect(second.status).toBe(200);
    expect(second.body.token_type).toBe('DPoP');
    expect(claimsOf(second.body.access_token).cnf).toEqual({ jkt: key.jkt });
  });

  it('refuses a bound refresh token with another key or without a proof, and leaves the family to its owner', async () => {
    const first = await dpopToken(t, publicClient, password(), await dpopProof(t, key));
    const stolen = String(first.body.refresh_token);
    const thief = await dpopKey();
    const withOtherKey = await dpopToken(t, publicClient, { grant_type: 'refresh_token', refresh_token: stolen }, await dpopProof(t, thief));
    expect(withOtherKey.status).toBe(400);
    expect(withOtherKey.body.error).toBe('invalid_grant');
    const bare = await token(t, publicClient, { grant_type: 'refresh_token', refresh_token: stolen });
    expect(bare.status).toBe(400);
    expect(bare.body.error).toBe('invalid_grant');
    // The owner, holding the key, still rotates: the thief changed nothing, not even a revocation.
    const owner = await dpopToken(t, publicClient, { grant_type: 'refresh_token', refresh_token: stolen }, await dpopProof(t, key));
    expect(owner.status).toBe(200);
    const [family] = await t.db.dataSource.query<Array<{ revoked_at: Date | null }>>(
      `SELECT revoked_at FROM families WHERE id = $1`, [claimsOf(first.body.access_token).sid],
    );
    expect(family.revoked_at).toBeNull();
  });

  it('never binds an unbound family later: a proof at refresh binds the access token only', async () => {
    const bearer = await login(t, client, user);
    const bound = await dpopToken(t, client, { grant_type: 'refresh_token', refresh_token: bearer.refresh_token }, await dpopProof(t, key));
    expect(bound.status).toBe(200);
    expect(bound.body.token_type).toBe('DPoP');
    const plain = await token(t, client, { grant_type: 'refresh_token', refresh_token: String(bound.body.refresh_token) });
    expect(plain.status).toBe(200);
    expect(plain.body.token_type).toBe('Bearer');
  });

  it('stores the binding of opaque access tokens, and introspection shows cnf.jkt and token_type DPoP', async () => {
    const issued = await dpopToken(t, opaqueClient, { grant_type: 'client_credentials' }, await dpopProof(t, key));
    expect(issued.body.token_type).toBe('DPoP');
    const introspected = await postForm(t, '/oauth/introspect', { token: String(issued.body.access_token) }, { authorization: opaqueClient.basic });
    expect(introspected.body).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt: key.jkt } });
    const jwt = await dpopToken(t, client, { grant_type: 'client_credentials' }, await dpopProof(t, key));
    const ofJwt = await postForm(t, '/oauth/introspect', { token: String(jwt.body.access_token) }, { authorization: opaqueClient.basic });
    expect(ofJwt.body).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt: key.jkt } });
  });

  it('asks for a nonce with 400 use_dpop_nonce and DPoP-Nonce, and takes the previous window\'s nonce too', async () => {
    const missing = await dpopToken(t, client, { grant_type: 'client_credentials' }, await dpopProof(t, key, { nonce: null }));
    expect(missing.status).toBe(400);
    expect(missing.body.error).toBe('use_dpop_nonce');
    expect(missing.headers.get('dpop-nonce')).toBe(currentNonce(t));
    const old = currentNonce(t)!;
    t.clock.advance(NONCE_WINDOW_SECONDS);
    expect((await dpopToken(t, client, { grant_type: 'client_credentials' }, await dpopProof(t, key, { nonce: old }))).status).toBe(200);
    t.clock.advance(NONCE_WINDOW_SECONDS);
    const expired = await dpopToken(t, client, { grant_type: 'client_credentials' }, await dpopProof(t, key, { nonce: old }));
    expect(expired.body.error).toBe('use_dpop_nonce');
    const madeUp = await dpopToken(t, client, { grant_type: 'client_credentials' }, await dpopProof(t, key, { nonce: 'made-up' }));
    expect(madeUp.body.error).toBe('use_dpop_nonce');
  });

  describe('bad proofs: 400 invalid_dpop_proof and nothing issued', () => {
    const cases: Array<[string, () => Promise<string | string[]>]> = [
      ['alg none', async () => {
        const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
        return `${b64({ alg: 'none', typ: 'dpop+jwt', jwk: key.jwk })}.${b64({ jti: 'n', htm: 'POST', htu: `${t.config.issuer}/oauth/token`, iat: Math.floor(t.clock.now() / 1000), nonce: currentNonce(t) })}.`;
      }],
      ['HS256', async () =>
        new SignJWT({ jti: 'h', htm: 'POST', htu: `${t.config.issuer}/oauth/token`, iat: Math.floor(t.clock.now() / 1000), nonce: currentNonce(t) })
          .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: key.jwk })
          .sign(new TextEncoder().encode('0123456789abcdef0123456789abcdef'))],
      ['a private key in jwk', async () => {
        const pair = await generateKeyPair('ES256', { extractable: true });
        return dpopProof(t, { ...key, privateKey: pair.privateKey }, { header: { jwk: await exportJWK(pair.privateKey) } });
      }],
      ['a wrong htu', () => dpopProof(t, key, { htu: `${t.config.issuer}/oauth/introspect` })],
      ['the htu of another host', () => dpopProof(t, key, { htu: 'http://attacker.test/oauth/token' })],
      ['a wrong htm', () => dpopProof(t, key, { htm: 'GET' })],
      ['a stale iat', () => dpopProof(t, key, { iat: Math.floor(t.clock.now() / 1000) - 61 })],
      ['a future iat', () => dpopProof(t, key, { iat: Math.floor(t.clock.now() / 1000) + 61 })],
      ['no jti', () => dpopProof(t, key, { claims: { jti: undefined } })],
      ['an oversize proof', () => dpopProof(t, key, { claims: { padding: 'x'.repeat(9000) } })],
      ['two DPoP headers', async () => [await dpopProof(t, key), await dpopProof(t, key)]],
      ['an empty DPoP header', async () => ''],
      ['garbage', async () => 'not-a-jwt'],
    ];

    it.each(cases)('%s', async (_, make) => {
      const families = await count('families');
      const result = await dpopToken(t, publicClient, password(), await make());
      expect(result.status).toBe(400);
      expect(result.body.error).toBe('invalid_dpop_proof');
      expect(result.body.access_token).toBeUndefined();
      expect(result.text).not.toMatch(/at .*\.(ts|js):\d+/);
      expect(await count('families')).toBe(families);
    });

    it('a replayed jti', async () => {
      const proof = await dpopProof(t, key);
      expect((await dpopToken(t, publicClient, password(), proof)).status).toBe(200);
      const families = await count('families');
      const replayed = await dpopToken(t, publicClient, password(), proof);
      expect(replayed.status).toBe(400);
      expect(replayed.body).toMatchObject({ error: 'invalid_dpop_proof', error_description: 'the DPoP proof has been used before' });
      expect(await count('families')).toBe(families);
    });
  });

  it('redeems a code issued for dpop_jkt (RFC 9449 §10) only with a proof of that key, the code unspent meanwhile', async () => {
    const redirect = 'https://app.example.com/cb';
    const web = await createClient(t, { type: 'public', grantTypes: ['authorization_code', 'refresh_token'], redirectUris: [redirect], scopes: ['read'] });
    const verifier = randomBytes(32).toString('base64url');
    const code = await t.app.get(AuthorizationCodesService).issue({
      client: web.client, userId: user.user.id, redirectUri: redirect, redirectUriSent: true,
      codeChallenge: s256(verifier), scope: ['read'], authTime: new Date(t.clock.now()), dpopJkt: key.jkt,
    });
    const params = { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: redirect };
    expect((await token(t, web, params)).body.error).toBe('invalid_grant');
    expect((await dpopToken(t, web, params, await dpopProof(t, await dpopKey()))).body.error).toBe('invalid_grant');
    const redeemed = await dpopToken(t, web, params, await dpopProof(t, key));
    expect(redeemed.status).toBe(200);
    expect(redeemed.body.token_type).toBe('DPoP');
  });

  it('refuses a client registered dpop_bound_access_tokens without a proof, and serves it with one', async () => {
    const strict = await createClient(t, { requireDpop: true });
    const bare = await token(t, strict, { grant_type: 'client_credentials' });
    expect(bare.status).toBe(400);
    expect(bare.body.error).toBe('invalid_dpop_proof');
    const bound = await dpopToken(t, strict, { grant_type: 'client_credentials' }, await dpopProof(t, key));
    expect(bound.body.token_type).toBe('DPoP');
  });

  it('announces dpop_signing_alg_values_supported, asymmetric algorithms only', async () => {
    const response = await fetch(`${t.url}/.well-known/oauth-authorization-server`);
    const metadata = (await response.json()) as { dpop_signing_alg_values_supported: string[] };
    expect(metadata.dpop_signing_alg_values_supported).toEqual(expect.arrayContaining(['ES256', 'EdDSA', 'RS256', 'PS256']));
    expect(metadata.dpop_signing_alg_values_supported.some((alg) => alg === 'none' || alg.startsWith('HS'))).toBe(false);
  });

  it('lets the janitor delete remembered proofs once their iat window has closed', async () => {
    await dpopToken(t, client, { grant_type: 'client_credentials' }, await dpopProof(t, key));
    const before = await count('dpop_proofs');
    expect(before).toBeGreaterThan(0);
    t.clock.advance(600);
    const counts = await t.app.get(JanitorService).runOnce({ wait: true });
    expect(counts?.dpop_proofs).toBe(before);
    expect(await count('dpop_proofs')).toBe(0);
  });
});
