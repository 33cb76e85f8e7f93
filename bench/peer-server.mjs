// The peer: node-oidc-provider (a devDependency), configured as the issue asks, in memory or
// (PEER_REDIS_URL set) on Redis with bench/peer-redis-adapter.mjs, every key under
// PEER_REDIS_PREFIX. Started by bench/peer.mjs as `node bench/peer-server.mjs`; prints
// "listening on <url>".
//
// - Its in-memory adapter is the provider's own MemoryAdapter, but over an LRU whose cap is
//   raised from the default 1,000 entries: past the cap the oldest half is dropped, and with
//   it the tokens a revocation should find, so revocation would silently stop working.
// - client_credentials gets ES256 JWT access tokens through resource indicators
//   (defaultResource → RESOURCE_JWT); RESOURCE_OPAQUE asks for opaque ones, which it can
//   introspect (it cannot introspect JWTs). Refresh uses the granted resource, so a login for
//   RESOURCE_JWT refreshes into ES256 JWTs, as Tessera's refreshes do.
// - Refresh tokens rotate (rotateRefreshToken: true); logins go through devInteractions.
// - Its authorization codes are minted through its own /auth by a browser with a session,
//   each with a grant of its own (loadExistingGrant copies the session's).
// - DPoP with server nonces; bench-app is confidential, so its refresh tokens stay unbound
//   (a proof binds each new access token), as Tessera's chains minted without DPoP do.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import Redis from 'ioredis';
import Provider from 'oidc-provider';
// Deep imports of the provider's own adapter and LRU: the package has no exports map, and
// these are what its documented default adapter is made of.
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js';
import LRU from 'oidc-provider/lib/helpers/lru.js';
import { redisAdapter } from './peer-redis-adapter.mjs';

export const RESOURCE_JWT = 'urn:tessera-bench:api';
export const RESOURCE_OPAQUE = 'urn:tessera-bench:opaque';
const TTL = Number(process.env.PEER_TOKEN_TTL ?? 3600);
const STORE_ENTRIES = Number(process.env.PEER_STORE_ENTRIES ?? 4_000_000);

const port = Number(process.env.PORT ?? 0);
const appSecret = process.env.PEER_APP_SECRET;
const rsSecret = process.env.PEER_RS_SECRET;
const redirectUri = process.env.PEER_REDIRECT_URI ?? 'http://127.0.0.1/callback';
const redisUrl = process.env.PEER_REDIS_URL;
if (!appSecret || !rsSecret) throw new Error('PEER_APP_SECRET and PEER_RS_SECRET are required');
if (redisUrl && !process.env.PEER_REDIS_PREFIX) throw new Error('PEER_REDIS_URL needs PEER_REDIS_PREFIX');

function storage() {
  if (redisUrl) return redisAdapter(new Redis(redisUrl, { keyPrefix: process.env.PEER_REDIS_PREFIX }));
  const store = new LRU({ maxSize: STORE_ENTRIES });
  return (model) => new MemoryAdapter(model, store);
}
const signingKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });

const resourceServers = {
  [RESOURCE_JWT]: { scope: 'read write', audience: RESOURCE_JWT, accessTokenTTL: TTL, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256' } } },
  [RESOURCE_OPAQUE]: { scope: 'read write', audience: RESOURCE_OPAQUE, accessTokenTTL: TTL, accessTokenFormat: 'opaque' },
};

const server = createServer();
server.listen({ host: '127.0.0.1', port }, () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    adapter: storage(),
    clients: [
      {
        client_id: 'bench-app',
        client_secret: appSecret,
        grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
        response_types: ['code'],
        redirect_uris: [redirectUri],
        scope: 'openid offline_access read write',
        id_token_signed_response_alg: 'ES256',
        token_endpoint_auth_method: 'client_secret_basic',
      },
      {
        client_id: 'bench-rs',
        client_secret: rsSecret,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        scope: 'read',
        id_token_signed_response_alg: 'ES256',
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    jwks: { keys: [{ ...signingKey, alg: 'ES256', use: 'sig', kid: 'bench-es256' }] },
    cookies: { keys: [appSecret] },
    scopes: ['openid', 'offline_access', 'read', 'write'],
    rotateRefreshToken: true,
    // A code exchange of a client registered for refresh_token issues one, as Tessera's does;
    // the default asks for offline_access too, which the peer keeps only with prompt=consent.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    // And its tokens stand on their grant, as offline_access ones do (the default ties tokens
    // without offline_access to the browser session's current grant, which the copies below
    // replace at each request): one Session read less per redemption, none at revocation.
    expiresWithSession: async () => false,
    // A browser that already holds a grant gets a copy of it at each authorization request:
    // each code minted for scenarios 11 and 16 starts a grant of its own, as each of
    // Tessera's codes starts a session of its own, so revoking one refresh token ends one
    // grant, not every token of the pool. A grant consented to just now is used as it is.
    loadExistingGrant: async (ctx) => {
      const { Grant } = ctx.oidc.provider;
      const consented = ctx.oidc.result?.consent?.grantId;
      if (consented) return Grant.find(consented);
      const held = ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      const grant = held && (await Grant.find(held));
      if (!grant) return undefined;
      const { accountId, clientId, openid, resources } = grant;
      const copy = new Grant({ accountId, clientId, openid, resources });
      await copy.save();
      return copy;
    },
    features: {
      devInteractions: { enabled: true },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      // RFC 9449 with server nonces on every token request, as Tessera does by default.
      dPoP: { enabled: true, nonceSecret: randomBytes(32), requireNonce: () => true },
      resourceIndicators: {
        enabled: true,
        defaultResource: (ctx, _client, oneOf) =>
          oneOf ?? (ctx.oidc.params?.grant_type === 'client_credentials' ? RESOURCE_JWT : undefined),
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, indicator) => {
          const info = resourceServers[indicator];
          if (!info) throw new Provider.errors.InvalidTarget();
          return info;
        },
      },
    },
    ttl: {
      AccessToken: TTL,
      ClientCredentials: TTL,
      AuthorizationCode: 600,
      IdToken: TTL,
      Interaction: 3600,
      Session: 86_400,
      Grant: 14 * 86_400,
      RefreshToken: 14 * 86_400,
    },
  });
  // A quiet peer: its development warnings once on stderr, no per-request logging.
  provider.on('server_error', (_ctx, error) => process.stderr.write(`peer server_error: ${error.message}\n`));
  server.on('request', provider.callback());
  process.stdout.write(`listening on ${issuer}\n`);
});

const stop = () => server.close(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
