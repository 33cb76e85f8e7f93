import { verify } from '@node-rs/argon2';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrations } from '../../migrations/index.js';
import { TokenHashers } from '../../src/common/token-hashers.js';
import { loadConfig, type ResolvedConfig } from '../../src/config/config.js';
import { createTestDatabase, type TestDatabase } from '../setup/database.js';
import { childEnv, type Finished, lines, runNode } from '../setup/processes.js';

const SECRETS = {
  KEY_ENCRYPTION_SECRET: 'cli-test-key-encryption-secret-0123456789',
  TOKEN_HASH_SECRET: 'cli-test-token-hash-secret-0123456789abcd',
};
const PASSWORD = 'correct horse battery staple';

let db: TestDatabase;
let dataDir: string;
let migrated: Finished;

function tessera(args: string[], options: { env?: Record<string, string | undefined>; input?: string } = {}): Promise<Finished> {
  const env = childEnv({ DATABASE_URL: db.url, TESSERA_DATA_DIR: dataDir, ...SECRETS, ...options.env });
  return runNode(['bin/tessera.js', ...args], env, { input: options.input, timeoutMs: 60_000 });
}

function field(stdout: string, name: string): string {
  const match = new RegExp(`^${name}: (.+)$`, 'm').exec(stdout);
  if (!match) throw new Error(`no ${name} in ${JSON.stringify(stdout)}`);
  return match[1];
}

async function query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
  return db.dataSource.query(sql, params);
}

/** A digest of every row of every table: equal digests mean nothing was written. */
async function contents(): Promise<Record<string, string>> {
  const tables = await query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`,
  );
  const digests: Record<string, string> = {};
  for (const { table_name: table } of tables) {
    const [row] = await query<{ digest: string }>(
      `SELECT count(*) || ':' || md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS digest FROM "${table}" t`,
    );
    digests[table] = row.digest;
  }
  return digests;
}

function expectOneLineFailure(result: Finished): string {
  expect(result.code).not.toBe(0);
  expect(result.code).not.toBeNull();
  expect(result.stdout).toBe('');
  const stderr = lines(result.stderr);
  expect(stderr).toHaveLength(1);
  expect(stderr[0]).toMatch(/^tessera: \S/);
  expect(result.stderr).not.toMatch(/^\s+at /m);
  return stderr[0];
}

beforeAll(async () => {
  const build = await runNode(['scripts/build-if-needed.js'], childEnv(), { timeoutMs: 120_000 });
  if (build.code !== 0) throw new Error(`build failed: ${build.stderr}`);
  dataDir = mkdtempSync(join(tmpdir(), 'tessera-cli-'));
  db = await createTestDatabase({ migrate: false });
  migrated = await tessera(['migrate']);
}, 180_000);

afterAll(async () => {
  await db?.drop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('tessera migrate', () => {
  it('applies every migration and exits 0', async () => {
    expect(migrated.stderr).toBe('');
    expect(migrated.code).toBe(0);
    for (const migration of migrations) expect(migrated.stdout).toContain(new migration().name ?? migration.name);
    const [{ count }] = await query<{ count: number }>('SELECT count(*)::int AS count FROM typeorm_migrations');
    expect(count).toBe(migrations.length);
  });

  it('is a no-op the second time', async () => {
    const again = await tessera(['migrate']);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe('the schema is up to date\n');
  });

  it('writes nothing under the data directory when DATABASE_URL and both secrets are set', () => {
    expect(readdirSync(dataDir)).toEqual([]);
  });
});

describe('tessera users create', () => {
  it('creates an admin with the password from TESSERA_PASSWORD', async () => {
    const result = await tessera(['users', 'create', 'alice', '--admin'], { env: { TESSERA_PASSWORD: PASSWORD } });
    expect(result.code).toBe(0);
    const id = field(result.stdout, 'user_id');
    const [row] = await query<{ username: string; roles: string[]; password_hash: string }>(
      'SELECT username, roles, password_hash FROM users WHERE id = $1',
      [id],
    );
    expect(row.username).toBe('alice');
    expect(row.roles).toEqual(['admin']);
    expect(row.password_hash.startsWith('$argon2id$')).toBe(true);
    expect(await verify(row.password_hash, PASSWORD)).toBe(true);
    expect(result.stdout).not.toContain(PASSWORD);
  });

  it('reads the password from standard input when TESSERA_PASSWORD is unset', async () => {
    const fromStdin = 'read from standard input';
    const result = await tessera(['users', 'create', 'bob'], { input: `${fromStdin}\n` });
    expect(result.code).toBe(0);
    const [row] = await query<{ roles: string[]; password_hash: string }>('SELECT roles, password_hash FROM users WHERE id = $1', [
      field(result.stdout, 'user_id'),
    ]);
    expect(row.roles).toEqual([]);
    expect(await verify(row.password_hash, fromStdin)).toBe(true);
  });
});

describe('tessera clients create', () => {
  let hashers: TokenHashers;
  beforeAll(() => {
    hashers = new TokenHashers(loadConfig(SECRETS) as ResolvedConfig);
  });

  async function storedClient(id: string): Promise<Record<string, unknown> & { secret_hash: Buffer | null }> {
    const [row] = await query<Record<string, unknown> & { secret_hash: Buffer | null }>('SELECT * FROM clients WHERE id = $1', [id]);
    expect(row).toBeDefined();
    return row;
  }

  it('prints a generated secret once and stores only its keyed hash', async () => {
    const result = await tessera(['clients', 'create', 'web-app', '--type', 'confidential', '--grants', 'password,refresh_token']);
    expect(result.code).toBe(0);
    expect(field(result.stdout, 'client_id')).toBe('web-app');
    expect(result.stdout.match(/client_secret:/g)).toHaveLength(1);
    const secret = field(result.stdout, 'client_secret');
    expect(secret.length).toBeGreaterThanOrEqual(32);
    const row = await storedClient('web-app');
    expect(row.type).toBe('confidential');
    expect(row.grant_types).toEqual(['password', 'refresh_token']);
    expect(row.access_token_format).toBe('jwt');
    expect(row.audience).toBeNull();
    expect(Buffer.isBuffer(row.secret_hash)).toBe(true);
    expect(row.secret_hash!.equals(Buffer.from(secret))).toBe(false);
    expect(row.secret_hash!.toString('latin1')).not.toContain(secret);
    expect(row.secret_hash!.toString('hex')).not.toContain(Buffer.from(secret).toString('hex'));
    expect(hashers.clientSecret.matches(secret, row.secret_hash!)).toBe(true);
  });

  it('takes the secret from standard input with --secret-stdin and never prints it', async () => {
    const secret = 'a-secret-chosen-by-the-operator-0123456789';
    const result = await tessera(['clients', 'create', 'chosen', '--type', 'confidential', '--grants', 'client_credentials', '--secret-stdin'], {
      input: `${secret}\n`,
    });
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain('client_secret');
    expect(result.stdout + result.stderr).not.toContain(secret);
    const row = await storedClient('chosen');
    expect(hashers.clientSecret.matches(secret, row.secret_hash!)).toBe(true);
  });

  it('stores --introspect, --scopes, --origins, --access-token-format and --audience as given', async () => {
    const result = await tessera([
      'clients',
      'create',
      'resource-server',
      '--type',
      'confidential',
      '--grants',
      'client_credentials',
      '--scopes',
      'read write',
      '--introspect',
      '--origins',
      'https://app.example.com,http://localhost:5173',
      '--access-token-format',
      'opaque',
      '--audience',
      'https://api.example.com',
    ]);
    expect(result.code).toBe(0);
    const row = await storedClient('resource-server');
    expect(row.grant_types).toEqual(['client_credentials']);
    expect(row.scopes).toEqual(['read', 'write']);
    expect(row.permissions).toEqual(['introspect']);
    expect(row.allowed_origins).toEqual(['https://app.example.com', 'http://localhost:5173']);
    expect(row.access_token_format).toBe('opaque');
    expect(row.audience).toBe('https://api.example.com');
  });

  it('creates a public client without a secret', async () => {
    const result = await tessera(['clients', 'create', 'spa', '--type', 'public', '--grants', 'password,refresh_token']);
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain('client_secret');
    const row = await storedClient('spa');
    expect(row.type).toBe('public');
    expect(row.secret_hash).toBeNull();
  });
});

describe('bad input', () => {
  beforeAll(async () => {
    // The names the duplicate cases collide with; this also creates the signing key, so
    // a refused command has nothing left to write.
    const user = await tessera(['users', 'create', 'taken'], { env: { TESSERA_PASSWORD: PASSWORD } });
    const client = await tessera(['clients', 'create', 'taken-client', '--type', 'public', '--grants', 'password']);
    if (user.code !== 0 || client.code !== 0) throw new Error(`setup failed: ${user.stderr}${client.stderr}`);
  }, 120_000);

  const confidential = ['clients', 'create', 'new-client', '--type', 'confidential'];
  const publicClient = ['clients', 'create', 'new-client', '--type', 'public'];
  it.each<[string, string[], { env?: Record<string, string>; input?: string }, RegExp]>([
    ['an unknown command', ['frobnicate'], {}, /unknown command "frobnicate"/],
    ['an unknown subcommand', ['users', 'delete', 'alice'], {}, /unknown command "users delete"/],
    ['an unknown option', ['users', 'create', 'carol', '--bogus'], { env: { TESSERA_PASSWORD: PASSWORD } }, /--bogus/],
    ['a missing username', ['users', 'create'], { env: { TESSERA_PASSWORD: PASSWORD } }, /argument/],
    ['a missing --type', ['clients', 'create', 'new-client', '--grants', 'password'], {}, /--type/],
    ['a missing --grants', confidential, {}, /--grants/],
    ['a bad grant name', [...confidential, '--grants', 'password,implicit'], {}, /grants.*"implicit"/],
    ['a bad --type', ['clients', 'create', 'new-client', '--type', 'trusted', '--grants', 'password'], {}, /type/],
    ['a bad --access-token-format', [...confidential, '--grants', 'password', '--access-token-format', 'saml'], {}, /access_token_format/],
    ['an origin with a path', [...confidential, '--grants', 'password', '--origins', 'https://app.example.com/login'], {}, /origins/],
    ['a duplicate username', ['users', 'create', 'taken'], { env: { TESSERA_PASSWORD: PASSWORD } }, /taken already exists/],
    ['a duplicate client id', ['clients', 'create', 'taken-client', '--type', 'public', '--grants', 'password'], {}, /taken-client already exists/],
    ['a short password', ['users', 'create', 'carol'], { env: { TESSERA_PASSWORD: 'short' } }, /password/],
    ['no password at all', ['users', 'create', 'carol'], { input: '' }, /input/],
    ['a short --secret-stdin secret', [...confidential, '--grants', 'password', '--secret-stdin'], { input: 'too-short\n' }, /secret/],
    ['a public client with client_credentials', [...publicClient, '--grants', 'client_credentials'], {}, /client_credentials/],
    ['a zero --batch-size', ['cleanup', '--batch-size', '0'], {}, /--batch-size/],
    ['a non-numeric --batch-size', ['cleanup', '--batch-size', 'all'], {}, /--batch-size/],
    ['an argument to cleanup', ['cleanup', 'everything'], {}, /argument/],
  ])('refuses %s with one line on stderr and writes nothing', async (_case, args, options, reason) => {
    const before = await contents();
    const result = await tessera(args, options);
    const line = expectOneLineFailure(result);
    expect(line).toMatch(reason);
    expect(line).not.toContain(PASSWORD);
    expect(await contents()).toEqual(before);
  });
});

describe('tessera cleanup', () => {
  const LONG_AGO = new Date('2001-01-01T00:00:00Z');
  const FAR_AHEAD = new Date('2100-01-01T00:00:00Z');

  /** A session of the given absolute expiry with `tokens` refresh tokens; its id. */
  async function session(userId: string, expiresAt: Date, tokens: number): Promise<string> {
    const [{ id }] = await query<{ id: string }>(
      `INSERT INTO families (id, user_id, client_id, scope, created_at, last_used_at, idle_expires_at, absolute_expires_at)
       VALUES (gen_random_uuid(), $1, 'cleanup-client', '', $2, $2, $2, $2) RETURNING id`,
      [userId, expiresAt],
    );
    await query(
      `INSERT INTO refresh_tokens (hash, family_id, generation, issued_at)
       SELECT sha256(($1::text || g)::bytea), $1::uuid, g, $2 FROM generate_series(0, $3 - 1) g`,
      [id, expiresAt, tokens],
    );
    return id;
  }

  it('runs one pass in batches, prints what it deleted per table on one line and keeps what is live', async () => {
    const [{ id: userId }] = await query<{ id: string }>(
      `INSERT INTO users (id, username, username_key, password_hash, created_at, updated_at)
       VALUES (gen_random_uuid(), 'cleanup-user', 'cleanup-user', 'not a hash', now(), now()) RETURNING id`,
    );
    await query(`INSERT INTO clients (id, type, grant_types, created_at) VALUES ('cleanup-client', 'public', '{password}', now())`);
    await session(userId, LONG_AGO, 3);
    await session(userId, LONG_AGO, 2);
    const live = await session(userId, FAR_AHEAD, 2);
    for (const [jti, expiresAt] of [['old-jti', LONG_AGO], ['live-jti', FAR_AHEAD]] as const) {
      await query(`INSERT INTO revoked_access_tokens (jti, revoked_at, expires_at) VALUES ($1, $2, $2)`, [jti, expiresAt]);
      await query(
        `INSERT INTO opaque_access_tokens (hash, jti, client_id, subject, scope, audience, issued_at, expires_at)
         VALUES (sha256(convert_to($1::text, 'UTF8')), $1::text, 'cleanup-client', 'cleanup-client', '', 'aud', $2, $2)`,
        [jti, expiresAt],
      );
    }
    await query(
      `INSERT INTO revocation_events (kind, subject, created_at, until)
       SELECT 'jti', 'old-' || g, $1, $1 FROM generate_series(1, 3) g`,
      [LONG_AGO],
    );
    await query(`INSERT INTO revocation_events (kind, subject, created_at, until) VALUES ('jti', 'live-jti', now(), $1)`, [FAR_AHEAD]);
    const audit = await query<{ count: number }>(`SELECT count(*)::int AS count FROM audit_events`);

    const result = await tessera(['cleanup', '--batch-size', '2']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      'deleted: opaque_access_tokens=1 refresh_tokens=5 families=2 revoked_access_tokens=1 revocation_events=2 audit_events=0 login_throttle=0\n',
    );

    expect(await query(`SELECT id FROM families WHERE client_id = 'cleanup-client'`)).toEqual([{ id: live }]);
    expect(await query(`SELECT family_id FROM refresh_tokens WHERE family_id IN (SELECT id FROM families WHERE client_id = 'cleanup-client')`)).toEqual([
      { family_id: live },
      { family_id: live },
    ]);
    expect(await query(`SELECT jti FROM opaque_access_tokens WHERE client_id = 'cleanup-client'`)).toEqual([{ jti: 'live-jti' }]);
    expect(await query(`SELECT jti FROM revoked_access_tokens WHERE jti IN ('old-jti', 'live-jti')`)).toEqual([{ jti: 'live-jti' }]);
    // The newest spent event stays as the floor under the feed.
    expect(await query(`SELECT subject FROM revocation_events ORDER BY id`)).toEqual([{ subject: 'old-3' }, { subject: 'live-jti' }]);
    expect(await query(`SELECT count(*)::int AS count FROM audit_events`)).toEqual(audit);

    const again = await tessera(['cleanup']);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(
      'deleted: opaque_access_tokens=0 refresh_tokens=0 families=0 revoked_access_tokens=0 revocation_events=0 audit_events=0 login_throttle=0\n',
    );
  });
});
