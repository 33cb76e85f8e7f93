import { createServer } from 'node:net';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../../src/bootstrap.js';
import { loadConfig, type ResolvedConfig } from '../../src/config/config.js';
import type { TesseraLogger } from '../../src/logging/logger.js';
import { FakeClock } from './clock.js';
import { createTestDatabase, type TestDatabase } from './database.js';

export const TEST_SECRETS = {
  KEY_ENCRYPTION_SECRET: 'test-key-encryption-secret-0123456789abcdef',
  TOKEN_HASH_SECRET: 'test-token-hash-secret-0123456789abcdefghij',
};

export interface TestApp {
  readonly app: NestFastifyApplication;
  /** http://127.0.0.1:<port> of the listening server */
  readonly url: string;
  readonly db: TestDatabase;
  readonly clock: FakeClock;
  readonly config: ResolvedConfig;
  close(): Promise<void>;
}

export interface StartOptions {
  /** reuse a database instead of creating (and later dropping) one */
  readonly db?: TestDatabase;
  /**
   * listen on this port of 127.0.0.1 instead of a random one: lets a test set ISSUER to
   * the server's own URL before it starts (see freePort). Default: 0, any free port.
   */
  readonly port?: number;
  /** the injected clock; default: a FakeClock at 2026-01-01T00:00:00Z */
  readonly clock?: FakeClock;
  /**
   * run on the database's clock, `clock` being only the process's own clock measured
   * against it (as production does with the system clock); default false: `clock` rules
   */
  readonly databaseClock?: boolean;
  /** where the application logs; default: LOG_LEVEL's */
  readonly logger?: TesseraLogger;
}

/**
 * The real application on a real port, on this test file's own migrated database,
 * with an injected clock. `env` overrides settings exactly as the environment would.
 */
export async function startTestApp(env: Record<string, string> = {}, options: StartOptions = {}): Promise<TestApp> {
  const db = options.db ?? (await createTestDatabase());
  const config = loadConfig({
    ISSUER: 'http://tessera.test',
    LOG_LEVEL: 'silent',
    ...TEST_SECRETS,
    ...env,
    DATABASE_URL: db.url,
  }) as ResolvedConfig;
  const clock = options.clock ?? new FakeClock();
  let app: NestFastifyApplication;
  try {
    app = await createApp({ config, dataSource: db.dataSource, clock, databaseClock: options.databaseClock ?? false }, options.logger);
  } catch (error) {
    // e.g. a clock too far off the database's: leave nothing behind.
    if (!options.db) await db.drop();
    throw error;
  }
  try {
    await app.listen({ host: '127.0.0.1', port: options.port ?? 0 });
  } catch (error) {
    // e.g. EADDRINUSE on a requested port: leave nothing behind.
    await app.close();
    if (!options.db) await db.drop();
    throw error;
  }
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return {
    app,
    url,
    db,
    clock,
    config,
    async close() {
      await app.close();
      if (!options.db) await db.drop();
    },
  };
}

/**
 * A port of 127.0.0.1 that was free a moment ago, for a server that must know its own
 * URL before it listens (ISSUER). Another process may take it first: callers retry on
 * EADDRINUSE.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close((error) => (error ? reject(error) : port ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

/**
 * Starts the app with ISSUER set to the URL it then listens on, so the issuer the library
 * discovers and checks is the one it fetched; `host` names 127.0.0.1 in it (`localhost` for
 * WebAuthn, whose RP ID cannot be an IP address). The port was free a moment ago: retried if
 * another process takes it in between.
 */
export async function startAtOwnIssuer(env: Record<string, string>, host = '127.0.0.1'): Promise<TestApp> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      // The library checks exp against the real clock: the server's clock starts at real time.
      return await startTestApp({ ...env, ISSUER: `http://${host}:${port}` }, { port, clock: new FakeClock(Date.now()) });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 3) throw error;
    }
  }
}
