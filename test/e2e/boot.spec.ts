import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '../setup/database.js';
import { type Child, childEnv, type ChildEnv, type Finished, lines, ROOT, runNode, startNode } from '../setup/processes.js';

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
  // A first boot on the embedded database creates it and runs every migration: on a busy
  // machine that alone has taken over a minute.
  const port = await child.waitFor(listeningPort, 'listening log line', 120_000);
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

  it('stops the server and the CLI with one line naming the line of a malformed .env, never its text', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, '.env'), `PORT=1\nKEY_ENCRYPTION_SECRET ${SECRETS.KEY_ENCRYPTION_SECRET}\n`);
    const env = childEnv({ TESSERA_DATA_DIR: dir });
    const results = [
      await runNode([join(ROOT, 'dist/src/main.js')], env, { cwd: dir, timeoutMs: 60_000 }),
      await runNode([join(ROOT, 'bin/tessera.js'), 'migrate'], env, { cwd: dir, timeoutMs: 60_000 }),
    ];
    for (const result of results) {
      expect(result.code).toBe(1);
      expect(lines(result.stderr)).toEqual(['tessera: .env line 2 must be NAME=value, a # comment or blank']);
      expect(result.stdout).toBe('');
    }
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
    // At info, a boot says what Tessera did (migrations, the address), not how Nest wired it.
    const logged = lines(stopped.stdout).map((line) => JSON.parse(line) as { level: string; context?: string; message: string });
    expect(logged.length).toBeLessThanOrEqual(4);
    expect(logged.filter((line) => line.context === 'RouterExplorer' || line.context === 'InstanceLoader')).toEqual([]);
    expect(logged.filter((line) => line.level === 'debug' || line.level === 'trace')).toEqual([]);
  });

  it('booting with another SIGNING_ALG keeps signing with the key it finds, logs how to rotate, and its metadata says so', async () => {
    const child = server({ DATABASE_URL: db.url, SIGNING_ALG: 'RS256', TESSERA_DATA_DIR: tempDir(), ...SECRETS });
    const base = await started(child);
    const metadata = await getJson(`${base}/.well-known/oauth-authorization-server`);
    expect(metadata.body.access_token_signing_alg_values_supported).toEqual(['ES256']);
    const jwks = await getJson(`${base}/oauth/jwks`);
    expect((jwks.body.keys as Array<{ alg: string }>).map((key) => key.alg)).toEqual(['ES256']);

    const stopped = await child.stop('SIGTERM');
    const warnings = lines(stopped.stdout)
      .map((line) => JSON.parse(line) as { level: string; context?: string; message: string })
      // Only the keys' own: on the embedded test database the driver also warns once that
      // statements run unprepared, which has nothing to do with the signing key.
      .filter((line) => line.level === 'warn' && line.context === 'keys');
    expect(warnings).toEqual([
      expect.objectContaining({ message: expect.stringContaining('to change it run `tessera keys rotate` with SIGNING_ALG=RS256') }),
    ]);
  });

  it('reads .env in its working directory, under the real environment, for the server and the CLI', async () => {
    const dir = tempDir();
    const issuer = 'https://dotenv.example.com';
    writeFileSync(join(dir, '.env'), `# local settings\nISSUER=${issuer}\nDATABASE_URL=${db.url}\nLOG_FORMAT=pretty\nLOG_LEVEL=debug\n`);
    // LOG_LEVEL is also in the real environment, which wins over the file.
    const env = childEnv({ PORT: '0', LOG_LEVEL: 'info', TESSERA_DATA_DIR: dir, ...SECRETS });
    const child = startNode([join(ROOT, 'dist/src/main.js')], env, '', dir);
    children.push(child);
    const port = await child.waitFor((stdout) => /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(stdout)?.[1], 'listening log line');
    const metadata = await getJson(`http://127.0.0.1:${port}/.well-known/oauth-authorization-server`);
    expect(metadata.body.issuer).toBe(issuer);

    // The CLI in the same directory finds the same database through .env: already migrated.
    const migrate = await runNode([join(ROOT, 'bin/tessera.js'), 'migrate'], childEnv({ TESSERA_DATA_DIR: dir, ...SECRETS }), { cwd: dir, timeoutMs: 60_000 });
    expect({ code: migrate.code, stdout: migrate.stdout }).toEqual({ code: 0, stdout: 'the schema is up to date\n' });

    const stopped = await child.stop('SIGTERM');
    expect(stopped.code).toBe(0);
    const logged = lines(stopped.stdout);
    expect(logged.length).toBeGreaterThanOrEqual(2);
    for (const line of logged) expect(line).toMatch(/^\d\d:\d\d:\d\d\.\d{3} (INFO |WARN |ERROR) /);
    expect(logged.filter((line) => / INFO {2}listening on /.test(line))).toHaveLength(1);
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
