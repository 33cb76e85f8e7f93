import 'reflect-metadata';
import cluster from 'node:cluster';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp, createLogger } from './bootstrap.js';
import type { GracefulFastifyAdapter } from './http/graceful-adapter.js';
import { superviseWorkers } from './cluster.js';
import { loadConfig } from './config/config.js';
import { withSecrets } from './config/dev-secrets.js';
import { withEnvFile } from './config/env-file.js';
import { loadWorkers } from './config/workers.js';
import { serveClusterMetrics } from './metrics/cluster-metrics.js';
import { type Database, openDatabase } from './persistence/open-database.js';
import { oneLineError } from './common/one-line-error.js';

// After the drain, how long requests already accepted may take to finish.
const FINISH_MS = 30_000;

async function main(): Promise<void> {
  const env = withEnvFile(process.env);
  const config = withSecrets(loadConfig(env));
  const workers = loadWorkers(env);
  const logger = createLogger(config.logLevel, { format: config.logFormat });
  if (workers > 1 && cluster.isPrimary) {
    // Migrations once, before any worker boots; the workers find the schema up to date.
    const migrated = await openDatabase(config, { poolSize: 1 });
    logApplied(migrated, logger);
    await migrated.close();
    serveClusterMetrics();
    superviseWorkers(workers, logger, `issuer ${config.issuer}, DATABASE_URL`);
    return;
  }
  const database: Database = await openDatabase(config);
  logApplied(database, logger);
  let app: NestFastifyApplication | undefined;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal}: finishing in-flight requests and stopping`);
    // Bounded: a request that never ends (a stuck client upload) cannot hold the exit.
    setTimeout(() => {
      logger.warn('in-flight requests did not finish in time: exiting anyway');
      process.exit(1);
    }, config.shutdownDrainMs + FINISH_MS).unref();
    // New connections are answered 503 (Retry-After, Connection: close) while the listener
    // stays open, rather than reset: a closed listener's backlog is dropped by the kernel.
    (app?.getHttpAdapter() as GracefulFastifyAdapter | undefined)?.drain();
    await new Promise((resolve) => setTimeout(resolve, config.shutdownDrainMs));
    await app?.close();
    await database.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
  app = await createApp({ config, dataSource: database.dataSource }, logger);
  await app.listen({ host: config.host, port: config.port });
  logger.log(
    `listening on ${await app.getUrl()} (issuer ${config.issuer}, ${database.embedded ? `embedded database in ${config.dataDir}` : 'DATABASE_URL'})`,
  );
}

/** Says which migrations this process applied, if any: one process of several booting at once. */
function logApplied(database: Pick<Database, 'applied'>, logger: ReturnType<typeof createLogger>): void {
  if (database.applied.length > 0) logger.log(`applied migrations ${database.applied.join(', ')}`, 'database');
}

main().catch((error: unknown) => {
  process.stderr.write(`tessera: ${oneLineError(error)}\n`);
  process.exit(1);
});
