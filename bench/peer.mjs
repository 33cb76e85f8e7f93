// The peer under test: node-oidc-provider (bench/peer-server.mjs), in memory or on Redis,
// driven over HTTP exactly as Tessera is. Its refresh tokens come from its own dev login and
// consent pages (authorization code + PKCE, prompt=consent, offline_access).
import { createHash, randomBytes } from 'node:crypto';
import { codeOf, mintCodes, pkcePair } from './codes.mjs';
import { basic, Browser, freePort, postForm } from './http.mjs';
import { collect } from './load.mjs';
import { Server } from './processes.mjs';

const REDIRECT_URI = 'http://127.0.0.1:9/callback';
// Kept in step with bench/peer-server.mjs.
const RESOURCE_JWT = 'urn:tessera-bench:api';
const RESOURCE_OPAQUE = 'urn:tessera-bench:opaque';

/**
 * Starts the peer (pinned unless `pinned` is false) with two clients like Tessera's: in
 * memory, or with `redis` (from openRedisPrefix) on Redis under the run's key prefix. The
 * Redis peer runs only the scenarios whose path touches the peer's storage.
 */
export async function startPeer({ pinned, redis }) {
  const app = randomBytes(32).toString('base64url');
  const rs = randomBytes(32).toString('base64url');
  const env = {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'production',
    PORT: String(await freePort()),
    PEER_APP_SECRET: app,
    PEER_RS_SECRET: rs,
    PEER_REDIRECT_URI: REDIRECT_URI,
    PEER_TOKEN_TTL: '3600',
    ...(redis ? { PEER_REDIS_URL: redis.url, PEER_REDIS_PREFIX: redis.prefix } : {}),
  };
  const server = new Server(redis ? 'oidc-provider (Redis)' : 'oidc-provider', ['bench/peer-server.mjs'], env, { pinned });
  let url;
  try {
    url = await server.listening();
  } catch (error) {
    await server.stop();
    throw error;
  }
  return new PeerTarget(server, url, { app: basic('bench-app', app), rs: basic('bench-rs', rs) }, Boolean(redis));
}

export class PeerTarget {
  paths = { token: '/token', introspect: '/token/introspection', revoke: '/token/revocation' };

  constructor(server, url, auth, onRedis) {
    this.name = onRedis ? 'peerRedis' : 'peer';
    this.storageScenariosOnly = onRedis;
    this.server = server;
    this.url = url;
    this.auth = auth;
    this.tokenHtu = `${url}/token`;
  }

  pids() {
    return this.server.tree();
  }

  /** oidc-provider has no password grant (RFC 9700 §2.4): its logins are interactive. */
  loginBodies() {
    return undefined;
  }

  /** With no resource parameter the peer's defaultResource makes it an ES256 JWT. */
  clientCredentialsBody() {
    return new URLSearchParams({ grant_type: 'client_credentials', scope: 'read' }).toString();
  }

  refreshBody(refreshToken) {
    return new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }).toString();
  }

  /**
   * `count` sessions through the dev login and consent pages. For `jwt` sessions the grant
   * is for the JWT resource, so their refreshes issue ES256 JWTs as Tessera's do; otherwise
   * the access tokens are opaque, the kind the peer can introspect.
   */
  async sessions(count, { jwt = true } = {}) {
    const results = [];
    let next = 0;
    const worker = async () => {
      while (next < count) {
        next++;
        results.push(await this.login(`user-${next % 4}`, jwt ? RESOURCE_JWT : undefined));
      }
    };
    await Promise.all(Array.from({ length: Math.min(count, 8) }, worker));
    return results;
  }

  /** `count` distinct live opaque access tokens of bench-app (client_credentials for the opaque resource). */
  distinctAccessTokens(count) {
    const body = new URLSearchParams({ grant_type: 'client_credentials', scope: 'read', resource: RESOURCE_OPAQUE }).toString();
    return collect(
      { url: this.url, path: this.paths.token, headers: { authorization: this.auth.app }, connection: () => ({ next: () => ({ body }) }) },
      { connections: 32, amount: count, pick: (json) => json.access_token },
    );
  }

  /** The peer's client_credentials tokens for the opaque resource are opaque already: the same tokens as `distinctAccessTokens`. */
  async opaqueAccessTokens(count) {
    return { tokens: await this.distinctAccessTokens(count), owner: this.auth.app };
  }

  async login(username, resource) {
    const { code, verifier } = await this.interactiveLogin(username, resource);
    const { status, body, text } = await postForm(
      `${this.url}${this.paths.token}`,
      { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier },
      { authorization: this.auth.app },
    );
    if (status !== 200 || !body.refresh_token) throw new Error(`peer code exchange: ${status} ${text}`);
    return { refresh: body.refresh_token, access: body.access_token };
  }

  /**
   * Codes of bench-app for the JWT resource, minted at /auth by a browser with a session
   * and a grant (no interaction left), and their redemption. Without offline_access, which
   * the peer keeps only with prompt=consent; its issueRefreshToken still issues a refresh
   * token, as Tessera does for a client registered for refresh_token.
   */
  async codeMinter() {
    const { browser } = await this.interactiveLogin('user-codes', RESOURCE_JWT);
    const { verifier, challenge } = pkcePair();
    const query = new URLSearchParams({
      client_id: 'bench-app',
      response_type: 'code',
      scope: 'read',
      resource: RESOURCE_JWT,
      redirect_uri: REDIRECT_URI,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state: 'bench',
    });
    return {
      mint: (count, withinMs) => mintCodes(count, async () => codeOf(await browser.request(`${this.url}/auth?${query}`), 'peer'), { withinMs }),
      headers: { authorization: this.auth.app },
      body: (code) => new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier }).toString(),
    };
  }

  /** Its login page is a development page that takes any password: nothing to compare with Tessera's. */
  async loginPagePosts() {
    return undefined;
  }

  /** A browser through the dev login and consent pages; the code it was redirected with. */
  async interactiveLogin(username, resource) {
    const browser = new Browser();
    const verifier = randomBytes(32).toString('base64url');
    const authorize = new URLSearchParams({
      client_id: 'bench-app',
      response_type: 'code',
      scope: 'offline_access read',
      prompt: 'consent',
      redirect_uri: REDIRECT_URI,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      state: randomBytes(8).toString('hex'),
      ...(resource ? { resource } : {}),
    });
    let step = await browser.follow(`/auth?${authorize}`, this.url);
    // The login page, then the consent page; each form posts back to its own URL.
    for (let page = 0; page < 3 && step.response; page++) {
      const html = await step.response.text();
      const prompt = /name="prompt" value="(\w+)"/.exec(html)?.[1];
      if (!prompt) throw new Error(`peer interaction page without a prompt (status ${step.response.status})`);
      const fields = prompt === 'login' ? { prompt, login: username, password: 'any' } : { prompt };
      const posted = await browser.request(step.url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(fields).toString(),
      });
      await posted.arrayBuffer();
      step = await browser.follow(posted.headers.get('location'), this.url);
    }
    const code = step.url.searchParams.get('code');
    if (step.response || !code) throw new Error(`peer login did not reach the redirect URI: ${step.url}`);
    return { browser, code, verifier };
  }

  async stop() {
    await this.server.stop();
  }
}
