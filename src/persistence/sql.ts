import { DataSource, type EntityManager, QueryFailedError } from 'typeorm';
import { DuplicateError } from '../common/errors.js';

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
