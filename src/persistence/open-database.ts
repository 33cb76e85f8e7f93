import type { DataSource } from 'typeorm';
import type { AppConfig } from '../config/config.js';
import { describeServers } from '../config/database-url.js';
import { isDatabaseUnavailable } from './availability.js';
import { createDataSource, inRecovery, migrate } from './data-source.js';
import { startEmbeddedDatabase } from './embedded.js';

export interface Database {
  readonly dataSource: DataSource;
  readonly embedded: boolean;
  /** the migrations this open applied */
  readonly applied: readonly string[];
  close(): Promise<void>;
}

/**
 * Connects to DATABASE_URL with a pool of DATABASE_POOL_SIZE (unless `poolSize` says
 * otherwise: the CLI and a cluster's primary need one or two), or starts the embedded
 * PGlite under the data directory, and applies pending migrations. Failures become one line naming the server, never the URL
 * (it may hold a password).
 */
export async function openDatabase(config: AppConfig, options: { poolSize?: number } = {}): Promise<Database> {
  const embedded = config.databaseUrl ? undefined : await startEmbeddedDatabase(config.dataDir);
  const url = config.databaseUrl ?? embedded!.url;
  // PGlite is one Postgres session behind its socket server, which interleaves the
  // messages of concurrent connections: one connection per process keeps them whole.
  const dataSource = createDataSource(url, embedded ? 1 : (options.poolSize ?? config.databasePoolSize), { prepare: !embedded });
  try {
    await dataSource.initialize();
    if (await inRecovery(dataSource)) throw new StandbyError();
    const applied = await migrate(dataSource);
    return {
      dataSource,
      embedded: embedded !== undefined,
      applied,
      async close() {
        if (dataSource.isInitialized) await dataSource.destroy();
        await embedded?.close();
      },
    };
  } catch (error) {
    if (dataSource.isInitialized) await dataSource.destroy().catch(() => undefined);
    await embedded?.close().catch(() => undefined);
    const where = embedded ? `the embedded database in ${config.dataDir}` : `the database at ${describeServers(url)}`;
    if (error instanceof StandbyError) {
      throw new Error(`${where} is a read-only standby (in recovery): point DATABASE_URL at the primary`, { cause: error });
    }
    if (isDatabaseUnavailable(error)) throw new Error(`cannot reach ${where} (${reason(error)})`, { cause: error });
    throw new Error(`${where}: ${reason(error)}`, { cause: error });
  }
}

class StandbyError extends Error {}

function reason(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
  return typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message;
}
