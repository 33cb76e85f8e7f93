// The scenarios of the benchmark, and the token pools they draw from. Each scenario turns a
// target (Tessera or the peer) into a load spec, or says why the target cannot run it.
import { redeeming } from './codes.mjs';
import { dpopFixed, dpopSigner, learnNonce } from './dpop.mjs';
import { collect, cycling, fixed } from './load.mjs';

const form = (params) => new URLSearchParams(params).toString();

/**
 * @typedef {object} Pools  live tokens minted before the scenarios run
 * @property {string[]} chains       refresh tokens of unused sessions: each connection of the refresh scenario takes one
 * @property {string[]} userTokens   live access tokens of logged-in users (Tessera: JWT; peer: opaque)
 * @property {string[]} refreshTokens live refresh tokens, the current ones of their sessions
 * @property {string[]} distinct     live access tokens, each presented once per pass (Tessera: JWT; peer: opaque)
 * @property {number} distinctCount  the size of the opaque-token pool, minted when its scenario first runs
 * @property {{ tokens: string[], owner: string }} [opaque]  live opaque access tokens for introspection, and their client's Basic header
 * @property {{ tokens: string[], owner: string }} [opaqueWorkingSet]  as many live opaque access tokens as userTokens, presented again and again
 * @property {number} revocableCount live access tokens minted right before each revocation run, one per request
 * @property {number} codeCount      authorization codes to mint right before each code-redemption run, at most
 * @property {number} codeMintSeconds how long that minting may take, at most (the codes must outlive the run)
 */

/**
 * Mints the pools of one target. `sizes`: chains (two per connection of every refresh run:
 * its warm-up and its measurement), userTokens, distinct; revocable and codes are counts,
 * minted before each run that consumes them.
 */
export async function preparePools(target, sizes, log) {
  log(`${target.name}: ${sizes.chains} sessions for refresh chains`);
  const chains = (await target.sessions(sizes.chains, { jwt: true })).map((session) => session.refresh);
  // A resource server's working set: the access tokens of a few dozen sessions, each
  // refreshed many times (tokens of one session share its sid).
  const userSessions = Math.min(32, sizes.userTokens);
  log(`${target.name}: ${sizes.userTokens} user access tokens from ${userSessions} sessions`);
  const seeds = await target.sessions(userSessions, { jwt: false });
  const refreshTokens = seeds.map((s) => s.refresh);
  const rounds = Math.ceil(sizes.userTokens / userSessions) - 1;
  const refreshed = rounds > 0 ? await refreshChains(target, refreshTokens, rounds) : [];
  const userTokens = [...seeds.map((s) => s.access), ...refreshed].slice(0, sizes.userTokens);
  log(`${target.name}: ${sizes.distinct} distinct access tokens for introspection`);
  const distinct = await target.distinctAccessTokens(sizes.distinct);
  // Tokens to revoke are minted right before each run (a run revokes them: the next one
  // would revoke revoked tokens); nothing minted here that only a later scenario reads
  // weighs on a server's memory in the scenarios before it.
  return { chains, userTokens, refreshTokens, distinct, distinctCount: sizes.distinct, revocableCount: sizes.revocable, codeCount: sizes.codes, codeMintSeconds: sizes.codeMintSeconds };
}

/** Revocations of `tokens` by the client whose Basic header is `owner`, one per request. */
function revocation(target, tokens, owner, hint = 'access_token') {
  const factory = cycling(tokens, (token) => form({ token, token_type_hint: hint }));
  return {
    spec: { url: target.url, path: target.paths.revoke, headers: { authorization: owner }, connection: factory },
    // Past the end of the pool the tokens are already revoked: fewer fresh revocations.
    extra: () => ({ poolWraps: factory.state.wrapped }),
  };
}

/**
 * The refresh tokens of `count` distinct new sessions (grants, at the peer), and the client
 * whose Basic header revokes them: codes minted through the target's authorization endpoint
 * by a browser with a session and nothing left to consent to, then redeemed; in batches of
 * at most `batch` codes minted within `withinMs`, so that each batch is redeemed while its
 * codes live. A session per token, so every revocation ends a session of its own.
 */
async function liveSessions(target, count, { batch, withinMs }) {
  const minter = await target.codeMinter();
  const tokens = [];
  while (tokens.length < count) {
    const codes = await minter.mint(Math.min(batch, count - tokens.length), withinMs);
    const redeemed = await collect(
      { url: target.url, path: target.paths.token, headers: minter.headers, connection: redeeming(codes, minter.body) },
      { connections: 32, amount: codes.length, pick: (body) => body.refresh_token },
    );
    tokens.push(...redeemed);
  }
  return { tokens, owner: minter.headers.authorization };
}

/**
 * Refreshes each chain `rounds` times, one connection per chain, and keeps `chains` current
 * (every response arrives: the run is counted, not timed); the access tokens issued.
 */
function refreshChains(target, chains, rounds) {
  const connection = (index) => ({
    next: () => ({ body: target.refreshBody(chains[index]) }),
    response(status, body) {
      if (status === 200) chains[index] = JSON.parse(body).refresh_token;
    },
  });
  return collect(
    { url: target.url, path: target.paths.token, headers: { authorization: target.auth.app }, connection },
    { connections: chains.length, amount: chains.length * rounds, pick: (body) => body.access_token },
  );
}

/**
 * Each connection takes a session of its own from `chains` and rotates it: it presents the
 * current refresh token and keeps the successor. A timed run drops the responses still in
 * flight when it stops, which leaves those chains unusable (the peer treats the next
 * presentation as reuse), so no chain is ever handed to a second connection.
 */
function chainConnection(target, chains, failures, dpop) {
  return () => {
    let current = chains.pop();
    if (current === undefined) throw new Error(`${target.name}: no unused refresh chain left (pools.chains too small)`);
    const signer = dpop && dpopSigner(target.tokenHtu, dpop.nonce);
    return {
      next: () => ({ body: target.refreshBody(current), ...(signer ? { headers: { dpop: signer.proof() } } : {}) }),
      response(status, body, headers) {
        signer?.learn(headers);
        if (status === 200) current = JSON.parse(body).refresh_token;
        else failures.count++;
      },
    };
  };
}

function introspection(target, pool, hint) {
  const factory = cycling(pool, (token) => form({ token, token_type_hint: hint }));
  return { spec: { url: target.url, path: target.paths.introspect, headers: { authorization: target.auth.rs }, connection: factory }, factory };
}

/**
 * @typedef {object} Prepared
 * @property {object} [spec]       the load
 * @property {{ spec: object, connections: number }} [alongside]  a second load during the measurement
 * @property {() => Record<string, unknown>} [extra]  figures to report after the run
 * @property {string} [na]         why the target cannot run this scenario
 */

/**
 * `storage`: the peer's storage is on this scenario's path, so the peer on Redis runs it
 * too (its `describe.peerRedis` says what it stores or reads there).
 * @type {Array<{ id: string, title: string, describe: Record<string, string>, storage?: true, prepare(target: any, pools: Pools): Prepared | Promise<Prepared> }>} */
export const SCENARIOS = [
  {
    id: 'login',
    title: '1. password login',
    describe: {
      tessera: 'password grant, argon2id (m=19 MiB, t=2): starts a family, issues a JWT and a refresh token',
      peer: 'n/a: oidc-provider has no password grant (RFC 9700 §2.4); its logins are interactive pages',
    },
    prepare(target) {
      const logins = target.loginBodies();
      if (!logins) return { na: 'no password grant' };
      return { spec: { url: target.url, path: target.paths.token, headers: { authorization: target.auth.app }, connection: logins } };
    },
  },
  {
    id: 'refresh',
    title: '2. refresh with rotation',
    describe: {
      tessera: 'each connection rotates its own chain; response: ES256 JWT + rotated refresh token',
      peer: 'each connection rotates its own chain (rotateRefreshToken); response: ES256 JWT (granted resource) + rotated refresh token',
      peerRedis: 'the same on Redis: reads the refresh token, its grant and session, consumes it, stores the successor',
    },
    storage: true,
    prepare(target, pools) {
      const failures = { count: 0 };
      return {
        spec: { url: target.url, path: target.paths.token, headers: { authorization: target.auth.app }, connection: chainConnection(target, pools.chains, failures) },
        extra: () => ({ failedRefreshes: failures.count }),
      };
    },
  },
  {
    id: 'client_credentials',
    title: '3. client_credentials',
    describe: {
      tessera: 'ES256 JWT access token',
      peer: 'ES256 JWT access token (resource indicator via defaultResource)',
      peerRedis: 'the same on Redis, where nothing is read or stored (a JWT is not stored): a control',
    },
    storage: true,
    prepare(target) {
      return { spec: { url: target.url, path: target.paths.token, headers: { authorization: target.auth.app }, connection: fixed(target.clientCredentialsBody()) } };
    },
  },
  {
    id: 'introspect_repeat',
    title: '4. introspect a live access token (repeats)',
    describe: {
      tessera: 'a working set of live user JWTs, each presented again and again, as a resource server does',
      peer: 'the same with opaque user access tokens: oidc-provider cannot introspect JWTs',
      peerRedis: 'the same on Redis: reads the token and its grant',
    },
    storage: true,
    prepare(target, pools) {
      return { spec: introspection(target, pools.userTokens, 'access_token').spec };
    },
  },
  {
    id: 'introspect_distinct',
    title: '5. introspect distinct tokens',
    describe: {
      tessera: 'client_credentials JWTs in a pool 3x the verified-token cache, each seen once per pass: every request verifies a signature',
      peer: 'opaque client_credentials tokens, same pool size',
      peerRedis: 'the same on Redis: reads the token',
    },
    storage: true,
    prepare(target, pools) {
      const { spec, factory } = introspection(target, pools.distinct, 'access_token');
      return { spec, extra: () => ({ poolWraps: factory.state.wrapped }) };
    },
  },
  {
    id: 'introspect_refresh',
    title: '6. introspect a refresh token',
    describe: {
      tessera: 'the current refresh tokens of 32 sessions, in turn (keyed hash, then one database read)',
      peer: 'the current refresh tokens of 32 sessions, in turn',
      peerRedis: 'the same on Redis: reads the token and its grant',
    },
    storage: true,
    prepare(target, pools) {
      return { spec: introspection(target, pools.refreshTokens, 'refresh_token').spec };
    },
  },
  {
    id: 'revoke',
    title: '7. revocation',
    describe: {
      tessera: 'a distinct live access token (JWT) per request, revoked by jti: a durable write',
      peer: 'a distinct live opaque access token per request, deleted from memory',
      peerRedis: 'the same, read then deleted from Redis',
    },
    storage: true,
    async prepare(target, pools) {
      return revocation(target, await target.distinctAccessTokens(pools.revocableCount), target.auth.app);
    },
  },
  {
    id: 'dpop_client_credentials',
    title: '8. DPoP client_credentials',
    describe: {
      tessera: 'scenario 3 with a fresh ES256 DPoP proof per request (a key per connection, server nonce): a JWT with cnf.jkt',
      peer: 'the same: dPoP with nonceSecret and requireNonce',
    },
    async prepare(target) {
      const nonce = await learnNonce(target);
      return { spec: { url: target.url, path: target.paths.token, headers: { authorization: target.auth.app }, connection: dpopFixed(target, nonce, target.clientCredentialsBody()) } };
    },
  },
  {
    id: 'dpop_refresh',
    title: '9. DPoP refresh with rotation',
    describe: {
      tessera: 'scenario 2 with a DPoP proof per request: the chain stays unbound, each access token is bound',
      peer: 'the same (a confidential client: the peer binds the access token only)',
      peerRedis: 'the same on Redis, where it also records each proof for replay detection',
    },
    storage: true,
    async prepare(target, pools) {
      const failures = { count: 0 };
      const dpop = { nonce: await learnNonce(target) };
      return {
        spec: { url: target.url, path: target.paths.token, headers: { authorization: target.auth.app }, connection: chainConnection(target, pools.chains, failures, dpop) },
        extra: () => ({ failedRefreshes: failures.count }),
      };
    },
  },
  {
    id: 'introspect_during_logins',
    title: '10. introspection during a login flood',
    describe: {
      tessera: 'scenario 4 while 32 more connections send password logins (argon2) without pause',
      peer: 'n/a: no password grant to flood with',
    },
    prepare(target, pools) {
      const logins = target.loginBodies();
      if (!logins) return { na: 'no password grant' };
      return {
        spec: introspection(target, pools.userTokens, 'access_token').spec,
        alongside: { connections: 32, spec: { url: target.url, path: target.paths.token, headers: { authorization: target.auth.app }, connection: logins } },
      };
    },
  },
  {
    id: 'code_redemption',
    title: '11. authorization code redemption',
    describe: {
      tessera:
        'a distinct code per request, minted through /oauth/authorize by a signed-in browser just before the run (codes live 60 s); ' +
        'PKCE S256 and Basic auth: consumes the code, starts a family, ES256 JWT + refresh token, durably',
      peer: 'the same, with codes minted through its own /auth by a browser with a session and a grant; in memory',
    },
    async prepare(target, pools) {
      const minter = await target.codeMinter();
      const codes = await minter.mint(pools.codeCount, pools.codeMintSeconds * 1000);
      const factory = redeeming(codes, minter.body);
      return {
        spec: { url: target.url, path: target.paths.token, headers: minter.headers, connection: factory },
        // Past the end of the pool a connection replays a code: those answers are not redemptions.
        extra: () => ({ codes: codes.length, poolExhausted: factory.state.exhausted }),
      };
    },
  },
  {
    id: 'login_page',
    title: '12. login page post',
    describe: {
      tessera: 'the hosted login form posted as a browser does (CSRF cookie, Origin): argon2id, a login session and a code; success is the 303 back to the client',
      peer: 'n/a: its login page is a development page that checks no password',
    },
    async prepare(target) {
      const posts = await target.loginPagePosts();
      if (!posts) return { na: 'no password check on its login page' };
      return { spec: { url: target.url, path: '/interaction/login', headers: posts.headers, connection: posts.connection, success: '3xx' } };
    },
  },
  {
    id: 'introspect_opaque',
    title: '13. introspect distinct opaque access tokens',
    describe: {
      tessera: 'opaque client_credentials tokens of a client registered for them, in a pool as large as scenario 5\'s (3x the cache of rows read): keyed hash, then one database read',
      peer: 'opaque client_credentials tokens, same pool size (its own kind: the same as scenario 5)',
      peerRedis: 'the same on Redis: reads the token',
    },
    storage: true,
    async prepare(target, pools) {
      pools.opaque ??= await target.opaqueAccessTokens(pools.distinctCount);
      const { spec, factory } = introspection(target, pools.opaque.tokens, 'access_token');
      return { spec, extra: () => ({ poolWraps: factory.state.wrapped }) };
    },
  },
  {
    id: 'revoke_opaque',
    title: '14. revocation of opaque access tokens',
    describe: {
      tessera: 'a distinct live opaque access token per request, marked revoked in its row and remembered by jti: a durable write',
      peer: 'a distinct live opaque access token per request, deleted from memory (as in scenario 7)',
      peerRedis: 'the same, read then deleted from Redis',
    },
    storage: true,
    async prepare(target, pools) {
      const { tokens, owner } = await target.opaqueAccessTokens(pools.revocableCount);
      return revocation(target, tokens, owner);
    },
  },
  {
    id: 'introspect_opaque_repeat',
    title: '15. introspect live opaque access tokens (repeats)',
    describe: {
      tessera: 'a working set of opaque client_credentials tokens as large as scenario 4\'s, each presented again and again: keyed hash, then the row read once and kept, judged from the revocation view',
      peer: 'opaque client_credentials tokens, same working set (its own kind)',
      peerRedis: 'the same on Redis: reads the token',
    },
    storage: true,
    async prepare(target, pools) {
      pools.opaqueWorkingSet ??= await target.opaqueAccessTokens(pools.userTokens.length);
      return { spec: introspection(target, pools.opaqueWorkingSet.tokens, 'access_token').spec };
    },
  },
  {
    id: 'revoke_refresh',
    title: '16. revocation of refresh tokens',
    describe: {
      tessera:
        'a distinct live session per request, ended through its refresh token (minted by code redemption just before the run): ' +
        'the family revoked with its access tokens, announced on the revocation feed, audited, durably',
      peer: 'a distinct live grant per request, ended through its refresh token: the token and its grant destroyed in memory',
      peerRedis: 'the same on Redis: the token read, then it and its grant deleted',
    },
    storage: true,
    async prepare(target, pools) {
      const { tokens, owner } = await liveSessions(target, pools.revocableCount, { batch: pools.codeCount, withinMs: pools.codeMintSeconds * 1000 });
      const { spec, extra } = revocation(target, tokens, owner, 'refresh_token');
      return { spec, extra: () => ({ sessions: tokens.length, ...extra() }) };
    },
  },
];
