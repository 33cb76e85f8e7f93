import { authorizationParams, PageAgent, pkce } from '../factories/authorization.js';
import { type DpopKey, currentNonce, dpopKey, dpopProof, dpopToken } from '../factories/dpop.js';
import { createClient, createUser, postForm, type TestClient, type TestUser, token } from '../factories/index.js';
import { jwtClaims } from '../factories/resource-server.js';
import { startTestApp, type TestApp } from '../setup/app.js';

const ISSUER = 'http://tessera.test';

/**
 * RFC 9449 §10: a code bound to a DPoP key, named at PAR by a DPoP header or dpop_jkt, or
 * at /oauth/authorize by dpop_jkt; the code then redeems only with a proof of that key.
 */
describe('DPoP-bound authorization codes', () => {
  let t: TestApp;
  let web: TestClient;
  let user: TestUser;
  let key: DpopKey;
  let other: DpopKey;

  beforeAll(async () => {
    t = await startTestApp({ ISSUER });
    web = await createClient(t, { grantTypes: ['authorization_code', 'refresh_token'], scopes: ['read'], firstParty: true, redirectUris: ['https://web.example.com/cb'] });
    user = await createUser(t);
    [key, other] = await Promise.all([dpopKey(), dpopKey()]);
  });
  afterAll(async () => {
    await t.close();
  });

  const parProof = (with_: DpopKey, options: Parameters<typeof dpopProof>[2] = {}) => dpopProof(t, with_, { htu: `${ISSUER}/oauth/par`, ...options });
  const pushedCount = async () => (await t.db.dataSource.query<Array<{ n: number }>>('SELECT count(*)::int AS n FROM pushed_authorization_requests'))[0].n;

  /** Pushes an authorization request (with a DPoP header when given), as the client. */
  async function push(extra: Record<string, string>, dpop?: string) {
    const { verifier, challenge } = pkce();
    const { client_id: _, ...params } = authorizationParams(web, challenge, { scope: 'read', ...extra });
    const result = await postForm(t, '/oauth/par', params, { authorization: web.basic, ...(dpop === undefined ? {} : { dpop }) });
    return { result, verifier, redirectUri: params.redirect_uri };
  }

  /** The user logs in through /oauth/authorize; the code the client gets back. */
  async function codeFor(query: Record<string, string>): Promise<string> {
    const agent = new PageAgent(t);
    const done = await agent.login(await agent.authorize(query), user);
    expect(done.status).toBe(303);
    return done.location!.searchParams.get('code')!;
  }

  /** The code redeems only with a proof of `bound`: not without one, not with another key; and it is still unspent after those. */
  async function expectBoundTo(bound: DpopKey, code: string, verifier: string, redirectUri: string): Promise<void> {
    const params = { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: redirectUri };
    expect(await token(t, web, params)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(await dpopToken(t, web, params, await dpopProof(t, bound === key ? other : key))).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    const redeemed = await dpopToken(t, web, params, await dpopProof(t, bound));
    expect(redeemed).toMatchObject({ status: 200, body: { token_type: 'DPoP' } });
    expect(jwtClaims(String(redeemed.body.access_token)).cnf).toEqual({ jkt: bound.jkt });
  }

  it('a DPoP header at PAR binds the code to its key, and the answer carries the next nonce', async () => {
    const { result, verifier, redirectUri } = await push({}, await parProof(key));
    expect(result.status).toBe(201);
    expect(result.headers.get('dpop-nonce')).toBe(currentNonce(t));
    const code = await codeFor({ client_id: web.id, request_uri: String(result.body.request_uri) });
    await expectBoundTo(key, code, verifier, redirectUri);
  });

  it('dpop_jkt at PAR binds the code the same way, without a proof', async () => {
    const { result, verifier, redirectUri } = await push({ dpop_jkt: other.jkt });
    expect(result.status).toBe(201);
    expect(result.headers.get('dpop-nonce')).toBeNull();
    const code = await codeFor({ client_id: web.id, request_uri: String(result.body.request_uri) });
    await expectBoundTo(other, code, verifier, redirectUri);
  });

  it('a DPoP header and dpop_jkt of the same key are one binding; of different keys, 400 invalid_dpop_proof and nothing pushed', async () => {
    const same = await push({ dpop_jkt: key.jkt }, await parProof(key));
    expect(same.result.status).toBe(201);
    const before = await pushedCount();
    const mismatch = await push({ dpop_jkt: other.jkt }, await parProof(key));
    expect(mismatch.result).toMatchObject({ status: 400, body: { error: 'invalid_dpop_proof', error_description: 'dpop_jkt is not the thumbprint of the DPoP proof key' } });
    expect(mismatch.result.headers.get('dpop-nonce')).toBe(currentNonce(t));
    expect(await pushedCount()).toBe(before);
  });

  it('checks the proof as the token endpoint does: htu of PAR, the nonce, a jti once; nothing pushed on failure', async () => {
    const before = await pushedCount();
    const forToken = await push({}, await dpopProof(t, key));
    expect(forToken.result).toMatchObject({ status: 400, body: { error: 'invalid_dpop_proof', error_description: expect.stringMatching(/htu/) } });
    const noNonce = await push({}, await parProof(key, { nonce: null }));
    expect(noNonce.result).toMatchObject({ status: 400, body: { error: 'use_dpop_nonce' } });
    expect(noNonce.result.headers.get('dpop-nonce')).toBe(currentNonce(t));
    const stale = await push({}, await parProof(key, { iat: Math.floor(t.clock.now() / 1000) - 120 }));
    expect(stale.result).toMatchObject({ status: 400, body: { error: 'invalid_dpop_proof' } });
    expect(await pushedCount()).toBe(before);

    const once = await parProof(key);
    expect((await push({}, once)).result.status).toBe(201);
    expect((await push({}, once)).result).toMatchObject({ status: 400, body: { error: 'invalid_dpop_proof', error_description: 'the DPoP proof has been used before' } });
  });

  it('refuses a malformed dpop_jkt at PAR, and a proof from a request that fails client authentication is not remembered', async () => {
    expect((await push({ dpop_jkt: 'not-a-thumbprint' })).result).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    const proof = await parProof(key);
    const { challenge } = pkce();
    const { client_id: _, ...params } = authorizationParams(web, challenge);
    const stranger = await postForm(t, '/oauth/par', params, { authorization: `Basic ${Buffer.from(`${web.id}:wrong`).toString('base64')}`, dpop: proof });
    expect(stranger.status).toBe(401);
    expect((await push({}, proof)).result.status).toBe(201);
  });

  it('dpop_jkt at /oauth/authorize binds the code too (no PAR)', async () => {
    const { verifier, challenge } = pkce();
    const params = authorizationParams(web, challenge, { scope: 'read', dpop_jkt: key.jkt });
    const code = await codeFor(params);
    await expectBoundTo(key, code, verifier, params.redirect_uri);
  });
});
