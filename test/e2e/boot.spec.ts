import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '../setup/database.js';
import { type Child, childEnv, type ChildEnv, type Finished, lines, runNode, startNode } from '../setup/processes.js';

const SECRETS = {
  KEY_ENCRYPTION_SECRET: 'boot-test-key-encryption-secret-0123456789',
  TOKEN_HASH_SECRET: 'boot-test-token-hash-secret-0123456789abcd',
};

const children: Child[] = [];
const dirs: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-boot-'));
  dirs.push(dir);
  return dir;
}

/** `node dist/src/main.js` with exactly these settings (nothing inherited but PATH). */
function server(settings: ChildEnv): Child {
  const child = startNode(['dist/src/main.js'], childEnv({ PORT: '0', LOG_LEVEL: 'info', ...settings }));
  children.push(child);
  return child;
}

/** The port from the JSON log line `listening on http://127.0.0.1:<port> …`. */
function listeningPort(stdout: string): number | undefined {
  for (const line of lines(stdout)) {
    let message: unknown;
    try {
      message = (JSON.parse(line) as { message?: unknown }).message;
    } catch {
      continue;
    }
    const match = typeof message === 'string' ? /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(message) : null;
    if (match) return Number(match[1]);
  }
  return undefined;
}

async function started(child: Child): Promise<string> {
  const port = await child.waitFor(listeningPort, 'listening log line');
  return `http://127.0.0.1:${port}`;
}

function boot(settings: ChildEnv): Promise<Finished> {
  return runNode(['dist/src/main.js'], childEnv({ PORT: '0', LOG_LEVEL: 'info', ...settings }), { timeoutMs: 60_000 });
}

function tessera(args: string[], settings: ChildEnv): Promise<Finished> {
  return runNode(['bin/tessera.js', ...args], childEnv(settings), { timeoutMs: 60_000 });
}

async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function passwordGrant(base: string, client: { id: string; secret: string }, username: string, password: string) {
  const response = await fetch(`${base}/oauth/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'password', username, password }).toString(),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

function claims(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;
}

function field(stdout: string, name: string): string {
  const match = new RegExp(`^${name}: (.+)$`, 'm').exec(stdout);
  if (!match) throw new Error(`no ${name} in ${JSON.stringify(stdout)}`);
  return match[1];
}

beforeAll(async () => {
  const build = await runNode(['scripts/build-if-needed.js'], childEnv(), { timeoutMs: 120_000 });
  if (build.code !== 0) throw new Error(`build failed: ${build.stderr}`);
}, 180_000);

afterEach(async () => {
  await Promise.all(children.splice(0).map((child) => child.kill()));
});

afterAll(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('a boot that must fail', () => {
  it.each<[string, string, ChildEnv]>([
    ['PORT=abc', 'PORT', { PORT: 'abc' }],
    ['production without secrets', 'KEY_ENCRYPTION_SECRET', { NODE_ENV: 'production', ISSUER: 'https://auth.example.com' }],
    [
      'production without TOKEN_HASH_SECRET',
      'TOKEN_HASH_SECRET',
      { NODE_ENV: 'production', ISSUER: 'https://auth.example.com', KEY_ENCRYPTION_SECRET: SECRETS.KEY_ENCRYPTION_SECRET },
    ],
  ])('stops on %s with exit code 1 and one line naming %s', async (_case, variable, settings) => {
    const result = await boot({ TESSERA_DATA_DIR: tempDir(), ...settings });
    expect(result.code).toBe(1);
    const stderr = lines(result.stderr);
    expect(stderr).toHaveLength(1);
    expect(stderr[0].startsWith(`tessera: ${variable} `)).toBe(true);
    expect(result.stdout).not.toMatch(/listening on/);
  });

  it('stops with one line when the database cannot be reached', async () => {
    const result = await boot({ TESSERA_DATA_DIR: tempDir(), DATABASE_URL: 'postgres://postgres@127.0.0.1:1/x', ...SECRETS });
    expect(result.code).toBe(1);
    const stderr = lines(result.stderr);
    expect(stderr).toHaveLength(1);
    expect(stderr[0].startsWith('tessera: cannot reach the database at 127.0.0.1:1/x ')).toBe(true);
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });
});

describe('a server on DATABASE_URL', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrate: false });
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('migrates, answers health, readiness and RFC 8414 metadata, and stops on SIGTERM', async () => {
    const issuer = 'https://auth.example.com';
    const child = server({ DATABASE_URL: db.url, ISSUER: issuer, TESSERA_DATA_DIR: tempDir(), ...SECRETS });
    const base = await started(child);

    expect(await getJson(`${base}/healthz`)).toEqual({ status: 200, body: { status: 'ok' } });
    expect(await getJson(`${base}/readyz`)).toEqual({ status: 200, body: { status: 'ready' } });

    const metadata = await getJson(`${base}/.well-known/oauth-authorization-server`);
    expect(metadata.status).toBe(200);
    expect(metadata.body).toMatchObject({
      issuer,
      token_endpoint: `${issuer}/oauth/token`,
      jwks_uri: `${issuer}/oauth/jwks`,
      introspection_endpoint: `${issuer}/oauth/introspect`,
      revocation_endpoint: `${issuer}/oauth/revoke`,
    });
    expect(metadata.body.grant_types_supported).toEqual(expect.arrayContaining(['password', 'refresh_token', 'client_credentials']));
    expect(metadata.body.token_endpoint_auth_methods_supported).toEqual(
      expect.arrayContaining(['client_secret_basic', 'client_secret_post', 'none']),
    );
    expect(Array.isArray(metadata.body.response_types_supported)).toBe(true);

    const jwks = await getJson(`${base}/oauth/jwks`);
    expect(jwks.status).toBe(200);
    expect(jwks.body.keys).toEqual(expect.arrayContaining([expect.objectContaining({ alg: 'ES256', use: 'sig', kid: expect.any(String) })]));

    const stopped = await child.stop('SIGTERM');
    expect(stopped.code).toBe(0);
  });
});

describe('a server on the embedded database', () => {
  it('serves the CLI while it runs and keeps its data across a restart', async () => {
    const dataDir = tempDir();
    // CI sets DATABASE_URL; the embedded case must not see it (nor any secret: they are generated).
    const settings: ChildEnv = { DATABASE_URL: undefined, TESSERA_DATA_DIR: dataDir };
    const password = 'embedded-password-123';

    const first = server(settings);
    const firstBase = await started(first);
    expect(await getJson(`${firstBase}/readyz`)).toEqual({ status: 200, body: { status: 'ready' } });

    const user = await tessera(['users', 'create', 'erin'], { ...settings, TESSERA_PASSWORD: password });
    expect(user.stderr).toBe('');
    expect(user.code).toBe(0);
    const userId = field(user.stdout, 'user_id');
    const created = await tessera(['clients', 'create', 'first-party', '--type', 'confidential', '--grants', 'password,refresh_token'], settings);
    expect(created.code).toBe(0);
    const client = { id: 'first-party', secret: field(created.stdout, 'client_secret') };

    // The CLI wrote into the running server's database, not into a second copy.
    const live = await passwordGrant(firstBase, client, 'erin', password);
    expect(live.status).toBe(200);
    expect(claims(live.body.access_token as string).sub).toBe(userId);

    const firstExit = await first.stop('SIGTERM');
    expect(firstExit.code).toBe(0);

    const second = server(settings);
    const secondBase = await started(second);
    const again = await passwordGrant(secondBase, client, 'erin', password);
    expect(again.status).toBe(200);
    expect(claims(again.body.access_token as string).sub).toBe(userId);
    expect(typeof again.body.refresh_token).toBe('string');

    const secondExit = await second.stop('SIGTERM');
    expect(secondExit.code).toBe(0);
    // Structured logs never carry a password, a secret or a token.
    for (const output of [firstExit.stdout, firstExit.stderr, secondExit.stdout, secondExit.stderr]) {
      for (const secret of [password, client.secret, live.body.access_token as string, again.body.refresh_token as string]) {
        expect(output).not.toContain(secret);
      }
    }
  }, 180_000);
});
