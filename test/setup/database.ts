import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { createDataSource, migrate } from '../../src/persistence/data-source.js';
import { startFromTemplate } from './pglite-template.js';

export interface TestDatabase {
  /** connection string of this test file's own database */
  readonly url: string;
  /** a pool on it with the migrations applied */
  readonly dataSource: DataSource;
  drop(): Promise<void>;
}

/**
 * A throwaway database per test file: on the server in DATABASE_URL when it is set
 * (CI: the machine's Postgres), else an in-memory embedded PGlite loaded from a migrated
 * template (test/setup/pglite-template.ts). Real migrations, never synchronize.
 */
export async function createTestDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const adminUrl = process.env.DATABASE_URL;
  let url: string;
  let dropDatabase: () => Promise<void>;
  if (adminUrl) {
    const name = `tessera_test_${process.env.JEST_WORKER_ID ?? '0'}_${randomBytes(6).toString('hex')}`;
    await withAdmin(adminUrl, (admin) => admin.query(`CREATE DATABASE ${name}`));
    const target = new URL(adminUrl);
    target.pathname = `/${name}`;
    url = target.toString();
    dropDatabase = async () => {
      await withAdmin(adminUrl, (admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    };
  } else {
    const embedded = await startFromTemplate(options.migrate !== false);
    url = embedded.url;
    dropDatabase = () => embedded.close();
  }
  // Embedded PGlite is a single session: one connection, as in src/persistence/open-database.ts.
  const dataSource = createDataSource(url, adminUrl ? 4 : 1, { prepare: Boolean(adminUrl) });
  await dataSource.initialize();
  // The embedded template comes migrated already.
  if (adminUrl && options.migrate !== false) await migrate(dataSource);
  return {
    url,
    dataSource,
    async drop() {
      if (dataSource.isInitialized) await dataSource.destroy();
      await dropDatabase();
    },
  };
}

async function withAdmin<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * Several Tessera processes on one database need a real Postgres server: PGlite is a
 * single session and is not a multi-process deployment. CI always sets DATABASE_URL,
 * so these suites always run there; on a machine without it they are reported skipped.
 */
export const describeOnPostgres: jest.Describe = process.env.DATABASE_URL ? describe : describe.skip;
