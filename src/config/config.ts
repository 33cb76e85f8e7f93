import { isAbsolute, resolve } from 'node:path';
import { parseTrustProxy, type TrustProxy } from './trust-proxy.js';
import { databaseTargets, type DatabaseTargets } from './database-url.js';

export type SigningAlg = 'ES256' | 'EdDSA' | 'RS256';
export const SIGNING_ALGS: readonly SigningAlg[] = ['ES256', 'EdDSA', 'RS256'];
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
/** `auto`: human-readable lines when standard output is a terminal, JSON lines otherwise. */
export type LogFormat = 'auto' | 'json' | 'pretty';
const LOG_FORMATS: readonly LogFormat[] = ['auto', 'json', 'pretty'];

/** The one typed view of the environment. Nothing outside config/ reads process.env. */
export interface AppConfig {
  readonly nodeEnv: string;
  readonly production: boolean;
  /** undefined → the embedded PGlite database under dataDir */
  readonly databaseUrl: string | undefined;
  /**
   * connections in this process's pool; the revocation listener holds one more of its own
   * (see the README's sizing paragraph)
   */
  readonly databasePoolSize: number;
  /**
   * a direct connection used only to LISTEN for revocations, for a DATABASE_URL that goes
   * through a transaction-mode pooler (where LISTEN silently receives nothing)
   */
  readonly databaseListenUrl: string | undefined;
  readonly host: string;
  readonly port: number;
  readonly issuer: string;
  readonly accessTokenTtl: number;
  readonly accessTokenAudience: string;
  readonly refreshIdleTtl: number;
  readonly refreshAbsoluteTtl: number;
  readonly refreshReuseGrace: number;
  /** seconds a Tessera login session (the hosted pages' cookie) lives unused */
  readonly loginSessionIdleTtl: number;
  /** seconds a login session lives after its password was entered, however used */
  readonly loginSessionAbsoluteTtl: number;
  /** every client must push its authorization requests (RFC 9126 §5), not only those registered --require-par */
  readonly requirePar: boolean;
  /** RFC 9449 §8: DPoP proofs at the token endpoint must carry a server nonce (DPoP-Nonce) */
  readonly dpopRequireNonce: boolean;
  readonly signingAlg: SigningAlg;
  /** seconds a rotated key is published in the JWKS before it signs (longer than verifiers' JWKS cool-downs) */
  readonly keyPublishDelay: number;
  /** undefined only outside production, before dev secrets are filled in */
  readonly keyEncryptionSecret: string | undefined;
  readonly tokenHashSecret: string | undefined;
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;
  /**
   * On SIGTERM, how long the listener stays open answering new requests 503 (with
   * Retry-After and Connection: close) before it closes, so that load balancers see the
   * refusal and move on instead of meeting a reset
   */
  readonly shutdownDrainMs: number;
  readonly dataDir: string;
  /** how often each process re-reads the revocation feed even without a notification */
  readonly revocationPollIntervalMs: number;
  /** older than this, the in-process revocation view is not trusted: introspection answers 503 */
  readonly revocationMaxStalenessMs: number;
  /**
   * seconds a process's own clock may be off the database's before it refuses to serve
   * (boot and /readyz); 0: never. Within it, the process follows the database's clock.
   */
  readonly clockSkewMax: number;
  /** verified access tokens (and user names) kept in memory; 0 turns the caches off */
  readonly introspectionCacheSize: number;
  /** revocations the in-process view holds; beyond it, introspection asks the database */
  readonly revocationViewMaxEntries: number;
  /** Which X-Forwarded-For entries name the client (see trust-proxy.ts). */
  readonly trustProxy: TrustProxy;
  /** failed logins per (username, client IP) before each further one doubles a wait */
  readonly loginMaxFailures: number;
  /** the longest that wait gets, in seconds */
  readonly loginLockoutMax: number;
  /** failed logins per username from all IPs within loginAccountWindow before that name waits out the window */
  readonly loginAccountMaxFailures: number;
  readonly loginAccountWindow: number;
  /** introspections of unknown or unverifiable tokens per client and window (per process); 0 = no limit */
  readonly introspectionMaxFailures: number;
  readonly introspectionFailureWindow: number;
  /** failed client authentications per (client_id, client IP) and minute (per process); 0 = no limit */
  readonly clientAuthMaxFailures: number;
  /** seconds between two runs of the in-process janitor; 0: never (use `tessera cleanup`) */
  readonly janitorInterval: number;
  /** rows the janitor deletes per statement, so no statement holds its locks for long */
  readonly janitorBatchSize: number;
  /** seconds audit events are kept; 0: forever (the default, CONTRACT "GET /admin/events") */
  readonly auditRetention: number;
  /** production: back-channel logout may POST to private, loopback and link-local addresses (default: refused, SSRF) */
  readonly backchannelAllowPrivateNetworks: boolean;
}

export interface ResolvedConfig extends AppConfig {
  readonly keyEncryptionSecret: string;
  readonly tokenHashSecret: string;
}

/** A bad setting: the message is one line naming the variable and what it expected. */
export class ConfigError extends Error {
  constructor(variable: string, expected: string, got?: string) {
    const shown = got === undefined ? '' : ` (got ${JSON.stringify(got.length > 40 ? `${got.slice(0, 40)}…` : got)})`;
    super(`${variable} must be ${expected}${shown}`);
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

const MIN_SECRET_LENGTH = 32;

function present(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = present(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `an integer from ${min} to ${max}`, raw);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `an integer from ${min} to ${max}`, raw);
  return value;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = present(env, name);
  if (raw === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(raw)) throw new ConfigError(name, `one of ${allowed.join(', ')}`, raw);
  return raw as T;
}

function url(env: Env, name: string, protocols: readonly string[]): string | undefined {
  const raw = present(env, name);
  if (raw === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, `a URL (${protocols.join(' or ')})`, name.startsWith('DATABASE_') ? undefined : raw);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `a URL (${protocols.join(' or ')})`, name.startsWith('DATABASE_') ? undefined : raw);
  }
  return raw;
}

/** A Postgres URL, which may list several hosts (see databaseTargets). */
function postgresUrl(env: Env, name: string): string | undefined {
  const raw = present(env, name);
  if (raw === undefined) return undefined;
  let targets: DatabaseTargets | undefined;
  try {
    targets = databaseTargets(raw);
  } catch (error) {
    throw new ConfigError(name, (error as Error).message);
  }
  // The URL with its first host only: the WHATWG parser refuses a list of hosts.
  url({ [name]: targets?.firstHostUrl ?? raw }, name, ['postgres:', 'postgresql:']);
  return raw;
}

function secret(env: Env, name: string, production: boolean): string | undefined {
  const raw = present(env, name);
  if (raw === undefined) {
    if (production) throw new ConfigError(name, `set when NODE_ENV=production (at least ${MIN_SECRET_LENGTH} characters)`);
    return undefined;
  }
  // Never echo a secret back, not even a bad one.
  if (raw.length < MIN_SECRET_LENGTH) throw new ConfigError(name, `at least ${MIN_SECRET_LENGTH} characters long`);
  return raw;
}

function flag(env: Env, name: string, fallback: boolean): boolean {
  const raw = present(env, name);
  if (raw === undefined) return fallback;
  if (raw !== 'true' && raw !== 'false') throw new ConfigError(name, 'true or false', raw);
  return raw === 'true';
}

/** Validates the environment once, at boot, into a frozen typed object. Throws ConfigError. */
export function loadConfig(env: Env, cwd = process.cwd()): AppConfig {
  const nodeEnv = present(env, 'NODE_ENV') ?? 'development';
  const production = nodeEnv === 'production';
  const port = integer(env, 'PORT', 3000, 0, 65535);
  const host = present(env, 'HOST') ?? '127.0.0.1';
  const issuer = (url(env, 'ISSUER', ['http:', 'https:']) ?? `http://localhost:${port}`).replace(/\/+$/, '');
  if (production && !issuer.startsWith('https:')) {
    // RFC 8414 §2: the issuer is an https URL; plain http is for development only.
    throw new ConfigError('ISSUER', 'an https URL when NODE_ENV=production', issuer);
  }
  const refreshIdleTtl = integer(env, 'REFRESH_IDLE_TTL', 1_209_600, 1, 31_536_000);
  const refreshAbsoluteTtl = integer(env, 'REFRESH_ABSOLUTE_TTL', 2_592_000, 1, 315_360_000);
  if (refreshIdleTtl > refreshAbsoluteTtl) {
    throw new ConfigError('REFRESH_IDLE_TTL', `at most REFRESH_ABSOLUTE_TTL (${refreshAbsoluteTtl})`, String(refreshIdleTtl));
  }
  const loginSessionIdleTtl = integer(env, 'LOGIN_SESSION_IDLE_TTL', 86_400, 1, 31_536_000);
  const loginSessionAbsoluteTtl = integer(env, 'LOGIN_SESSION_ABSOLUTE_TTL', 1_209_600, 1, 315_360_000);
  if (loginSessionIdleTtl > loginSessionAbsoluteTtl) {
    throw new ConfigError('LOGIN_SESSION_IDLE_TTL', `at most LOGIN_SESSION_ABSOLUTE_TTL (${loginSessionAbsoluteTtl})`, String(loginSessionIdleTtl));
  }
  const dataDirRaw = present(env, 'TESSERA_DATA_DIR') ?? '.tessera';
  const revocationPollIntervalMs = integer(env, 'REVOCATION_POLL_INTERVAL_MS', 1_000, 50, 60_000);
  const revocationMaxStalenessMs = integer(env, 'REVOCATION_MAX_STALENESS_MS', 5_000, 100, 600_000);
  if (revocationMaxStalenessMs <= revocationPollIntervalMs) {
    // Otherwise a healthy process would call its own view stale between two polls.
    throw new ConfigError(
      'REVOCATION_MAX_STALENESS_MS',
      `greater than REVOCATION_POLL_INTERVAL_MS (${revocationPollIntervalMs})`,
      String(revocationMaxStalenessMs),
    );
  }
  const databaseUrl = postgresUrl(env, 'DATABASE_URL');
  const databaseListenUrl = postgresUrl(env, 'DATABASE_LISTEN_URL');
  if (databaseListenUrl !== undefined && databaseUrl === undefined) {
    throw new ConfigError('DATABASE_LISTEN_URL', 'unset without DATABASE_URL (the embedded database has no server to listen to)');
  }
  return Object.freeze({
    nodeEnv,
    production,
    databaseUrl,
    databasePoolSize: integer(env, 'DATABASE_POOL_SIZE', 10, 1, 1_000),
    databaseListenUrl,
    host,
    port,
    issuer,
    accessTokenTtl: integer(env, 'ACCESS_TOKEN_TTL', 300, 1, 86_400),
    accessTokenAudience: present(env, 'ACCESS_TOKEN_AUDIENCE') ?? issuer,
    refreshIdleTtl,
    refreshAbsoluteTtl,
    refreshReuseGrace: integer(env, 'REFRESH_REUSE_GRACE', 10, 0, 300),
    loginSessionIdleTtl,
    loginSessionAbsoluteTtl,
    requirePar: flag(env, 'REQUIRE_PAR', false),
    dpopRequireNonce: flag(env, 'DPOP_REQUIRE_NONCE', true),
    signingAlg: oneOf(env, 'SIGNING_ALG', SIGNING_ALGS, 'ES256'),
    keyPublishDelay: integer(env, 'KEY_PUBLISH_DELAY', 60, 0, 86_400),
    keyEncryptionSecret: secret(env, 'KEY_ENCRYPTION_SECRET', production),
    tokenHashSecret: secret(env, 'TOKEN_HASH_SECRET', production),
    logLevel: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
    logFormat: oneOf(env, 'LOG_FORMAT', LOG_FORMATS, 'auto'),
    shutdownDrainMs: integer(env, 'SHUTDOWN_DRAIN_MS', 3_000, 0, 120_000),
    dataDir: isAbsolute(dataDirRaw) ? dataDirRaw : resolve(cwd, dataDirRaw),
    revocationPollIntervalMs,
    revocationMaxStalenessMs,
    clockSkewMax: integer(env, 'CLOCK_SKEW_MAX_SECONDS', 30, 0, 86_400),
    introspectionCacheSize: integer(env, 'INTROSPECTION_CACHE_SIZE', 10_000, 0, 1_000_000),
    revocationViewMaxEntries: integer(env, 'REVOCATION_VIEW_MAX_ENTRIES', 100_000, 1, 10_000_000),
    trustProxy: parseTrustProxy(present(env, 'TRUST_PROXY'), production),
    loginMaxFailures: integer(env, 'LOGIN_MAX_FAILURES', 5, 1, 1_000),
    loginLockoutMax: integer(env, 'LOGIN_LOCKOUT_MAX', 900, 1, 86_400),
    loginAccountMaxFailures: integer(env, 'LOGIN_ACCOUNT_MAX_FAILURES', 20, 1, 100_000),
    loginAccountWindow: integer(env, 'LOGIN_ACCOUNT_WINDOW', 900, 1, 86_400),
    introspectionMaxFailures: integer(env, 'INTROSPECTION_MAX_FAILURES', 300, 0, 1_000_000),
    introspectionFailureWindow: integer(env, 'INTROSPECTION_FAILURE_WINDOW', 60, 1, 86_400),
    clientAuthMaxFailures: integer(env, 'CLIENT_AUTH_MAX_FAILURES', 20, 0, 1_000_000),
    janitorInterval: integer(env, 'JANITOR_INTERVAL', 3_600, 0, 604_800),
    janitorBatchSize: integer(env, 'JANITOR_BATCH_SIZE', 1_000, 1, 100_000),
    auditRetention: integer(env, 'AUDIT_RETENTION', 0, 0, 3_153_600_000),
    backchannelAllowPrivateNetworks: flag(env, 'BACKCHANNEL_ALLOW_PRIVATE_NETWORKS', false),
  });
}
