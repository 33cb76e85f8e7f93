import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, SignJWT } from 'jose';
import Fastify, { type FastifyInstance } from 'fastify';
import { createClient } from '../../../test/factories/index.js';
import { type DpopKey, dpopKey, dpopProof, dpopToken, rawRequest } from '../../../test/factories/dpop.js';
import { tesseraMiddleware, type RequestWithPrincipal } from '../src/express.js';
import { tesseraPlugin } from '../src/fastify.js';
import { accessTokenHash } from '../src/dpop-proof.js';
import type { DpopReplayStore } from '../src/dpop-replay.js';
import { BearerError } from '../src/errors.js';
import { DEFAULT_DPOP_ALGORITHMS } from '../src/options.js';
import { type ProtectedRequest, ResourceServer } from '../src/resource-server.js';
import { AUDIENCE, hs256, type LiveTessera, startLiveTessera, unsigned } from './live-tessera.js';

/** The URL the resource is reached at in the core tests (no server needed there). */
const API = 'https://orders.example/v1/orders';
const ALGS = `algs="${DEFAULT_DPOP_ALGORITHMS.join(' ')}"`;

describe('DPoP at @tessera/resource-server (RFC 9449 §7), against a live Tessera', () => {
  let live: LiveTessera;
  let server: ResourceServer;
  let key: DpopKey;
  let other: DpopKey;
  /** a JWT access token bound to `key` */
  let bound: string;

  const seconds = () => Math.floor(live.t.clock.now() / 1000);
  /** A proof for the resource, signed with `with`, valid unless the options say otherwise. */
  const proof = (token: string, options: Parameters<typeof dpopProof>[2] = {}, with_ = key) =>
    dpopProof(live.t, with_, { htm: 'GET', htu: API, nonce: null, accessToken: token, ...options });
  const request = (token: string, dpop: ProtectedRequest['dpop'], scheme = 'DPoP'): ProtectedRequest => ({
    method: 'GET',
    url: `${API}?page=2`,
    authorization: `${scheme} ${token}`,
    dpop,
  });
  const outcome = (promise: Promise<unknown>) =>
    promise.then(
      () => 'accepted',
      (error: BearerError) => ({ status: error.status, code: error.code, scheme: error.scheme, description: error.description }),
    );
  const refusedProof = (description: RegExp) => ({ status: 401, code: 'invalid_dpop_proof', scheme: 'DPoP', description: expect.stringMatching(description) });

  async function boundToken(client = live.app, with_ = key): Promise<string> {
    const issued = await dpopToken(live.t, client, { grant_type: 'client_credentials', scope: 'read' }, await dpopProof(live.t, with_));
    expect(issued.body.token_type).toBe('DPoP');
    return String(issued.body.access_token);
  }

  beforeAll(async () => {
    live = await startLiveTessera();
    server = new ResourceServer(live.options);
    [key, other] = await Promise.all([dpopKey(), dpopKey()]);
    bound = await boundToken();
  });
  afterAll(() => live.t.close());

  it('accepts a bound JWT with a proof of its key for this method, URL (query ignored) and token', async () => {
    const principal = await server.authenticateRequest(request(bound, await proof(bound)), ['read']);
    expect(principal).toMatchObject({ clientId: live.app.id, boundKey: key.jkt, verifiedBy: 'jwt' });
  });

  it('accepts a bound opaque token, its cnf.jkt and token_type DPoP learnt by introspection', async () => {
    const opaqueApp = await createClient(live.t, { audience: AUDIENCE, scopes: ['read'], accessTokenFormat: 'opaque' });
    const opaque = await boundToken(opaqueApp);
    expect(opaque).not.toContain('.');
    expect(await server.authenticateRequest(request(opaque, await proof(opaque)))).toMatchObject({ boundKey: key.jkt, verifiedBy: 'introspection' });
    const stolen = await proof(opaque, {}, other);
    expect(await outcome(server.authenticateRequest(request(opaque, stolen)))).toEqual(refusedProof(/another key/));
  });

  describe('bad proofs: 401 invalid_dpop_proof with a DPoP challenge', () => {
    const claims = () => ({ jti: crypto.randomUUID(), htm: 'GET', htu: API, iat: seconds(), ath: accessTokenHash(bound) });

    it('alg none, and HS256 keyed with anything', async () => {
      const none = unsigned({ typ: 'dpop+jwt', alg: 'none', jwk: key.jwk }, claims());
      expect(await outcome(server.authenticateRequest(request(bound, none)))).toEqual(refusedProof(/alg/));
      const hmac = hs256('a shared secret', { typ: 'dpop+jwt', alg: 'HS256', jwk: { kty: 'oct', k: 'c2VjcmV0' } }, claims());
      expect(await outcome(server.authenticateRequest(request(bound, hmac)))).toEqual(refusedProof(/alg/));
    });

    it('a private key in the jwk, even one that verifies the signature', async () => {
      const privateJwk = await exportJWK(key.privateKey);
      const leaky = await new SignJWT(claims()).setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: privateJwk }).sign(key.privateKey);
      expect(await outcome(server.authenticateRequest(request(bound, leaky)))).toEqual(refusedProof(/public key/));
    });

    it('another typ, and a signature by another key than its jwk', async () => {
      expect(await outcome(server.authenticateRequest(request(bound, await proof(bound, { header: { typ: 'JWT' } }))))).toEqual(refusedProof(/typ/));
      const forged = await new SignJWT(claims()).setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.jwk }).sign(other.privateKey);
      expect(await outcome(server.authenticateRequest(request(bound, forged)))).toEqual(refusedProof(/does not verify/));
    });

    it('another URL or method', async () => {
      for (const htu of ['https://orders.example/v1/invoices', 'https://elsewhere.example/v1/orders', 'http://orders.example/v1/orders']) {
        expect(await outcome(server.authenticateRequest(request(bound, await proof(bound, { htu }))))).toEqual(refusedProof(/htu/));
      }
      expect(await outcome(server.authenticateRequest(request(bound, await proof(bound, { htm: 'POST' }))))).toEqual(refusedProof(/htm/));
    });

    it('compares htu after normalisation: case of scheme and host, default port, dot segments', async () => {
      const htu = 'HTTPS://Orders.Example:443/v1/x/../orders';
      expect(await outcome(server.authenticateRequest(request(bound, await proof(bound, { htu }))))).toBe('accepted');
    });

    it('a stale or future iat, beyond the 60 s window', async () => {
      expect(await outcome(server.authenticateRequest(request(bound, await proof(bound, { iat: seconds() - 61 }))))).toEqual(refusedProof(/iat/));
      expect(await outcome(server.authenticateRequest(request(bound, await proof(bound, { iat: seconds() + 61 }))))).toEqual(refusedProof(/iat/));
      expect(await outcome(server.authenticateRequest(request(bound, await proof(bound, { iat: seconds() - 59 }))))).toBe('accepted');
    });

    it('a replayed jti, within the window; the same jti of another key is another proof', async () => {
      const once = await proof(bound, { jti: 'jti-once' });
      expect(await outcome(server.authenticateRequest(request(bound, once)))).toBe('accepted');
      expect(await outcome(server.authenticateRequest(request(bound, once)))).toEqual(refusedProof(/used before/));
      const otherBound = await boundToken(live.app, other);
      expect(await outcome(server.authenticateRequest(request(otherBound, await proof(otherBound, { jti: 'jti-once' }, other))))).toBe('accepted');
    });

    it('a proof made for another access token (ath), or without ath', async () => {
      const second = await boundToken();
      expect(await outcome(server.authenticateRequest(request(bound, await proof(second))))).toEqual(refusedProof(/ath/));
      expect(await outcome(server.authenticateRequest(request(bound, await proof(bound, { claims: { ath: undefined } }))))).toEqual(refusedProof(/ath/));
    });

    it('a proof of another key than the token is bound to', async () => {
      expect(await outcome(server.authenticateRequest(request(bound, await proof(bound, {}, other))))).toEqual(refusedProof(/another key/));
    });

    it('no proof, two proofs, an oversize one', async () => {
      expect(await outcome(server.authenticateRequest(request(bound, undefined)))).toEqual(refusedProof(/required/));
      const [a, b] = [await proof(bound), await proof(bound)];
      expect(await outcome(server.authenticateRequest(request(bound, [a, b])))).toEqual(refusedProof(/at most one/));
      expect(await outcome(server.authenticateRequest(request(bound, `${a}, ${b}`)))).toEqual(refusedProof(/at most one/));
      const huge = await proof(bound, { claims: { pad: 'x'.repeat(9000) } });
      expect(await outcome(server.authenticateRequest(request(bound, huge)))).toEqual(refusedProof(/longer/));
    });

    it('answers with the DPoP challenge, its error and the algorithms accepted', async () => {
      const error = await server.authenticateRequest(request(bound, await proof(bound, { htm: 'POST' }))).catch((caught: BearerError) => caught);
      const answer = server.response(error as BearerError);
      expect(answer.status).toBe(401);
      expect(answer.headers['www-authenticate']).toBe(
        `DPoP realm="orders", error="invalid_dpop_proof", error_description="the DPoP proof htm does not match the request method", ${ALGS}`,
      );
      expect(answer.body).toEqual({ error: 'invalid_dpop_proof', error_description: 'the DPoP proof htm does not match the request method' });
    });
  });

  it('refuses a bound token presented as Bearer, proof or not, with a DPoP invalid_token challenge (§7.2)', async () => {
    for (const dpop of [undefined, await proof(bound)]) {
      const error = (await server.authenticateRequest(request(bound, dpop, 'Bearer')).catch((caught: unknown) => caught)) as BearerError;
      expect(error).toMatchObject({ status: 401, code: 'invalid_token', scheme: 'DPoP' });
      expect(server.response(error).headers['www-authenticate']).toMatch(/^DPoP realm="orders", error="invalid_token", .*algs="/);
    }
  });

  it('refuses an unbound token under the DPoP scheme, and a forged one, invalid_token either way', async () => {
    const plain = await live.token('read');
    expect(await outcome(server.authenticateRequest(request(plain, await proof(plain))))).toMatchObject({ status: 401, code: 'invalid_token', scheme: 'DPoP' });
    const tampered = `${bound.slice(0, -4)}AAAA`;
    expect(await outcome(server.authenticateRequest(request(tampered, await proof(tampered))))).toMatchObject({ status: 401, code: 'invalid_token', scheme: 'DPoP' });
  });

  it('answers insufficient_scope under the DPoP scheme too', async () => {
    const error = (await server.authenticateRequest(request(bound, await proof(bound)), ['write']).catch((caught: unknown) => caught)) as BearerError;
    expect(server.response(error)).toMatchObject({ status: 403, headers: { 'www-authenticate': expect.stringMatching(/^DPoP .*error="insufficient_scope".*scope="write"/) } });
  });

  describe('the replay store', () => {
    it('refuses a proof replayed to another instance that shares a store (the hook for many processes)', async () => {
      const seen = new Map<string, number>();
      const shared: DpopReplayStore = { claim: async (jti, until) => !seen.has(jti) && Boolean(seen.set(jti, until)) };
      const [a, b] = [new ResourceServer({ ...live.options, dpop: { replayStore: shared } }), new ResourceServer({ ...live.options, dpop: { replayStore: shared } })];
      const once = await proof(bound);
      expect(await outcome(a.authenticateRequest(request(bound, once)))).toBe('accepted');
      expect(await outcome(b.authenticateRequest(request(bound, once)))).toEqual(refusedProof(/used before/));
      // Without the shared store, each process remembers only its own proofs.
      const separate = new ResourceServer(live.options);
      expect(await outcome(separate.authenticateRequest(request(bound, once)))).toBe('accepted');
    });

    it('fails closed with 503 when the store is full or cannot answer, and forgets proofs once their window closed', async () => {
      const small = new ResourceServer({ ...live.options, dpop: { replayCacheSize: 1 } });
      expect(await outcome(small.authenticateRequest(request(bound, await proof(bound))))).toBe('accepted');
      expect(await outcome(small.authenticateRequest(request(bound, await proof(bound))))).toMatchObject({ status: 503, code: 'temporarily_unavailable' });
      live.t.clock.advance(62_000);
      try {
        const fresh = await boundToken();
        expect(await outcome(small.authenticateRequest(request(fresh, await proof(fresh))))).toBe('accepted');
      } finally {
        live.t.clock.advance(-62_000);
      }
      const broken = new ResourceServer({ ...live.options, dpop: { replayStore: { claim: () => Promise.reject(new Error('down')) } } });
      expect(await outcome(broken.authenticateRequest(request(bound, await proof(bound))))).toMatchObject({ status: 503, code: 'temporarily_unavailable' });
    });
  });

  it('refuses, when built, proof algorithms none or HS*, and an unusable publicUrl', () => {
    expect(() => new ResourceServer({ ...live.options, dpop: { algorithms: ['ES256', 'HS256'] } })).toThrow(/may not be accepted/);
    expect(() => new ResourceServer({ ...live.options, dpop: { algorithms: ['none'] } })).toThrow(/may not be accepted/);
    expect(() => new ResourceServer({ ...live.options, publicUrl: 'orders.example' })).toThrow(/publicUrl/);
  });

  describe('over HTTP: the URL a proof must name', () => {
    let fastify: FastifyInstance;
    let fastifyBase: string;
    let http: Server;
    let httpBase: string;

    beforeAll(async () => {
      fastify = Fastify();
      await fastify.register(tesseraPlugin, { server: new ResourceServer(live.options), scopes: ['read'] });
      fastify.get('/orders', async (req) => ({ boundKey: req.principal?.boundKey }));
      fastifyBase = await fastify.listen({ host: '127.0.0.1', port: 0 });
      // Behind a proxy at https://api.example.com/shop that strips /shop; another one trusts X-Forwarded-*.
      const behind = tesseraMiddleware(new ResourceServer({ ...live.options, publicUrl: 'https://api.example.com/shop/' }), { scopes: ['read'] });
      const forwarded = tesseraMiddleware(new ResourceServer({ ...live.options, trustProxy: true }), { scopes: ['read'] });
      http = createServer((req: RequestWithPrincipal, res) => {
        const guard = req.url?.startsWith('/forwarded') ? forwarded : behind;
        guard(req, res, () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ boundKey: req.principal?.boundKey })));
      });
      await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
      httpBase = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      await fastify.close();
      await new Promise((resolve) => http.close(resolve));
    });

    const get = async (url: string, dpop: string | string[] | undefined, headers: Record<string, string> = {}) =>
      rawRequest(url, 'GET', { authorization: `DPoP ${bound}`, ...(dpop === undefined ? {} : { dpop }), ...headers });

    it('Fastify: the request\'s own scheme and Host by default', async () => {
      const ok = await get(`${fastifyBase}/orders?x=1`, await proof(bound, { htu: `${fastifyBase}/orders` }));
      expect(ok).toMatchObject({ status: 200, body: { boundKey: key.jkt } });
      const wrong = await get(`${fastifyBase}/orders`, await proof(bound, { htu: `${fastifyBase}/invoices` }));
      expect(wrong).toMatchObject({ status: 401, body: { error: 'invalid_dpop_proof' } });
      expect(wrong.headers.get('www-authenticate')).toMatch(/^DPoP realm="orders", error="invalid_dpop_proof", .*algs="ES256 /);
      const bearer = await rawRequest(`${fastifyBase}/orders`, 'GET', { authorization: `Bearer ${bound}` });
      expect(bearer.status).toBe(401);
      expect(bearer.headers.get('www-authenticate')).toMatch(/^DPoP realm="orders", error="invalid_token"/);
    });

    it('Express-style: publicUrl fixes the URL, whatever Host and X-Forwarded-* say', async () => {
      const publicProof = await proof(bound, { htu: 'https://api.example.com/shop/orders' });
      expect(await get(`${httpBase}/orders`, publicProof, { 'x-forwarded-host': 'evil.example' })).toMatchObject({ status: 200, body: { boundKey: key.jkt } });
      const internal = await get(`${httpBase}/orders`, await proof(bound, { htu: `${httpBase}/orders` }));
      expect(internal).toMatchObject({ status: 401, body: { error: 'invalid_dpop_proof' } });
      // Two DPoP header lines, which Node joins into one value.
      const twice = await get(`${httpBase}/orders`, [await proof(bound, { htu: 'https://api.example.com/shop/orders' }), publicProof]);
      expect(twice).toMatchObject({ status: 401, body: { error: 'invalid_dpop_proof', error_description: expect.stringMatching(/at most one/) } });
    });

    it('Express-style with trustProxy: X-Forwarded-Proto and X-Forwarded-Host name the URL', async () => {
      const headers = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'api.example.com, proxy.internal' };
      const ok = await get(`${httpBase}/forwarded/orders`, await proof(bound, { htu: 'https://api.example.com/forwarded/orders' }), headers);
      expect(ok).toMatchObject({ status: 200, body: { boundKey: key.jkt } });
      const untrusted = await get(`${httpBase}/forwarded/orders`, await proof(bound, { htu: `${httpBase}/forwarded/orders` }), headers);
      expect(untrusted).toMatchObject({ status: 401, body: { error: 'invalid_dpop_proof' } });
    });
  });
});
