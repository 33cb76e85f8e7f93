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
/** the generated secret of web-app, from `clients create` */
let webAppSecret: string;

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

function expectOneLineFailure(result: Finished, code?: number): string {
  expect(result.code).not.toBe(0);
  expect(result.code).not.toBeNull();
  if (code !== undefined) expect(result.code).toBe(code);
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

  it('stores the OpenID Connect profile claims given as --email, --email-verified and --name', async () => {
    const result = await tessera(['users', 'create', 'claire', '--email', 'claire@example.com', '--email-verified', '--name', 'Claire Dupont'], {
      env: { TESSERA_PASSWORD: PASSWORD },
    });
    expect(result.code).toBe(0);
    const [row] = await query('SELECT email, email_verified, name FROM users WHERE id = $1', [field(result.stdout, 'user_id')]);
    expect(row).toEqual({ email: 'claire@example.com', email_verified: true, name: 'Claire Dupont' });

    const bad = await tessera(['users', 'create', 'dan', '--email', 'not-an-address'], { env: { TESSERA_PASSWORD: PASSWORD } });
    expect(expectOneLineFailure(bad)).toMatch(/email: must be an email address/);
    expect(await query('SELECT 1 FROM users WHERE username = $1', ['dan'])).toEqual([]);
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
    webAppSecret = secret;
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

describe('tessera users list|disable|enable|set-password|reset-mfa', () => {
  async function userId(username: string): Promise<string> {
    const [row] = await query<{ id: string }>('SELECT id FROM users WHERE username = $1', [username]);
    return row.id;
  }

  /** A live session of the user with the public client spa. */
  async function session(username: string): Promise<string> {
    const [{ id }] = await query<{ id: string }>(
      `INSERT INTO families (id, user_id, client_id, scope, created_at, last_used_at, idle_expires_at, absolute_expires_at)
       VALUES (gen_random_uuid(), $1, 'spa', '', now(), now(), now() + interval '1 day', now() + interval '1 day') RETURNING id`,
      [await userId(username)],
    );
    return id;
  }

  /** A live login session (a hosted-login cookie) of the user. */
  async function loginSession(username: string): Promise<string> {
    const [{ id }] = await query<{ id: string }>(
      `INSERT INTO login_sessions (id, token_hash, user_id, auth_time, created_at, last_seen_at, idle_expires_at, absolute_expires_at)
       VALUES (gen_random_uuid(), uuid_send(gen_random_uuid()), $1, now(), now(), now(), now() + interval '1 day', now() + interval '1 day') RETURNING id`,
      [await userId(username)],
    );
    return id;
  }

  const endedReason = async (loginSessionId: string) =>
    (await query<{ ended_reason: string | null }>('SELECT ended_reason FROM login_sessions WHERE id = $1', [loginSessionId]))[0].ended_reason;

  const revokedReason = async (family: string) =>
    (await query<{ revoked_reason: string | null }>('SELECT revoked_reason FROM families WHERE id = $1', [family]))[0].revoked_reason;
  const cliEvents = async (type: string, username: string) =>
    query<{ actor: string; details: Record<string, unknown> }>(`SELECT actor, details FROM audit_events WHERE type = $1 AND user_id = $2 ORDER BY id`, [
      type,
      await userId(username),
    ]);

  it('lists users newest first with their roles and status; --limit cuts the list and says so', async () => {
    const result = await tessera(['users', 'list']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const [header, ...rows] = lines(result.stdout).map((line) => line.split(/\s+/));
    expect(header).toEqual(['USER_ID', 'USERNAME', 'ROLES', 'STATUS', 'CREATED_AT']);
    expect(rows.map((row) => row.slice(0, 4))).toEqual([
      [await userId('claire'), 'claire', '-', 'enabled'],
      [await userId('bob'), 'bob', '-', 'enabled'],
      [await userId('alice'), 'alice', 'admin', 'enabled'],
    ]);
    const one = await tessera(['users', 'list', '--limit', '1']);
    expect(one.code).toBe(0);
    expect(lines(one.stdout).map((line) => line.split(/\s+/)[1])).toEqual(['USERNAME', 'claire']);
    expect(one.stderr).toBe('showing the newest 1 users; --limit shows more\n');
  });

  it('disable ends every session of the user and is idempotent; enable lets them back in', async () => {
    const family = await session('bob');
    const disabled = await tessera(['users', 'disable', 'bob']);
    expect(disabled.code).toBe(0);
    expect(disabled.stdout).toBe('disabled: bob (every session ended)\n');
    expect((await query('SELECT disabled_at FROM users WHERE username = $1', ['bob']))[0].disabled_at).not.toBeNull();
    expect(await revokedReason(family)).toBe('user_disabled');
    expect(await cliEvents('user_disabled', 'bob')).toEqual([{ actor: 'cli', details: {} }]);

    const again = await tessera(['users', 'disable', 'bob']);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe('bob was already disabled\n');
    expect(await cliEvents('user_disabled', 'bob')).toHaveLength(1);

    const enabled = await tessera(['users', 'enable', 'bob']);
    expect(enabled.code).toBe(0);
    expect(enabled.stdout).toBe('enabled: bob\n');
    expect((await query('SELECT disabled_at FROM users WHERE username = $1', ['bob']))[0].disabled_at).toBeNull();
    expect(await cliEvents('user_enabled', 'bob')).toEqual([{ actor: 'cli', details: {} }]);
    expect((await tessera(['users', 'enable', 'bob'])).stdout).toBe('bob was already enabled\n');
  });

  it('set-password stores the new password from TESSERA_PASSWORD or standard input and ends every session', async () => {
    const family = await session('bob');
    const browser = await loginSession('bob');
    const othersBrowser = await loginSession('claire');
    const changed = await tessera(['users', 'set-password', 'bob'], { env: { TESSERA_PASSWORD: 'a brand new password' } });
    expect(changed.stderr).toBe('');
    expect(changed.code).toBe(0);
    expect(changed.stdout).toBe('password changed: bob (every session ended)\n');
    const hash = async () => (await query<{ password_hash: string }>('SELECT password_hash FROM users WHERE username = $1', ['bob']))[0].password_hash;
    expect(await verify(await hash(), 'a brand new password')).toBe(true);
    expect(await revokedReason(family)).toBe('password_changed');
    // The hosted-login cookie ends too, as after a password change on the account page.
    expect(await endedReason(browser)).toBe('password_changed');
    expect(await endedReason(othersBrowser)).toBeNull();
    expect(await cliEvents('user_updated', 'bob')).toEqual([{ actor: 'cli', details: { fields: 'password' } }]);
    expect(await cliEvents('credential_changed', 'bob')).toEqual([{ actor: 'cli', details: { credential_type: 'password', change_type: 'update' } }]);
    // Leaves nothing for the cleanup tests below to count.
    await query('DELETE FROM login_sessions WHERE id = ANY($1)', [[browser, othersBrowser]]);

    const fromStdin = await tessera(['users', 'set-password', 'bob'], { input: 'typed at the prompt\n' });
    expect(fromStdin.code).toBe(0);
    expect(await verify(await hash(), 'typed at the prompt')).toBe(true);
  });

  it('reset-mfa removes the user\'s TOTP and recovery codes, audited with the cli as actor', async () => {
    const id = await userId('bob');
    await query(`INSERT INTO totp_factors (user_id, secret_sealed, confirmed_at, created_at) VALUES ($1, '\\x00', now(), now())`, [id]);
    await query(`INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES ($1, '\\x01', now())`, [id]);
    const reset = await tessera(['users', 'reset-mfa', 'bob']);
    expect(reset.code).toBe(0);
    expect(reset.stdout).toBe('second factor removed: bob\n');
    expect(await query('SELECT 1 FROM totp_factors WHERE user_id = $1 UNION ALL SELECT 1 FROM recovery_codes WHERE user_id = $1', [id])).toEqual([]);
    expect(await cliEvents('second_factor_removed', 'bob')).toEqual([{ actor: 'cli', details: { method: 'totp' } }]);
    expect((await tessera(['users', 'reset-mfa', 'bob'])).stdout).toBe('bob had no second factor\n');
  });
});

describe('tessera clients list|show|update|rotate-secret|delete', () => {
  let hashers: TokenHashers;
  beforeAll(() => {
    hashers = new TokenHashers(loadConfig(SECRETS) as ResolvedConfig);
  });

  const client = async (id: string) => (await query<Record<string, unknown>>('SELECT * FROM clients WHERE id = $1', [id]))[0];
  const cliEvents = (type: string, id: string) =>
    query<{ actor: string; details: Record<string, unknown> }>(`SELECT actor, details FROM audit_events WHERE type = $1 AND client_id = $2 ORDER BY id`, [type, id]);

  it('lists every client newest first, never a secret', async () => {
    const result = await tessera(['clients', 'list']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const [header, ...rows] = lines(result.stdout).map((line) => line.split(/\s+/));
    expect(header).toEqual(['CLIENT_ID', 'TYPE', 'GRANT_TYPES', 'SCOPES', 'CREATED_AT']);
    expect(rows.map((row) => row.slice(0, 3))).toEqual([
      ['spa', 'public', 'password,refresh_token'],
      ['resource-server', 'confidential', 'client_credentials'],
      ['chosen', 'confidential', 'client_credentials'],
      ['web-app', 'confidential', 'password,refresh_token'],
      // made by the migrations: the admin console's own client
      ['tessera-console', 'public', 'authorization_code'],
    ]);
    expect(result.stdout).not.toContain(webAppSecret);
  });

  it('shows one client', async () => {
    const result = await tessera(['clients', 'show', 'resource-server']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        'client_id: resource-server',
        'type: confidential',
        'grant_types: client_credentials',
        'scopes: read write',
        'introspect: true',
        'origins: https://app.example.com,http://localhost:5173',
        'access_token_format: opaque',
        'audience: https://api.example.com',
        'redirect_uris:',
        'post_logout_redirect_uris:',
        'first_party: false',
        'require_par: false',
        'client_name:',
        'dpop_bound_access_tokens: false',
        'require_mfa: false',
        'backchannel_logout_uri:',
        'backchannel_logout_session_required: true',
        `created_at: ${((await client('resource-server')).created_at as Date).toISOString()}`,
        '',
      ].join('\n'),
    );
  });

  it('update changes only the options given and records client_updated', async () => {
    const before = await client('resource-server');
    const result = await tessera(['clients', 'update', 'resource-server', '--scopes', 'read', '--no-introspect', '--no-audience']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('scopes: read\nintrospect: false\n');
    expect(await client('resource-server')).toEqual({ ...before, scopes: ['read'], permissions: [], audience: null });
    expect(await cliEvents('client_updated', 'resource-server')).toEqual([{ actor: 'cli', details: { fields: 'scopes,introspect,audience' } }]);

    const grants = await tessera(['clients', 'update', 'resource-server', '--grants', 'client_credentials,password', '--audience', 'https://other.example.com']);
    expect(grants.code).toBe(0);
    expect(await client('resource-server')).toMatchObject({ grant_types: ['client_credentials', 'password'], audience: 'https://other.example.com', scopes: ['read'] });
  });

  it('rotate-secret prints a new secret once and keeps the old one for --grace seconds only', async () => {
    const started = Date.now();
    const rotated = await tessera(['clients', 'rotate-secret', 'web-app', '--grace', '120']);
    expect(rotated.code).toBe(0);
    expect(rotated.stderr).toBe('the secret is shown once: store it now\n');
    const secret = field(rotated.stdout, 'client_secret');
    expect(rotated.stdout.match(/client_secret:/g)).toHaveLength(1);
    const row = (await client('web-app')) as { secret_hash: Buffer; previous_secret_hash: Buffer; previous_secret_expires_at: Date };
    expect(hashers.clientSecret.matches(secret, row.secret_hash)).toBe(true);
    expect(hashers.clientSecret.matches(webAppSecret, row.previous_secret_hash)).toBe(true);
    expect(field(rotated.stdout, 'previous_secret_expires_at')).toBe(row.previous_secret_expires_at.toISOString());
    expect(row.previous_secret_expires_at.getTime()).toBeGreaterThanOrEqual(started + 120_000);
    expect(row.previous_secret_expires_at.getTime()).toBeLessThanOrEqual(Date.now() + 120_000);

    const now = await tessera(['clients', 'rotate-secret', 'web-app']);
    expect(now.code).toBe(0);
    expect(field(now.stdout, 'previous_secret_expires_at')).toBe('now (the old secret no longer works)');
    const after = await client('web-app');
    expect(hashers.clientSecret.matches(field(now.stdout, 'client_secret'), after.secret_hash as Buffer)).toBe(true);
    expect(after).toMatchObject({ previous_secret_hash: null, previous_secret_expires_at: null });
    expect(await cliEvents('client_secret_rotated', 'web-app')).toEqual([
      { actor: 'cli', details: { grace_seconds: 120 } },
      { actor: 'cli', details: { grace_seconds: 0 } },
    ]);
  });

  it('delete removes the client and says how many sessions ended', async () => {
    const result = await tessera(['clients', 'delete', 'chosen']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('deleted: chosen\nsessions revoked: 0\n');
    expect(await client('chosen')).toBeUndefined();
    expect(await cliEvents('client_deleted', 'chosen')).toEqual([{ actor: 'cli', details: { sessions_revoked: 0 } }]);
  });

  it('registers an authorization code client with --redirect-uris, --first-party and --require-par; update turns them off', async () => {
    const uris = 'https://app.example.com/callback,http://127.0.0.1:8765/cb,com.example.app:/oauth2redirect';
    const created = await tessera(['clients', 'create', 'native', '--type', 'public', '--grants', 'authorization_code,refresh_token', '--redirect-uris', uris, '--first-party', '--require-par']);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(await client('native')).toMatchObject({ redirect_uris: uris.split(','), first_party: true, require_par: true });
    const updated = await tessera(['clients', 'update', 'native', '--no-first-party', '--no-require-par', '--redirect-uris', 'https://app.example.com/callback']);
    expect(updated.code).toBe(0);
    expect(updated.stdout).toContain('redirect_uris: https://app.example.com/callback\npost_logout_redirect_uris:\nfirst_party: false\nrequire_par: false\n');
    expect(await cliEvents('client_updated', 'native')).toEqual([{ actor: 'cli', details: { fields: 'redirect_uris,first_party,require_par' } }]);
  });

  it('stores --name, the name users see, and prints it; update --name changes it, --no-name removes it', async () => {
    const args = ['--type', 'public', '--grants', 'authorization_code', '--redirect-uris', 'https://photos.example.com/cb'];
    const created = await tessera(['clients', 'create', 'photos', ...args, '--name', '  Photo Album  ']);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(await client('photos')).toMatchObject({ client_name: 'Photo Album' });
    const renamed = await tessera(['clients', 'update', 'photos', '--name', 'Albums & Co']);
    expect(renamed.code).toBe(0);
    expect(renamed.stdout).toContain('client_name: Albums & Co\n');
    const removed = await tessera(['clients', 'update', 'photos', '--no-name']);
    expect(removed.stdout).toContain('client_name:\n');
    expect(await client('photos')).toMatchObject({ client_name: null });
    expect(await cliEvents('client_updated', 'photos')).toEqual([
      { actor: 'cli', details: { fields: 'client_name' } },
      { actor: 'cli', details: { fields: 'client_name' } },
    ]);
    const empty = await tessera(['clients', 'create', 'nameless', ...args, '--name', ' ']);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toBe('tessera: --name: must be 1 to 100 characters\n');
    expect(await client('nameless')).toBeUndefined();
  });

  it('registers --post-logout-redirect-uris, shows them, update replaces them, and a fragment is refused', async () => {
    const uris = 'https://notes.example.com/bye,com.example.notes:/logout';
    const created = await tessera([
      'clients', 'create', 'notes', '--type', 'public', '--grants', 'authorization_code',
      '--redirect-uris', 'https://notes.example.com/cb', '--post-logout-redirect-uris', uris,
    ]);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(await client('notes')).toMatchObject({ post_logout_redirect_uris: uris.split(',') });
    const shown = await tessera(['clients', 'show', 'notes']);
    expect(shown.stdout).toContain(`redirect_uris: https://notes.example.com/cb\npost_logout_redirect_uris: ${uris}\n`);
    const updated = await tessera(['clients', 'update', 'notes', '--post-logout-redirect-uris', 'https://notes.example.com/signed-out']);
    expect(updated.code).toBe(0);
    expect(updated.stdout).toContain('post_logout_redirect_uris: https://notes.example.com/signed-out\n');
    expect(await cliEvents('client_updated', 'notes')).toEqual([{ actor: 'cli', details: { fields: 'post_logout_redirect_uris' } }]);
    const refused = await tessera(['clients', 'update', 'notes', '--post-logout-redirect-uris', 'https://notes.example.com/bye#top']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^tessera: --post-logout-redirect-uris: .*fragment/);
    expect(await client('notes')).toMatchObject({ post_logout_redirect_uris: ['https://notes.example.com/signed-out'] });
  });

  it('registers a client with --require-dpop, shows it, and --no-require-dpop turns it off', async () => {
    const created = await tessera(['clients', 'create', 'dpop-app', '--type', 'public', '--grants', 'password,refresh_token', '--require-dpop']);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(await client('dpop-app')).toMatchObject({ require_dpop: true });
    expect((await tessera(['clients', 'show', 'dpop-app'])).stdout).toContain('dpop_bound_access_tokens: true\n');
    const updated = await tessera(['clients', 'update', 'dpop-app', '--no-require-dpop']);
    expect(updated.code).toBe(0);
    expect(await client('dpop-app')).toMatchObject({ require_dpop: false });
    expect(await cliEvents('client_updated', 'dpop-app')).toEqual([{ actor: 'cli', details: { fields: 'dpop_bound_access_tokens' } }]);
  });

  it('registers a back-channel logout URI; shows it; update changes and removes it; refuses a fragment', async () => {
    const created = await tessera(['clients', 'create', 'rp-bc', '--type', 'public', '--grants', 'password', '--backchannel-logout-uri', 'https://rp.example.com/bc']);
    expect(created.code).toBe(0);
    expect((await tessera(['clients', 'show', 'rp-bc'])).stdout).toContain('backchannel_logout_uri: https://rp.example.com/bc\nbackchannel_logout_session_required: true\n');
    const updated = await tessera(['clients', 'update', 'rp-bc', '--backchannel-logout-uri', 'http://127.0.0.1:9/bc', '--no-backchannel-logout-session-required']);
    expect(updated.code).toBe(0);
    expect(await client('rp-bc')).toMatchObject({ backchannel_logout_uri: 'http://127.0.0.1:9/bc', backchannel_logout_session_required: false });
    const refused = await tessera(['clients', 'update', 'rp-bc', '--backchannel-logout-uri', 'https://rp.example.com/bc#x']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^tessera: --backchannel-logout-uri: .*fragment/);
    expect((await tessera(['clients', 'update', 'rp-bc', '--no-backchannel-logout-uri'])).code).toBe(0);
    expect(await client('rp-bc')).toMatchObject({ backchannel_logout_uri: null });
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
  it.each<[string, string[], { env?: Record<string, string>; input?: string }, RegExp, number]>([
    ['an unknown command', ['frobnicate'], {}, /unknown command "frobnicate"/, 2],
    ['an unknown subcommand', ['users', 'delete', 'alice'], {}, /unknown command "users delete"/, 2],
    ['an unknown option', ['users', 'create', 'carol', '--bogus'], { env: { TESSERA_PASSWORD: PASSWORD } }, /--bogus/, 2],
    ['a missing username', ['users', 'create'], { env: { TESSERA_PASSWORD: PASSWORD } }, /missing <username>/, 2],
    ['a missing --type', ['clients', 'create', 'new-client', '--grants', 'password'], {}, /--type/, 2],
    ['a missing --grants', confidential, {}, /--grants/, 2],
    ['a bad grant name', [...confidential, '--grants', 'password,implicit'], {}, /^tessera: --grants: unknown grant type "implicit"/, 2],
    ['a bad --type', ['clients', 'create', 'new-client', '--type', 'trusted', '--grants', 'password'], {}, /^tessera: --type must be confidential or public \(got "trusted"\)$/, 2],
    ['a bad --access-token-format', [...confidential, '--grants', 'password', '--access-token-format', 'saml'], {}, /^tessera: --access-token-format must be jwt or opaque/, 2],
    ['an origin with a path', [...confidential, '--grants', 'password', '--origins', 'https://app.example.com/login'], {}, /^tessera: --origins: /, 2],
    ['a duplicate username', ['users', 'create', 'taken'], { env: { TESSERA_PASSWORD: PASSWORD } }, /taken already exists/, 1],
    ['a duplicate client id', ['clients', 'create', 'taken-client', '--type', 'public', '--grants', 'password'], {}, /taken-client already exists/, 1],
    ['a short password', ['users', 'create', 'carol'], { env: { TESSERA_PASSWORD: 'short' } }, /^tessera: the password: must be at least 8/, 2],
    ['no password at all', ['users', 'create', 'carol'], { input: '' }, /^tessera: no password: set TESSERA_PASSWORD/, 2],
    ['a short --secret-stdin secret', [...confidential, '--grants', 'password', '--secret-stdin'], { input: 'too-short\n' }, /^tessera: the secret from standard input: must be at least/, 2],
    ['a public client with client_credentials', [...publicClient, '--grants', 'client_credentials'], {}, /^tessera: --grants: client_credentials needs a confidential client$/, 2],
    ['a zero --batch-size', ['cleanup', '--batch-size', '0'], {}, /--batch-size/, 2],
    ['a non-numeric --batch-size', ['cleanup', '--batch-size', 'all'], {}, /--batch-size/, 2],
    ['a set-password without a password', ['users', 'set-password', 'taken'], { input: '' }, /^tessera: no password: set TESSERA_PASSWORD/, 2],
    ['a set-password too short', ['users', 'set-password', 'taken'], { env: { TESSERA_PASSWORD: 'short' } }, /^tessera: the password: /, 2],
    ['an empty --audience', [...confidential, '--grants', 'password', '--audience', ' '], {}, /^tessera: --audience: may not be empty$/, 2],
    ['an update breaking a rule', ['clients', 'update', 'taken-client', '--introspect'], {}, /^tessera: --introspect: needs a confidential client$/, 2],
    ['a rotation for a public client', ['clients', 'rotate-secret', 'taken-client'], {}, /^tessera: <client_id>: names a public client/, 2],
    ['an unknown user', ['users', 'disable', 'nobody'], {}, /^tessera: <username>: no user named "nobody"$/, 1],
    ['an unknown client', ['clients', 'delete', 'nobody'], {}, /^tessera: <client_id>: no client "nobody"$/, 1],
    ['authorization_code without a redirect URI', [...publicClient, '--grants', 'authorization_code'], {}, /^tessera: --redirect-uris: the authorization_code grant needs/, 2],
    ['a redirect URI with a fragment', [...publicClient, '--grants', 'authorization_code', '--redirect-uris', 'https://app.example.com/cb#x'], {}, /^tessera: --redirect-uris: .*fragment/, 2],
    ['a javascript: redirect URI', [...publicClient, '--grants', 'authorization_code', '--redirect-uris', 'javascript:alert(1)'], {}, /^tessera: --redirect-uris: .*private-use scheme/, 2],
    ['--require-par without the code grant', [...publicClient, '--grants', 'password', '--require-par'], {}, /^tessera: --require-par: needs the authorization_code grant$/, 2],
    ['an argument to cleanup', ['cleanup', 'everything'], {}, /unexpected argument "everything"/, 2],
  ])('refuses %s with one line on stderr and writes nothing', async (_case, args, options, reason, code) => {
    const before = await contents();
    const result = await tessera(args, options);
    const line = expectOneLineFailure(result, code);
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
    // The tests above leave revocation events whose bound passes while this file runs on a
    // slow machine; they would be counted here. Start the feed from this test's rows only.
    await query(`DELETE FROM revocation_events`);
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
      'deleted: opaque_access_tokens=1 refresh_tokens=5 families=2 revoked_access_tokens=1 revocation_events=3 audit_events=0 login_throttle=0 authorization_codes=0 pushed_authorization_requests=0 login_sessions=0 dpop_proofs=0 backchannel_logouts=0 webauthn_challenges=0 second_factor_challenges=0 console_sessions=0\n',
    );

    expect(await query(`SELECT id FROM families WHERE client_id = 'cleanup-client'`)).toEqual([{ id: live }]);
    expect(await query(`SELECT family_id FROM refresh_tokens WHERE family_id IN (SELECT id FROM families WHERE client_id = 'cleanup-client')`)).toEqual([
      { family_id: live },
      { family_id: live },
    ]);
    expect(await query(`SELECT jti FROM opaque_access_tokens WHERE client_id = 'cleanup-client'`)).toEqual([{ jti: 'live-jti' }]);
    expect(await query(`SELECT jti FROM revoked_access_tokens WHERE jti IN ('old-jti', 'live-jti')`)).toEqual([{ jti: 'live-jti' }]);
    // Every spent event goes (the users tests above left live events of other kinds).
    expect(await query(`SELECT subject FROM revocation_events WHERE kind = 'jti' ORDER BY id`)).toEqual([{ subject: 'live-jti' }]);
    expect(await query(`SELECT count(*)::int AS count FROM audit_events`)).toEqual(audit);

    const again = await tessera(['cleanup']);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(
      'deleted: opaque_access_tokens=0 refresh_tokens=0 families=0 revoked_access_tokens=0 revocation_events=0 audit_events=0 login_throttle=0 authorization_codes=0 pushed_authorization_requests=0 login_sessions=0 dpop_proofs=0 backchannel_logouts=0 webauthn_challenges=0 second_factor_challenges=0 console_sessions=0\n',
    );
  });
});

// Last in this file: it leaves an RS256 key pending, and every later run without SIGNING_ALG would warn.
describe('tessera keys rotate and SIGNING_ALG', () => {
  const keys = () => query<{ kid: string; alg: string; retired_at: Date | null }>('SELECT kid, alg, retired_at FROM signing_keys ORDER BY activates_at');

  it('a run with another SIGNING_ALG warns how to rotate and changes no key; keys rotate adds a pending key of that alg', async () => {
    expect((await tessera(['users', 'list'])).code).toBe(0);
    const before = await keys();
    expect(before.filter((key) => key.retired_at === null)).toEqual([expect.objectContaining({ alg: 'ES256' })]);

    const other = await tessera(['clients', 'list'], { env: { SIGNING_ALG: 'RS256' } });
    expect(other.code).toBe(0);
    expect(lines(other.stderr)).toEqual([
      'tessera: warning: SIGNING_ALG is RS256 but the signing key is ES256, which keeps signing; to change it run `tessera keys rotate` with SIGNING_ALG=RS256',
    ]);
    expect(await keys()).toEqual(before);

    const rotated = await tessera(['keys', 'rotate'], { env: { SIGNING_ALG: 'RS256' } });
    expect(rotated.stderr).toBe('');
    expect(rotated.code).toBe(0);
    const kid = field(rotated.stdout, 'pending key');
    expect(field(rotated.stdout, 'alg')).toBe('RS256');
    const [row] = await query<{ alg: string; delay: number }>(
      `SELECT alg, extract(epoch FROM activates_at - created_at)::int AS delay FROM signing_keys WHERE kid = $1`,
      [kid],
    );
    expect(row).toEqual({ alg: 'RS256', delay: 60 });

    const again = await tessera(['keys', 'rotate'], { env: { SIGNING_ALG: 'RS256' } });
    expect(expectOneLineFailure(again, 1)).toContain(`key ${kid} is already pending`);
    expect(await keys()).toHaveLength(before.length + 1);
  });
});
