import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import pg from 'pg';
import { DataSource, type DataSourceOptions, MigrationExecutor } from 'typeorm';
import { migrations } from '../../migrations/index.js';
import { whileConnecting } from './availability.js';
import { connectThrough, type HostSelection, hostSelection, retireWhenReadOnly } from './failover.js';
import { ClientEntity } from './entities/client.entity.js';
import { SigningKeyEntity } from './entities/signing-key.entity.js';
import { UserEntity } from './entities/user.entity.js';

export const entities = [UserEntity, ClientEntity, SigningKeyEntity];

// Any 64-bit constant unique to Tessera: serializes migrations across processes.
const MIGRATION_LOCK = 7_265_391_004;
const LOCK_MIGRATIONS = 'SELECT pg_advisory_xact_lock($1)';

/**
 * A pool connection that always has an 'error' listener. The pool removes its own when
 * it lends a connection, and TypeORM adds one only a promise tick later: a backend
 * terminated just after its handshake (pg_terminate_backend, a failover) delivers
 * ReadyForQuery and its FATAL in one read, and an 'error' event with no listener would
 * be thrown out of the socket handler and end the process. The connection is marked
 * unqueryable either way, so its borrower gets an error (503) and the pool drops it.
 *
 * Errors of connect() are marked as such: some SQLSTATEs mean "the database is away"
 * only when they refuse a connection (see availability.ts).
 */
export class GuardedClient extends pg.Client {
  /** set on the subclass for a multi-host URL (see clientFor) */
  static readonly selection: HostSelection | undefined;

  constructor(config?: string | pg.ClientConfig) {
    super(config);
    this.on('error', () => undefined);
    const selection = new.target.selection;
    if (selection) retireWhenReadOnly(this, selection);
  }

  override connect(): Promise<pg.Client>;
  override connect(callback: (error: Error, client?: pg.Client) => void): void;
  override connect(callback?: (error: Error, client?: pg.Client) => void): Promise<pg.Client> | void {
    const selection = (this.constructor as typeof GuardedClient).selection;
    if (callback && !selection) return super.connect((error: Error, client?: pg.Client) => callback(error && whileConnecting(error), client));
    const connecting = (selection ? connectThrough(this, selection, () => super.connect()) : super.connect()).catch((error: unknown) => {
      throw whileConnecting(error);
    });
    if (!callback) return connecting;
    connecting.then(
      (client) => callback(undefined as unknown as Error, client),
      (error: Error) => callback(error),
    );
  }
}

/** The pool's client class for `url`: GuardedClient, following failovers when it lists several hosts. */
export function clientFor(url: string): { Client: typeof GuardedClient; url: string } {
  const selection = hostSelection(url);
  if (!selection) return { Client: GuardedClient, url };
  return {
    Client: class extends GuardedClient {
      static override readonly selection = selection;
    },
    url: selection.targets.firstHostUrl,
  };
}

export function dataSourceOptions(url: string, poolSize = 10): DataSourceOptions {
  const client = clientFor(url);
  return {
    type: 'postgres',
    url: client.url,
    entities,
    migrations,
    migrationsTableName: 'typeorm_migrations',
    migrationsTransactionMode: 'all',
    synchronize: false,
    logging: false,
    extra: { Client: client.Client, max: poolSize, connectionTimeoutMillis: 5_000, idleTimeoutMillis: 30_000 },
  };
}

const preparing = new WeakSet<DataSource>();

/**
 * `prepare`: run execute()'s statements as named prepared statements, which needs a
 * session per connection: a Postgres server, not the embedded PGlite, whose connections
 * all share its one session (a second connection's statement of the same name collides).
 */
export function createDataSource(url: string, poolSize?: number, options: { prepare?: boolean } = {}): DataSource {
  const dataSource = new DataSource(dataSourceOptions(url, poolSize));
  if (options.prepare) preparing.add(dataSource);
  return dataSource;
}

export function preparesStatements(dataSource: DataSource): boolean {
  return preparing.has(dataSource);
}

/** From now on this process runs its statements unnamed on `dataSource` (see execute). */
export function stopPreparing(dataSource: DataSource): void {
  if (!preparing.delete(dataSource)) return;
  new Logger('database').warn(
    'the database session outlives its connections (an embedded PGlite behind a proxy, or a transaction-mode pooler): statements now run unprepared',
  );
}

/**
 * Applies pending migrations in one transaction that first takes a transaction-scoped
 * advisory lock, so several processes booting at once on one database apply each
 * migration exactly once. The lock ends with the transaction, on whichever server session
 * ran it: a transaction-mode pooler (PgBouncer) pins a transaction to one session, but
 * may send a separate unlock statement to another, which left a session lock held
 * forever. One transaction also means a failed migration leaves the batch unapplied,
 * never half of it (a migration must not opt out with `transaction = false`).
 * Returns the names applied.
 */
export async function migrate(dataSource: DataSource): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.startTransaction();
    try {
      await runner.query(LOCK_MIGRATIONS, [MIGRATION_LOCK]);
      // The lock's own transaction runs the migrations: the embedded database has a pool of one.
      const executor = new MigrationExecutor(dataSource, runner);
      executor.transaction = 'all';
      const applied = await executor.executePendingMigrations();
      await runner.commitTransaction();
      return applied.map((migration) => migration.name);
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    }
  } finally {
    await runner.release();
  }
}

/**
 * True on a hot standby (or a server still recovering): every write would be refused
 * (25006), and what it answers lags its primary by the replay delay, so a revoked token
 * could still read as active. Tessera serves from a primary only.
 */
export async function inRecovery(dataSource: DataSource): Promise<boolean> {
  const rows = await dataSource.query<Array<{ standby: boolean }>>('SELECT pg_is_in_recovery() AS standby');
  return rows[0]?.standby === true;
}

/** True when every migration the code knows has been applied. */
export async function migrationsUpToDate(dataSource: DataSource): Promise<boolean> {
  return !(await dataSource.showMigrations());
}
