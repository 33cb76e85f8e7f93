import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../../src/bootstrap.js';
import { loadConfig, type ResolvedConfig } from '../../src/config/config.js';
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

/**
 * The real application on a real port, on this test file's own migrated database,
 * with an injected clock. `env` overrides settings exactly as the environment would.
 */
export async function startTestApp(env: Record<string, string> = {}, options: { db?: TestDatabase } = {}): Promise<TestApp> {
  const db = options.db ?? (await createTestDatabase());
  const config = loadConfig({
    ISSUER: 'http://tessera.test',
    LOG_LEVEL: 'silent',
    ...TEST_SECRETS,
    ...env,
    DATABASE_URL: db.url,
  }) as ResolvedConfig;
  const clock = new FakeClock();
  const app = await createApp({ config, dataSource: db.dataSource, clock });
  await app.listen({ host: '127.0.0.1', port: 0 });
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
