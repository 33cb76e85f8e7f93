import { type DpopKey, dpopKey, dpopProof, dpopToken, rawRequest } from '../factories/dpop.js';
import { createClient, createUser, type HttpResult, type TestClient, type TestUser } from '../factories/index.js';
import { startTestApp, type TestApp } from '../setup/app.js';

/** RFC 9449 §7 at Tessera's own resources: userinfo and the Bearer-protected APIs. */
describe('DPoP-bound access tokens at userinfo and the admin API', () => {
  let t: TestApp;
  let client: TestClient;
  let user: TestUser;
  let admin: TestUser;
  let key: DpopKey;
  let bound: string;

  beforeAll(async () => {
    t = await startTestApp();
    client = await createClient(t, { scopes: ['openid', 'read', 'admin'] });
    user = await createUser(t);
    admin = await createUser(t, { admin: true });
    key = await dpopKey('EdDSA');
    bound = await loginWithDpop(user, 'openid read');
  });
  afterAll(async () => { await t.close(); });

  async function loginWithDpop(who: TestUser, scope: string): Promise<string> {
    const params = { grant_type: 'password', username: who.username, password: who.password, scope };
    const result = await dpopToken(t, client, params, await dpopProof(t, key));
    expect(result.body.token_type).toBe('DPoP');
    return String(result.body.access_token);
  }

  function get(path: string, headers: Record<string, string | string[]>): Promise<HttpResult> {
    return rawRequest(`${t.url}${path}`, 'GET', headers);
  }

  const userinfoProof = (options: Parameters<typeof dpopProof>[2] = {}) =>
    dpopProof(t, key, { htm: 'GET', htu: `${t.config.issuer}/oauth/userinfo`, nonce: null, accessToken: bound, ...options });

  it('answers userinfo for Authorization: DPoP with a proof of the bound key for this token', async () => {
    const result = await get('/oauth/userinfo', { authorization: `DPoP ${bound}`, dpop: await userinfoProof() });
    expect(result.status).toBe(200);
    expect(result.body.sub).toBe(user.user.id);
  });

  it('accepts a proof whose htu leaves out the query of the request', async () => {
    const result = await get('/oauth/userinfo?x=1', { authorization: `DPoP ${bound}`, dpop: await userinfoProof() });
    expect(result.status).toBe(200);
  });

  it('refuses a bound token sent as Bearer (RFC 9449 §7.2)', async () => {
    const result = await get('/oauth/userinfo', { authorization: `Bearer ${bound}` });
    expect(result.status).toBe(401);
    expect(result.body.error).toBe('invalid_token');
    expect(result.headers.get('www-authenticate')).toMatch(/^DPoP .*error="invalid_token"/);
  });

  const refusals: Array<[string, () => Promise<Record<string, string | string[]>>]> = [
    ['no proof', async () => ({ authorization: `DPoP ${bound}` })],
    ['a proof for another access token (ath)', async () => ({ authorization: `DPoP ${bound}`, dpop: await userinfoProof({ accessToken: 'another.token' }) })],
    ['a proof without ath', async () => ({ authorization: `DPoP ${bound}`, dpop: await dpopProof(t, key, { htm: 'GET', htu: `${t.config.issuer}/oauth/userinfo`, nonce: null }) })],
    ['a proof signed by another key', async () => ({
      authorization: `DPoP ${bound}`,
      dpop: await dpopProof(t, await dpopKey(), { htm: 'GET', htu: `${t.config.issuer}/oauth/userinfo`, nonce: null, accessToken: bound }),
    })],
    ['a proof for the token endpoint', async () => ({ authorization: `DPoP ${bound}`, dpop: await userinfoProof({ htu: `${t.config.issuer}/oauth/token` }) })],
    ['a proof for POST', async () => ({ authorization: `DPoP ${bound}`, dpop: await userinfoProof({ htm: 'POST' }) })],
    ['a stale proof', async () => ({ authorization: `DPoP ${bound}`, dpop: await userinfoProof({ iat: Math.floor(t.clock.now() / 1000) - 120 }) })],
    ['two DPoP headers', async () => ({ authorization: `DPoP ${bound}`, dpop: [await userinfoProof(), await userinfoProof()] })],
  ];

  it.each(refusals)('answers 401 invalid_dpop_proof with a DPoP challenge for %s', async (_, headers) => {
    const result = await get('/oauth/userinfo', await headers());
    expect(result.status).toBe(401);
    expect(result.body.error).toBe('invalid_dpop_proof');
    expect(result.headers.get('www-authenticate')).toMatch(/^DPoP realm="tessera", error="invalid_dpop_proof", algs="[^"]*ES256[^"]*"$/);
  });

  it('accepts a proof once: the same proof again is refused', async () => {
    const headers = { authorization: `DPoP ${bound}`, dpop: await userinfoProof() };
    expect((await get('/oauth/userinfo', headers)).status).toBe(200);
    const again = await get('/oauth/userinfo', headers);
    expect(again.status).toBe(401);
    expect(again.body.error).toBe('invalid_dpop_proof');
  });

  it('refuses an unbound token under the DPoP scheme', async () => {
    const bearer = await rawRequest(`${t.url}/oauth/token`, 'POST', {
      'content-type': 'application/x-www-form-urlencoded', authorization: client.basic,
    }, new URLSearchParams({ grant_type: 'password', username: user.username, password: user.password, scope: 'openid' }).toString());
    const token = String(bearer.body.access_token);
    const result = await get('/oauth/userinfo', {
      authorization: `DPoP ${token}`,
      dpop: await dpopProof(t, key, { htm: 'GET', htu: `${t.config.issuer}/oauth/userinfo`, nonce: null, accessToken: token }),
    });
    expect(result.status).toBe(401);
    expect(result.body.error).toBe('invalid_dpop_proof');
  });

  it('serves the admin API to an admin\'s DPoP-bound token with its proof, and not as Bearer', async () => {
    const adminToken = await loginWithDpop(admin, 'admin');
    const proof = await dpopProof(t, key, { htm: 'GET', htu: `${t.config.issuer}/admin/users`, nonce: null, accessToken: adminToken });
    const listed = await get('/admin/users', { authorization: `DPoP ${adminToken}`, dpop: proof });
    expect(listed.status).toBe(200);
    expect((await get('/admin/users', { authorization: `Bearer ${adminToken}` })).status).toBe(401);
  });
});
