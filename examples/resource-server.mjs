// A resource server in front of Tessera: the code of the README's resource-server guide.
// Run it with `node examples/resource-server.mjs` (settings below); `jose` is its one dependency.
// For an API built with NestJS, Fastify or Express, use the package instead:
// packages/resource-server (`@tessera/resource-server`), and the NestJS API using it in
// examples/nestjs-resource-server (`npm run example:nestjs`).
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';
import { createRemoteJWKSet, jwtVerify } from 'jose';

/**
 * @typedef {object} TesseraOptions
 * @property {string} issuer        Tessera's ISSUER, exactly (the `iss` of its tokens)
 * @property {string} audience      this API's identifier: Tessera's ACCESS_TOKEN_AUDIENCE or the client's --audience
 * @property {string} [jwksUri]     default: `${issuer}/oauth/jwks` (or read jwks_uri from /.well-known/oauth-authorization-server)
 * @property {string} [introspectionEndpoint] default: `${issuer}/oauth/introspect`
 * @property {string} [clientId]    this API's own client, created with `tessera clients create … --introspect`
 * @property {string} [clientSecret]
 * @property {string[]} [algorithms] the SIGNING_ALG values you accept; never leave this open
 */

/** Both ways to check a Tessera access token. */
export function tesseraTokens(/** @type {TesseraOptions} */ options) {
  const { issuer, audience, clientId, clientSecret } = options;
  const algorithms = options.algorithms ?? ['ES256', 'EdDSA', 'RS256'];
  // Fetches the JWKS once, caches it, and refetches (rate-limited) on an unknown kid: a key
  // rotation needs nothing from you.
  const jwks = createRemoteJWKSet(new URL(options.jwksUri ?? `${issuer}/oauth/jwks`));
  const introspectionEndpoint = options.introspectionEndpoint ?? `${issuer}/oauth/introspect`;

  return {
    /**
     * Offline (RFC 9068 §4): signature against Tessera's published keys, typ at+jwt, iss,
     * aud and exp. No call to Tessera, but a revoked token passes until its exp
     * (at most ACCESS_TOKEN_TTL). Throws when the token is not valid.
     */
    async verify(token) {
      const { payload } = await jwtVerify(token, jwks, {
        issuer,
        audience,
        typ: 'at+jwt',
        algorithms,
        requiredClaims: ['exp', 'iat', 'sub', 'jti', 'client_id'],
      });
      return payload;
    },

    /**
     * Online (RFC 7662): Tessera says whether the token is active right now, so a
     * revocation or a disabled user counts at once. Resolves to the token's claims, or
     * undefined when it is not active (or not meant for this API).
     */
    async introspect(token) {
      const response = await fetch(introspectionEndpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
          authorization: basic(clientId, clientSecret),
        },
        body: new URLSearchParams({ token, token_type_hint: 'access_token' }),
      });
      // 503 temporarily_unavailable: Tessera cannot vouch for the token right now. Do not
      // fall back to "valid": fail the request, or retry after Retry-After.
      if (!response.ok) throw new Error(`introspection failed: ${response.status}`);
      const claims = await response.json();
      if (claims.active !== true || claims.token_type !== 'Bearer') return undefined;
      if (![claims.aud].flat().includes(audience)) return undefined;
      return claims;
    },
  };
}

/** RFC 6750 §2.1: `Authorization: Bearer <token>`, or undefined. */
export function bearerToken(request) {
  const match = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/.exec(request.headers.authorization ?? '');
  return match ? match[1] : undefined;
}

/**
 * A small API: GET /profile trusts the offline check; POST /transfer, where a revoked
 * token must stop working at once, asks Tessera every time.
 */
export function createResourceServer(/** @type {TesseraOptions} */ options) {
  const tokens = tesseraTokens(options);
  return createServer(async (request, response) => {
    const token = bearerToken(request);
    const send = (status, body, headers = {}) => {
      response.writeHead(status, { 'content-type': 'application/json', ...headers });
      response.end(JSON.stringify(body));
    };
    // RFC 6750 §3.1: a missing or bad token is 401 with WWW-Authenticate: Bearer.
    const unauthorized = () => send(401, { error: 'invalid_token' }, { 'www-authenticate': 'Bearer error="invalid_token"' });
    if (!token) return unauthorized();
    try {
      if (request.method === 'GET' && request.url === '/profile') {
        const claims = await tokens.verify(token).catch(() => undefined);
        return claims ? send(200, { sub: claims.sub, scope: claims.scope }) : unauthorized();
      }
      if (request.method === 'POST' && request.url === '/transfer') {
        const claims = await tokens.introspect(token);
        if (!claims) return unauthorized();
        if (!claims.scope.split(' ').includes('write')) return send(403, { error: 'insufficient_scope' });
        return send(200, { ok: true, by: claims.username ?? claims.sub });
      }
      return send(404, { error: 'not_found' });
    } catch {
      return send(503, { error: 'temporarily_unavailable' }, { 'retry-after': '1' });
    }
  });
}

function basic(id, secret) {
  // RFC 6749 §2.3.1: form-encode each part before joining them.
  const encode = (value) => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(id)}:${encode(secret)}`).toString('base64')}`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const server = createResourceServer({
    issuer: process.env.TESSERA_ISSUER ?? 'http://localhost:3000',
    audience: process.env.API_AUDIENCE ?? process.env.TESSERA_ISSUER ?? 'http://localhost:3000',
    clientId: process.env.API_CLIENT_ID,
    clientSecret: process.env.API_CLIENT_SECRET,
  });
  const port = Number(process.env.PORT ?? 4000);
  server.listen(port, '127.0.0.1', () => process.stdout.write(`resource server on http://127.0.0.1:${port}\n`));
}
