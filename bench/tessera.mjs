// Tessera under test: the real server process (dist/src/main.js) on a throwaway Postgres
// database, seeded through its own CLI and HTTP endpoints only.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { basic, freePort, waitHttp } from './http.mjs';
import { collect, cycling } from './load.mjs';
import { postgresBackends, ROOT, Server } from './processes.mjs';

/** Where the benchmark creates its throwaway database when DATABASE_URL is not set. */
export const DEFAULT_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const ISSUER = 'https://tessera.bench.invalid';
const PASSWORD = 'bench password, not a secret';

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
export async function startTessera({ database, pinned, users, workers, cacheSize, nodeArgs = [], env: extraEnv = {} }) {
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
  const rs = secretOf(cli(['clients', 'create', 'bench-rs', '--type', 'confidential', '--grants', 'client_credentials', '--scopes', 'read', '--introspect'], env));
  const usernames = Array.from({ length: users }, (_, i) => `bench-user-${i + 1}`);
  for (const username of usernames) cli(['users', 'create', username], { ...env, TESSERA_PASSWORD: PASSWORD });
  const server = new Server('tessera', [...nodeArgs, 'dist/src/main.js'], env, { pinned });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitHttp(`${url}/readyz`, server);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return new TesseraTarget(server, url, { app: basic('bench-app', app), rs: basic('bench-rs', rs) }, usernames, database.name);
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
    return collect(
      { url: this.url, path: this.paths.token, headers: { authorization: this.auth.app }, connection: () => ({ next: () => ({ body: this.clientCredentialsBody() }) }) },
      { connections: 32, amount: count, pick: (body) => body.access_token },
    );
  }

  async stop() {
    await this.server.stop();
  }
}

export function form(params) {
  return new URLSearchParams(params).toString();
}
