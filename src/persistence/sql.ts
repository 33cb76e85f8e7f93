import { DataSource, type EntityManager, QueryFailedError } from 'typeorm';
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
 */
export async function execute<T = Record<string, unknown>>(
  source: DataSource | EntityManager,
  sql: string,
  params: unknown[] = [],
): Promise<Rows<T>> {
  const shared = source instanceof DataSource ? undefined : source.queryRunner;
  const runner = shared ?? (source instanceof DataSource ? source : source.connection).createQueryRunner();
  try {
    const result = await runner.query(sql, params, true);
    const rows = (result.records ?? []) as T[];
    return { rows, affected: result.affected ?? rows.length };
  } finally {
    if (!shared) await runner.release();
  }
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
