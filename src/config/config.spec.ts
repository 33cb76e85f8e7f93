import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './config.js';
import { withSecrets } from './dev-secrets.js';

type Env = Record<string, string>;

const CWD = join(tmpdir(), 'tessera-config-cwd');
const SECRETS = {
  KEY_ENCRYPTION_SECRET: 'k'.repeat(32),
  TOKEN_HASH_SECRET: 't'.repeat(40),
};

function failure(env: Env): ConfigError {
  try {
    loadConfig(env, CWD);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  it('defaults every setting', () => {
    expect(loadConfig({}, CWD)).toStrictEqual({
      nodeEnv: 'development',
      production: false,
      databaseUrl: undefined,
      databasePoolSize: 10,
      databaseListenUrl: undefined,
      host: '127.0.0.1',
      port: 3000,
      issuer: 'http://localhost:3000',
      accessTokenTtl: 300,
      accessTokenAudience: 'http://localhost:3000',
      refreshIdleTtl: 1_209_600,
      refreshAbsoluteTtl: 2_592_000,
      refreshReuseGrace: 10,
      loginSessionIdleTtl: 86_400,
      loginSessionAbsoluteTtl: 1_209_600,
      requirePar: false,
      dpopRequireNonce: true,
      signingAlg: 'ES256',
      keyPublishDelay: 60,
      keyEncryptionSecret: undefined,
      tokenHashSecret: undefined,
      logLevel: 'info',
      logFormat: 'auto',
      shutdownDrainMs: 3_000,
      dataDir: join(CWD, '.tessera'),
      revocationPollIntervalMs: 1_000,
      revocationMaxStalenessMs: 5_000,
      clockSkewMax: 30,
      introspectionCacheSize: 10_000,
      revocationViewMaxEntries: 100_000,
      trustProxy: false,
      loginMaxFailures: 5,
      loginLockoutMax: 900,
      loginAccountMaxFailures: 20,
      loginAccountWindow: 900,
      introspectionMaxFailures: 300,
      introspectionFailureWindow: 60,
      clientAuthMaxFailures: 20,
      janitorInterval: 3_600,
      janitorBatchSize: 1_000,
      auditRetention: 0,
      backchannelAllowPrivateNetworks: false,
    });
  });

  it('reads every setting from the environment', () => {
    const config = loadConfig(
      {
        NODE_ENV: 'production',
        DATABASE_URL: 'postgresql://tessera@db.internal:5432/tessera',
        DATABASE_POOL_SIZE: '25',
        DATABASE_LISTEN_URL: 'postgres://tessera@db-direct.internal:5432/tessera',
        HOST: '0.0.0.0',
        PORT: '8080',
        ISSUER: 'https://auth.example.com/',
        ACCESS_TOKEN_TTL: '60',
        ACCESS_TOKEN_AUDIENCE: 'https://api.example.com',
        REFRESH_IDLE_TTL: '3600',
        REFRESH_ABSOLUTE_TTL: '7200',
        REFRESH_REUSE_GRACE: '0',
        LOGIN_SESSION_IDLE_TTL: '1800',
        LOGIN_SESSION_ABSOLUTE_TTL: '28800',
        REQUIRE_PAR: 'true',
        SIGNING_ALG: 'EdDSA',
        KEY_PUBLISH_DELAY: '120',
        LOG_LEVEL: 'warn',
        LOG_FORMAT: 'json',
        SHUTDOWN_DRAIN_MS: '10000',
        TESSERA_DATA_DIR: 'state',
        REVOCATION_POLL_INTERVAL_MS: '250',
        REVOCATION_MAX_STALENESS_MS: '2000',
        CLOCK_SKEW_MAX_SECONDS: '0',
        INTROSPECTION_CACHE_SIZE: '0',
        REVOCATION_VIEW_MAX_ENTRIES: '500',
        TRUST_PROXY: '2',
        LOGIN_MAX_FAILURES: '3',
        LOGIN_LOCKOUT_MAX: '600',
        LOGIN_ACCOUNT_MAX_FAILURES: '50',
        LOGIN_ACCOUNT_WINDOW: '3600',
        INTROSPECTION_MAX_FAILURES: '0',
        INTROSPECTION_FAILURE_WINDOW: '10',
        CLIENT_AUTH_MAX_FAILURES: '5',
        JANITOR_INTERVAL: '0',
        JANITOR_BATCH_SIZE: '50',
        AUDIT_RETENTION: '31536000',
        DPOP_REQUIRE_NONCE: 'false',
        BACKCHANNEL_ALLOW_PRIVATE_NETWORKS: 'true',
        ...SECRETS,
      },
      CWD,
    );
    expect(config).toStrictEqual({
      nodeEnv: 'production',
      production: true,
      databaseUrl: 'postgresql://tessera@db.internal:5432/tessera',
      databasePoolSize: 25,
      databaseListenUrl: 'postgres://tessera@db-direct.internal:5432/tessera',
      host: '0.0.0.0',
      port: 8080,
      // RFC 8414 §2: the issuer has no trailing slash; it is a prefix of every endpoint.
      issuer: 'https://auth.example.com',
      accessTokenTtl: 60,
      accessTokenAudience: 'https://api.example.com',
      refreshIdleTtl: 3600,
      refreshAbsoluteTtl: 7200,
      refreshReuseGrace: 0,
      loginSessionIdleTtl: 1800,
      loginSessionAbsoluteTtl: 28_800,
      requirePar: true,
      dpopRequireNonce: false,
      signingAlg: 'EdDSA',
      keyPublishDelay: 120,
      keyEncryptionSecret: SECRETS.KEY_ENCRYPTION_SECRET,
      tokenHashSecret: SECRETS.TOKEN_HASH_SECRET,
      logLevel: 'warn',
      logFormat: 'json',
      shutdownDrainMs: 10_000,
      dataDir: join(CWD, 'state'),
      revocationPollIntervalMs: 250,
      revocationMaxStalenessMs: 2000,
      clockSkewMax: 0,
      introspectionCacheSize: 0,
      revocationViewMaxEntries: 500,
      trustProxy: 2,
      loginMaxFailures: 3,
      loginLockoutMax: 600,
      loginAccountMaxFailures: 50,
      loginAccountWindow: 3600,
      introspectionMaxFailures: 0,
      introspectionFailureWindow: 10,
      clientAuthMaxFailures: 5,
      janitorInterval: 0,
      janitorBatchSize: 50,
      auditRetention: 31_536_000,
      backchannelAllowPrivateNetworks: true,
    });
  });

  it('derives the default issuer and audience from PORT', () => {
    const config = loadConfig({ PORT: '4000' }, CWD);
    expect(config.issuer).toBe('http://localhost:4000');
    expect(config.accessTokenAudience).toBe('http://localhost:4000');
  });

  it('returns a frozen object', () => {
    const config = loadConfig({}, CWD);
    expect(Object.isFrozen(config)).toBe(true);
    expect(() => {
      (config as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(config.port).toBe(3000);
  });

  it.each<[string, string, Env]>([
    ['PORT', 'not a number', { PORT: 'abc' }],
    ['PORT', 'above 65535', { PORT: '70000' }],
    ['PORT', 'negative', { PORT: '-1' }],
    ['ACCESS_TOKEN_TTL', 'zero', { ACCESS_TOKEN_TTL: '0' }],
    ['REFRESH_REUSE_GRACE', 'a fraction', { REFRESH_REUSE_GRACE: '1.5' }],
    ['SIGNING_ALG', 'HS256', { SIGNING_ALG: 'HS256' }],
    ['SIGNING_ALG', 'none', { SIGNING_ALG: 'none' }],
    ['KEY_PUBLISH_DELAY', 'negative', { KEY_PUBLISH_DELAY: '-1' }],
    ['KEY_PUBLISH_DELAY', 'above a day', { KEY_PUBLISH_DELAY: '86401' }],
    ['LOG_LEVEL', 'loud', { LOG_LEVEL: 'loud' }],
    ['LOG_FORMAT', 'colour', { LOG_FORMAT: 'colour' }],
    ['DATABASE_URL', 'mysql://x', { DATABASE_URL: 'mysql://x' }],
    ['DATABASE_URL', 'not a url', { DATABASE_URL: 'not a url' }],
    ['DATABASE_POOL_SIZE', 'zero', { DATABASE_POOL_SIZE: '0' }],
    ['DATABASE_LISTEN_URL', 'not a postgres URL', { DATABASE_URL: 'postgres://db/x', DATABASE_LISTEN_URL: 'http://db/x' }],
    ['DATABASE_LISTEN_URL', 'without DATABASE_URL', { DATABASE_LISTEN_URL: 'postgres://db/x' }],
    ['DATABASE_POOL_SIZE', 'above 1000', { DATABASE_POOL_SIZE: '1001' }],
    ['DATABASE_POOL_SIZE', 'not a number', { DATABASE_POOL_SIZE: 'ten' }],
    ['ISSUER', 'not a url', { ISSUER: 'not a url' }],
    ['ISSUER', 'an ftp URL', { ISSUER: 'ftp://auth.example.com' }],
    ['ISSUER', 'http in production', { NODE_ENV: 'production', ISSUER: 'http://auth.example.com', ...SECRETS }],
    ['REFRESH_IDLE_TTL', 'above REFRESH_ABSOLUTE_TTL', { REFRESH_IDLE_TTL: '7201', REFRESH_ABSOLUTE_TTL: '7200' }],
    ['REQUIRE_PAR', 'yes', { REQUIRE_PAR: 'yes' }],
    ['DPOP_REQUIRE_NONCE', 'on', { DPOP_REQUIRE_NONCE: 'on' }],
    ['LOGIN_SESSION_IDLE_TTL', 'above LOGIN_SESSION_ABSOLUTE_TTL', { LOGIN_SESSION_IDLE_TTL: '7201', LOGIN_SESSION_ABSOLUTE_TTL: '7200' }],
    ['REVOCATION_MAX_STALENESS_MS', 'not above the poll interval', { REVOCATION_POLL_INTERVAL_MS: '1000', REVOCATION_MAX_STALENESS_MS: '1000' }],
    ['CLOCK_SKEW_MAX_SECONDS', 'negative', { CLOCK_SKEW_MAX_SECONDS: '-1' }],
    ['INTROSPECTION_CACHE_SIZE', 'negative', { INTROSPECTION_CACHE_SIZE: '-5' }],
    ['REVOCATION_VIEW_MAX_ENTRIES', 'zero', { REVOCATION_VIEW_MAX_ENTRIES: '0' }],
    ['LOGIN_MAX_FAILURES', 'zero', { LOGIN_MAX_FAILURES: '0' }],
    ['LOGIN_LOCKOUT_MAX', 'above a day', { LOGIN_LOCKOUT_MAX: '86401' }],
    ['LOGIN_ACCOUNT_MAX_FAILURES', 'not a number', { LOGIN_ACCOUNT_MAX_FAILURES: 'many' }],
    ['LOGIN_ACCOUNT_WINDOW', 'zero', { LOGIN_ACCOUNT_WINDOW: '0' }],
    ['INTROSPECTION_MAX_FAILURES', 'negative', { INTROSPECTION_MAX_FAILURES: '-1' }],
    ['INTROSPECTION_FAILURE_WINDOW', 'zero', { INTROSPECTION_FAILURE_WINDOW: '0' }],
    ['CLIENT_AUTH_MAX_FAILURES', 'a fraction', { CLIENT_AUTH_MAX_FAILURES: '2.5' }],
    ['JANITOR_INTERVAL', 'not a number', { JANITOR_INTERVAL: 'hourly' }],
    ['JANITOR_INTERVAL', 'above a week', { JANITOR_INTERVAL: '604801' }],
    ['JANITOR_BATCH_SIZE', 'zero', { JANITOR_BATCH_SIZE: '0' }],
    ['AUDIT_RETENTION', 'negative', { AUDIT_RETENTION: '-1' }],
  ])('refuses %s (%s) with one line naming it', (variable, _label, env) => {
    const error = failure(env);
    expect(error.name).toBe('ConfigError');
    expect(error.message.startsWith(`${variable} `)).toBe(true);
    expect(error.message).not.toMatch(/[\r\n]/);
  });

  it.each(['KEY_ENCRYPTION_SECRET', 'TOKEN_HASH_SECRET'])('refuses a %s shorter than 32 characters without echoing it', (variable) => {
    const value = 'hunter2-is-31-characters-long!!';
    expect(value).toHaveLength(31);
    const error = failure({ [variable]: value });
    expect(error.message.startsWith(`${variable} `)).toBe(true);
    expect(error.message).toContain('32');
    expect(error.message).not.toContain('hunter2');
    expect(error.message).not.toMatch(/[\r\n]/);
  });

  it('never echoes a DATABASE_URL, which may hold a password', () => {
    for (const url of ['mysql://root:s3cr3t-pw@db/x', 'postgres://root:s3cr3t-pw@db:port/x']) {
      const error = failure({ DATABASE_URL: url });
      expect(error.message.startsWith('DATABASE_URL ')).toBe(true);
      expect(error.message).not.toContain('s3cr3t-pw');
      const listen = failure({ DATABASE_URL: 'postgres://db/x', DATABASE_LISTEN_URL: url });
      expect(listen.message.startsWith('DATABASE_LISTEN_URL ')).toBe(true);
      expect(listen.message).not.toContain('s3cr3t-pw');
    }
  });

  it.each(['KEY_ENCRYPTION_SECRET', 'TOKEN_HASH_SECRET'])('refuses NODE_ENV=production without %s', (variable) => {
    const env: Env = { NODE_ENV: 'production', ISSUER: 'https://auth.example.com', ...SECRETS };
    delete env[variable];
    const error = failure(env);
    expect(error.message.startsWith(`${variable} `)).toBe(true);
    expect(error.message).toContain('NODE_ENV=production');
    expect(error.message).not.toMatch(/[\r\n]/);
  });

  it('treats a blank secret as missing in production', () => {
    const error = failure({ NODE_ENV: 'production', ISSUER: 'https://auth.example.com', ...SECRETS, TOKEN_HASH_SECRET: '   ' });
    expect(error.message.startsWith('TOKEN_HASH_SECRET ')).toBe(true);
  });

  it('boots in production with an https issuer and both secrets', () => {
    const config = loadConfig({ NODE_ENV: 'production', ISSUER: 'https://auth.example.com', ...SECRETS }, CWD);
    expect(config.production).toBe(true);
    expect(config.keyEncryptionSecret).toBe(SECRETS.KEY_ENCRYPTION_SECRET);
  });
});

describe('withSecrets', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'tessera-secrets-'));
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('generates both secrets once into secrets.json, mode 0600, and reuses them', () => {
    const dataDir = join(root, 'data');
    const config = loadConfig({ TESSERA_DATA_DIR: dataDir }, CWD);
    const first = withSecrets(config);
    expect(first.keyEncryptionSecret.length).toBeGreaterThanOrEqual(32);
    expect(first.tokenHashSecret.length).toBeGreaterThanOrEqual(32);
    expect(first.keyEncryptionSecret).not.toBe(first.tokenHashSecret);
    expect(Object.isFrozen(first)).toBe(true);

    const file = join(dataDir, 'secrets.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({
      keyEncryptionSecret: first.keyEncryptionSecret,
      tokenHashSecret: first.tokenHashSecret,
    });

    const second = withSecrets(loadConfig({ TESSERA_DATA_DIR: dataDir }, CWD));
    expect(second.keyEncryptionSecret).toBe(first.keyEncryptionSecret);
    expect(second.tokenHashSecret).toBe(first.tokenHashSecret);
  });

  it('keeps secrets from the environment and writes nothing when both are set', () => {
    const dataDir = join(root, 'data');
    const resolved = withSecrets(loadConfig({ TESSERA_DATA_DIR: dataDir, ...SECRETS }, CWD));
    expect(resolved.keyEncryptionSecret).toBe(SECRETS.KEY_ENCRYPTION_SECRET);
    expect(resolved.tokenHashSecret).toBe(SECRETS.TOKEN_HASH_SECRET);
    expect(() => statSync(join(dataDir, 'secrets.json'))).toThrow(/^ENOENT: /);
  });

  it('fills in only the secret the environment lacks', () => {
    const dataDir = join(root, 'data');
    const generated = withSecrets(loadConfig({ TESSERA_DATA_DIR: dataDir }, CWD));
    const mixed = withSecrets(loadConfig({ TESSERA_DATA_DIR: dataDir, TOKEN_HASH_SECRET: SECRETS.TOKEN_HASH_SECRET }, CWD));
    expect(mixed.tokenHashSecret).toBe(SECRETS.TOKEN_HASH_SECRET);
    expect(mixed.keyEncryptionSecret).toBe(generated.keyEncryptionSecret);
  });
});
