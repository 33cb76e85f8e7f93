import { createHash } from 'node:crypto';
import type { Pool, PoolClient, QueryConfig } from 'pg';
import { DataSource, type EntityManager, QueryFailedError } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import { preparesStatements, stopPreparing } from './data-source.js';
import { DuplicateError, UnknownClientError } from '../common/errors.js';

export interface Rows<T> {
  readonly rows: T[];
  /** rows written by INSERT/UPDATE/DELETE (with or without RETURNING), rows read by SELECT */
  readonly affected: number;
}

/**
 * Raw SQL with one result shape. TypeORM's plain query() answers UPDATE … RETURNING
 * with [rows, count] and everything else with rows, so a compare-and-set that checked
 * `.length` would always see 2; the structured result has the real count.
 *
 * On a Postgres server each statement text run outside a transaction (every statement
 * of the token hot paths) is a named prepared statement, parsed and planned once per
 * connection: for their joins planning costs several times what running them does.
 * Statements in a transaction run unnamed: if the session turned out not to be the
 * connection's own, a failed Parse would abort the transaction, where outside one the
 * statement simply runs again. Errors are TypeORM's QueryFailedError either way.
 */
export async function execute<T = Record<string, unknown>>(
  source: DataSource | EntityManager,
  sql: string,
  params: unknown[] = [],
): Promise<Rows<T>> {
  const shared = source instanceof DataSource ? undefined : source.queryRunner;
  const dataSource = source instanceof DataSource ? source : source.connection;
  const name = !shared && preparesStatements(dataSource) ? statementName(sql) : undefined;
  if (name !== undefined) {
    try {
      return await named<T>(dataSource, { name, text: sql, values: params });
    } catch (error) {
      if (!SESSION_MISMATCH.has((error as { code?: string }).code ?? '')) throw error;
      // It failed before running: it runs again, unnamed, as every statement will now.
      stopPreparing(dataSource);
    }
  }
  const runner = shared ?? dataSource.createQueryRunner();
  try {
    const result = await runner.query(sql, params, true);
    const rows = (result.records ?? []) as T[];
    return { rows, affected: result.affected ?? rows.length };
  } finally {
    if (!shared) await runner.release();
  }
}

/** On a connection borrowed from the pool TypeORM keeps. */
async function named<T>(dataSource: DataSource, query: QueryConfig): Promise<Rows<T>> {
  let client: PoolClient | undefined;
  try {
    client = await ((dataSource.driver as PostgresDriver).master as Pool).connect();
    const result = await client.query(query);
    return { rows: result.rows as T[], affected: result.rowCount ?? result.rows.length };
  } catch (error) {
    throw new QueryFailedError(query.text, query.values, error as Error);
  } finally {
    client?.release();
  }
}

// 42P05 duplicate_prepared_statement, 26000 invalid_sql_statement_name: the server's
// session is not this connection's own (PGlite behind a proxy, a transaction-mode
// pooler), so names cannot be kept per connection.
const SESSION_MISMATCH = new Set(['42P05', '26000']);

// Statement texts are constants of the code; a text built with a varying part (a batch of
// n rows) makes one name per shape. The cap keeps a bug of that kind from preparing
// without bound: past it, texts run unnamed.
const MAX_NAMED_STATEMENTS = 256;
const names = new Map<string, string>();

function statementName(sql: string): string | undefined {
  let name = names.get(sql);
  if (name === undefined && names.size < MAX_NAMED_STATEMENTS) {
    name = `tessera_${createHash('sha256').update(sql).digest('hex').slice(0, 24)}`;
    names.set(sql, name);
  }
  return name;
}

export function isUniqueViolation(error: unknown): boolean {
  return error instanceof QueryFailedError && (error.driverError as { code?: string } | undefined)?.code === '23505';
}

export async function insertUnique(what: string, insert: () => Promise<unknown>): Promise<void> {
  try {
    await insert();
  } catch (error) {
    if (isUniqueViolation(error)) throw new DuplicateError(what);
    throw error;
  }
}

/**
 * Runs a write whose row references clients(id): a client deleted since the caller read
 * it fails the foreign key (the delete's row lock orders the two), which is the caller's
 * invalid_client, not a server error.
 */
export async function referencingClient<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    const driver = error instanceof QueryFailedError ? (error.driverError as { code?: string; constraint?: string } | undefined) : undefined;
    if (driver?.code === '23503' && driver.constraint?.includes('client_id')) throw new UnknownClientError();
    throw error;
  }
}
