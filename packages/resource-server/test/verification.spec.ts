import { createPublicKey, generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';
import { createClient, login } from '../../../test/factories/index.js';
import { dpopKey, dpopProof, dpopToken } from '../../../test/factories/dpop.js';
import { revoke } from '../../../test/factories/resource-server.js';
import { bearerResponse } from '../src/errors.js';
import type { ResourceServerOptions } from '../src/options.js';
import { ResourceServer } from '../src/resource-server.js';
import { RevocationView } from '../src/revocation-view.js';
import { AUDIENCE, es256, hs256, jwtClaims, jwtHeader, type LiveTessera, serverSigningKey, startLiveTessera, unsigned } from './live-tessera.js';

describe('@tessera/resource-server against a live Tessera', () => {
  let live: LiveTessera;
  let server: ResourceServer;
  let genuine: string;
  let header: Record<string, unknown>;
  let claims: Record<string, unknown>;
  let serverKey: KeyObject;

  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => 'accepted',
      (error: { status: number; code?: string }) => ({ status: error.status, code: error.code }),
    );
  const invalidToken = { status: 401, code: 'invalid_token' };

  beforeAll(async () => {
    live = await startLiveTessera();
    server = new ResourceServer(live.options);
    genuine = await live.token('read');
    header = jwtHeader(genuine);
    claims = jwtClaims(genuine);
    serverKey = await serverSigningKey(live.t, header.kid as string);
  });
  afterAll(() => live.t.close());

  it('refuses a DPoP-bound token presented as Bearer (RFC 9449 §7.2), offline and by introspection', async () => {
    const key = await dpopKey();
    const params = { grant_type: 'client_credentials', scope: 'read' };
    const jwt = await dpopToken(live.t, live.app, params, await dpopProof(live.t, key));
    expect(jwt.body.token_type).toBe('DPoP');
    expect(await refusal(server.authenticate(`Bearer ${String(jwt.body.access_token)}`))).toEqual(invalidToken);
    const opaqueApp = await createClient(live.t, { audience: AUDIENCE, scopes: ['read'], accessTokenFormat: 'opaque' });
    const opaque = await dpopToken(live.t, opaqueApp, params, await dpopProof(live.t, key));
    expect(opaque.body.token_type).toBe('DPoP');
    expect(await refusal(server.authenticate(`Bearer ${String(opaque.body.access_token)}`))).toEqual(invalidToken);
  });

  it('accepts a valid token offline and says whom it speaks for', async () => {
    const principal = await server.authenticate(`Bearer ${genuine}`, ['read']);
    expect(principal).toMatchObject({
      subject: live.user.user.id,
      clientId: live.app.id,
      scopes: ['read'],
      sessionId: claims.sid,
      tokenId: claims.jti,
      verifiedBy: 'jwt',
    });
    // The control case of the forgeries below: the server's key and header sign a token it accepts.
    expect(await refusal(server.verify(es256(serverKey, header, claims)))).toBe('accepted');
  });

  it('refuses an expired token, and one from the future, beyond the clock skew', async () => {
    live.t.clock.advance(301 + 5);
    expect(await refusal(server.verify(genuine))).toEqual(invalidToken);
    live.t.clock.advance(-306);
    expect(await refusal(server.verify(es256(serverKey, header, { ...claims, iat: (claims.iat as number) + 60 })))).toEqual(invalidToken);
  });

  it('refuses a token for another issuer or another audience', async () => {
    const elsewhere = new ResourceServer({ ...live.options, issuer: 'https://elsewhere.example' });
    expect(await refusal(elsewhere.verify(genuine))).toEqual(invalidToken);
    const otherApp = await createClient(live.t);
    const foreign = (await login(live.t, otherApp, live.user)).access_token;
    expect(await refusal(server.verify(foreign))).toEqual(invalidToken);
  });

  it('refuses a JWT that is not an access token (typ JWT, as an ID token), signed by the right key', async () => {
    expect(await refusal(server.verify(es256(serverKey, { ...header, typ: 'JWT' }, claims)))).toEqual(invalidToken);
    const { typ: _typ, ...untyped } = header;
    expect(await refusal(server.verify(es256(serverKey, untyped, claims)))).toEqual(invalidToken);
  });

  it('refuses a token without a required RFC 9068 claim', async () => {
    const { client_id: _client, ...noClient } = claims;
    expect(await refusal(server.verify(es256(serverKey, header, noClient)))).toEqual(invalidToken);
  });

  it('refuses alg none, HS256 keyed with the public key, and a key it does not publish', async () => {
    expect(await refusal(server.verify(unsigned({ ...header, alg: 'none' }, claims)))).toEqual(invalidToken);
    const jwks = (await (await fetch(`${live.t.url}/oauth/jwks`)).json()) as { keys: Array<JsonWebKey & { kid: string }> };
    const published = jwks.keys.find((key) => key.kid === header.kid)!;
    const pem = createPublicKey({ key: published, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
    for (const secret of [pem, JSON.stringify(published)]) {
      expect(await refusal(server.verify(hs256(secret, { ...header, alg: 'HS256' }, claims)))).toEqual(invalidToken);
    }
    const attacker = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    expect(await refusal(server.verify(es256(attacker, header, claims)))).toEqual(invalidToken);
    expect(await refusal(server.verify(es256(attacker, { ...header, kid: 'unknown' }, claims)))).toEqual(invalidToken);
  });

  it('fails with 503, not 401, when the JWKS cannot be had', async () => {
    const unavailable = { status: 503, code: 'temporarily_unavailable' };
    expect(await refusal(new ResourceServer({ ...live.options, jwksUri: `${live.t.url}/no-such-jwks` }).verify(genuine))).toEqual(unavailable);
    expect(await refusal(new ResourceServer({ ...live.options, jwksUri: 'http://127.0.0.1:9/oauth/jwks' }).verify(genuine))).toEqual(unavailable);
  });

  it('answers 403 insufficient_scope naming the scope a route needs', async () => {
    const error = await server.authenticate(`Bearer ${genuine}`, ['write']).catch((reason: unknown) => reason);
    const answer = bearerResponse(error as never, server.realm);
    expect(answer.status).toBe(403);
    expect(answer.headers['www-authenticate']).toBe(
      'Bearer realm="orders", error="insufficient_scope", error_description="the token lacks a scope this resource needs", scope="write"',
    );
  });

  it('answers 401 without an error code when no token is sent, and 400 for a malformed header', async () => {
    expect(await refusal(server.authenticate(undefined))).toEqual({ status: 401, code: undefined });
    expect(await refusal(server.authenticate('Bearer two words'))).toEqual({ status: 400, code: 'invalid_request' });
  });

  describe('opaque tokens', () => {
    let opaqueApp: Awaited<ReturnType<typeof createClient>>;
    const calls: string[] = [];
    let counted: ResourceServer;

    beforeAll(async () => {
      opaqueApp = await createClient(live.t, { audience: AUDIENCE, scopes: ['read'], accessTokenFormat: 'opaque' });
      const countingFetch: typeof fetch = (input, init) => {
        calls.push(input instanceof Request ? input.url : input.toString());
        return fetch(input, init);
      };
      counted = new ResourceServer({ ...live.options, fetch: countingFetch });
    });

    it('introspects an opaque token, once while the answer is cached', async () => {
      const opaque = (await login(live.t, opaqueApp, live.user, 'read')).access_token;
      expect(opaque).not.toContain('.');
      const principal = await counted.authenticate(`Bearer ${opaque}`, ['read']);
      expect(principal).toMatchObject({ subject: live.user.user.id, clientId: opaqueApp.id, scopes: ['read'], verifiedBy: 'introspection' });
      await counted.authenticate(`Bearer ${opaque}`);
      expect(calls).toHaveLength(1);
    });

    it('refuses an opaque token revoked at Tessera', async () => {
      const opaque = (await login(live.t, opaqueApp, live.user, 'read')).access_token;
      expect((await revoke(live.t, opaqueApp, opaque)).status).toBe(200);
      expect(await refusal(server.verify(opaque))).toEqual(invalidToken);
    });

    it('refuses an opaque token without introspection settings, and fails with 503 when introspection cannot answer', async () => {
      const opaque = (await login(live.t, opaqueApp, live.user, 'read')).access_token;
      expect(await refusal(new ResourceServer({ ...live.options, introspection: undefined }).verify(opaque))).toEqual(invalidToken);
      const away: ResourceServerOptions = { ...live.options, introspection: { ...live.options.introspection!, endpoint: `${live.t.url}/nowhere` } };
      expect(await refusal(new ResourceServer(away).verify(opaque))).toEqual({ status: 503, code: 'temporarily_unavailable' });
    });
  });

  describe('a revocation view', () => {
    let view: RevocationView;
    beforeEach(() => {
      view = new RevocationView({ now: () => live.t.clock.now() });
      view.markFresh();
    });

    it('refuses a token of a revoked session, user or jti, and only those issued before', async () => {
      const guarded = new ResourceServer({ ...live.options, revocations: view });
      const token = await live.token();
      const facts = jwtClaims(token);
      expect(await refusal(guarded.verify(token))).toBe('accepted');
      view.revoke({ kind: 'sid', value: facts.sid as string, at: live.t.clock.now() / 1000 });
      expect(await refusal(guarded.verify(token))).toEqual(invalidToken);
      view.revoke({ kind: 'sub', value: live.user.user.id, at: live.t.clock.now() / 1000 });
      live.t.clock.advance(1);
      expect(await refusal(guarded.verify(await live.token()))).toBe('accepted');
      const another = await live.token();
      view.revoke({ kind: 'jti', value: jwtClaims(another).jti as string, at: live.t.clock.now() / 1000 });
      expect(await refusal(guarded.verify(another))).toEqual(invalidToken);
    });

    it('fails closed with 503 once the view is older than maxStaleness', async () => {
      const guarded = new ResourceServer({ ...live.options, revocations: view, maxStaleness: 10 });
      const token = await live.token();
      live.t.clock.advance(11);
      expect(await refusal(guarded.verify(token))).toEqual({ status: 503, code: 'temporarily_unavailable' });
      view.markFresh();
      expect(await refusal(guarded.verify(token))).toBe('accepted');
    });

    it("asks introspection instead, with onStale: 'introspect', and so sees a revocation at Tessera", async () => {
      const guarded = new ResourceServer({ ...live.options, revocations: view, maxStaleness: 10, onStale: 'introspect' });
      const kept = await live.token();
      const revoked = await live.token();
      expect((await revoke(live.t, live.app, revoked)).status).toBe(200);
      live.t.clock.advance(11);
      expect(await guarded.verify(kept)).toMatchObject({ verifiedBy: 'introspection', subject: live.user.user.id });
      expect(await refusal(guarded.verify(revoked))).toEqual(invalidToken);
    });
  });
});
