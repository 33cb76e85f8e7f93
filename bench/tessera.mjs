// Tessera under test: the real server process (dist/src/main.js) on a throwaway Postgres
// database, seeded through its own CLI and HTTP endpoints only.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { codeOf, mintCodes, pkcePair } from './codes.mjs';
import { basic, Browser, freePort, waitHttp } from './http.mjs';
import { collect, cycling } from './load.mjs';
import { postgresBackends, ROOT, Server } from './processes.mjs';

/** Where the benchmark creates its throwaway database when DATABASE_URL is not set. */
export const DEFAULT_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const ISSUER = 'https://tessera.bench.invalid';
const PASSWORD = 'bench password, not a secret';
const REDIRECT_URI = 'http://127.0.0.1:9/callback';
// The hosted pages' forms are posted from the issuer's own pages (Origin checked).
const PAGE_HEADERS = { origin: new URL(ISSUER).origin, 'sec-fetch-site': 'same-origin' };
const FORM_COOKIE = '__Host-tessera-form';

/**
 * A throwaway database on the server of `adminUrl`, dropped by `drop()`; with it, what
 * the report needs: the server's version and its durability settings.
 */
export async function createDatabase(adminUrl) {
  const name = `tessera_bench_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  let info;
  try {
    await admin.query(`CREATE DATABASE ${name}`);
    const { rows } = await admin.query(
      `SELECT current_setting('server_version') AS version, current_setting('fsync') AS fsync,
              current_setting('synchronous_commit') AS synchronous_commit`,
    );
    info = rows[0];
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    postgres: { version: info.version, fsync: info.fsync, synchronous_commit: info.synchronous_commit },
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

function cli(args, env, input) {
  const result = spawnSync(process.execPath, ['bin/tessera.js', ...args], { cwd: ROOT, env, input, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`tessera ${args.slice(0, 2).join(' ')} failed: ${result.stderr.trim()}`);
  return result.stdout;
}

function secretOf(output) {
  const match = /client_secret: (\S+)/.exec(output);
  if (!match) throw new Error('tessera clients create printed no client_secret');
  return match[1];
}

/**
 * Builds Tessera if needed, starts it (pinned unless `pinned` is false; `workers` > 1 for
 * its cluster mode) on `databaseUrl`, and seeds two clients and `users` users with the CLI.
 */
export async function startTessera({ database, pinned, users, workers, cacheSize, nodeArgs = [], env: extraEnv = {}, seed }) {
  const build = spawnSync(process.execPath, ['scripts/build-if-needed.js'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('building Tessera failed');
  const port = await freePort();
  const env = {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'production',
    DATABASE_URL: database.url,
    HOST: '127.0.0.1',
    PORT: String(port),
    ISSUER,
    KEY_ENCRYPTION_SECRET: randomBytes(32).toString('base64url'),
    TOKEN_HASH_SECRET: randomBytes(32).toString('base64url'),
    LOG_LEVEL: 'warn',
    // Pools are minted before the scenarios run: tokens must outlive the whole run.
    ACCESS_TOKEN_TTL: '3600',
    INTROSPECTION_CACHE_SIZE: String(cacheSize),
    ...(workers > 1 ? { WORKERS: String(workers) } : {}),
    ...extraEnv,
  };
  // The CLI applies the migrations, so the server boots on a ready schema.
  const app = secretOf(
    cli(['clients', 'create', 'bench-app', '--type', 'confidential', '--grants', 'password,refresh_token,client_credentials', '--scopes', 'read write'], env),
  );
  // The same kind of application with opaque access tokens: each one a row, introspected and revoked by its keyed hash.
  const opaque = secretOf(
    cli(['clients', 'create', 'bench-opaque', '--type', 'confidential', '--grants', 'client_credentials', '--scopes', 'read', '--access-token-format', 'opaque'], env),
  );
  // An application of the operator's own (no consent page) for the authorization code flow.
  const web = secretOf(
    cli(['clients', 'create', 'bench-web', '--type', 'confidential', '--grants', 'authorization_code,refresh_token', '--scopes', 'read write', '--redirect-uris', REDIRECT_URI, '--first-party'], env),
  );
  const rs = secretOf(cli(['clients', 'create', 'bench-rs', '--type', 'confidential', '--grants', 'client_credentials', '--scopes', 'read', '--introspect'], env));
  const usernames = Array.from({ length: users }, (_, i) => `bench-user-${i + 1}`);
  for (const username of usernames) cli(['users', 'create', username], { ...env, TESSERA_PASSWORD: PASSWORD });
  // More clients and users for a phase of its own (bench/signals.mjs): what it answers is kept as `seeded`.
  const seeded = seed?.({ run: (args, extra = {}) => cli(args, { ...env, ...extra }), secretOf, password: PASSWORD });
  const server = new Server('tessera', [...nodeArgs, 'dist/src/main.js'], env, { pinned });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitHttp(`${url}/readyz`, server);
  } catch (error) {
    await server.stop();
    throw error;
  }
  const target = new TesseraTarget(server, url, { app: basic('bench-app', app), rs: basic('bench-rs', rs), web: basic('bench-web', web), opaque: basic('bench-opaque', opaque) }, usernames, database.name);
  target.seeded = seeded;
  target.issuer = ISSUER;
  return target;
}

/** What the scenarios need to drive Tessera. */
export class TesseraTarget {
  name = 'tessera';
  paths = { token: '/oauth/token', introspect: '/oauth/introspect', revoke: '/oauth/revoke' };
  /** RFC 9449 §4.3: DPoP proofs name the token endpoint under ISSUER, not the address dialled */
  tokenHtu = `${ISSUER}/oauth/token`;

  constructor(server, url, auth, usernames, databaseName) {
    this.databaseName = databaseName;
    this.server = server;
    this.url = url;
    this.auth = auth;
    this.usernames = usernames;
  }

  pids() {
    return this.server.tree();
  }

  /** Tessera's own Postgres backends: their CPU is part of what a Tessera request costs. */
  dbPids() {
    return postgresBackends(this.databaseName);
  }

  /** Password-grant bodies, over the seeded users in turn. */
  loginBodies() {
    return cycling(this.usernames, (username) => form({ grant_type: 'password', username, password: PASSWORD, scope: 'read write' }));
  }

  clientCredentialsBody() {
    return form({ grant_type: 'client_credentials', scope: 'read' });
  }

  refreshBody(refreshToken) {
    return form({ grant_type: 'refresh_token', refresh_token: refreshToken });
  }

  /** `count` logins: each a session whose refresh token starts a chain; `access` is its JWT. */
  sessions(count) {
    const logins = this.loginBodies();
    return collect(
      { url: this.url, path: this.paths.token, headers: { authorization: this.auth.app }, connection: logins },
      { connections: Math.min(count, 16), amount: count, pick: (body) => ({ refresh: body.refresh_token, access: body.access_token }) },
    );
  }

  /** `count` distinct live access tokens of bench-app (client_credentials, JWT). */
  distinctAccessTokens(count) {
    return this.clientCredentialsTokens(this.auth.app, count);
  }

  /** `count` distinct live opaque access tokens of bench-opaque (client_credentials), and the client that revokes them. */
  async opaqueAccessTokens(count) {
    return { tokens: await this.clientCredentialsTokens(this.auth.opaque, count), owner: this.auth.opaque };
  }

  /** `count` access tokens of the client whose Basic header is `authorization`. */
  clientCredentialsTokens(authorization, count) {
    return collect(
      { url: this.url, path: this.paths.token, headers: { authorization }, connection: () => ({ next: () => ({ body: this.clientCredentialsBody() }) }) },
      { connections: 32, amount: count, pick: (body) => body.access_token },
    );
  }

  /** An authorization request of bench-web for `challenge` (RFC 6749 §4.1.1, PKCE S256). */
  authorizationQuery(challenge) {
    return form({ response_type: 'code', client_id: 'bench-web', redirect_uri: REDIRECT_URI, scope: 'read', state: 'bench', code_challenge: challenge, code_challenge_method: 'S256' });
  }

  /**
   * A browser signed in through the hosted login page as `username`: the page's form
   * (hidden fields, CSRF token and its cookie) and the login session it got.
   */
  async signIn(username, challenge) {
    const browser = new Browser();
    const page = await browser.request(`${this.url}/oauth/authorize?${this.authorizationQuery(challenge)}`);
    const html = await page.text();
    if (page.status !== 200) throw new Error(`tessera: the login page answered ${page.status}`);
    const fields = Object.fromEntries([...html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)].map(([, name, value]) => [name, unescapeHtml(value)]));
    const loginForm = { ...fields, username, password: PASSWORD };
    const posted = await browser.request(`${this.url}/interaction/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...PAGE_HEADERS },
      body: form(loginForm),
    });
    await codeOf(posted, 'tessera login page');
    return { browser, loginForm };
  }

  /** Codes of bench-web, minted at /oauth/authorize by a signed-in browser; and their redemption. */
  async codeMinter() {
    const { verifier, challenge } = pkcePair();
    const { browser } = await this.signIn(this.usernames[0], challenge);
    const url = `${this.url}/oauth/authorize?${this.authorizationQuery(challenge)}`;
    return {
      mint: (count, withinMs) => mintCodes(count, async () => codeOf(await browser.request(url), 'tessera'), { withinMs }),
      headers: { authorization: this.auth.web },
      body: (code) => form({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier }),
    };
  }

  /**
   * The login page's form post, as a browser sends it (its CSRF cookie, Origin), over the
   * seeded users in turn: each a password check (argon2), a login session and a code.
   */
  async loginPagePosts() {
    const { challenge } = pkcePair();
    const { browser, loginForm } = await this.signIn(this.usernames[0], challenge);
    const headers = { ...PAGE_HEADERS, cookie: `${FORM_COOKIE}=${browser.cookies.get(FORM_COOKIE)}` };
    return { headers, connection: cycling(this.usernames, (username) => form({ ...loginForm, username })) };
  }

  async stop() {
    await this.server.stop();
  }
}

function unescapeHtml(text) {
  return text.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

export function form(params) {
  return new URLSearchParams(params).toString();
}
