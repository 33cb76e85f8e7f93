import type { DataSource } from 'typeorm';

export interface PoolStats {
  readonly total: number;
  readonly idle: number;
  /** requests queued for a connection */
  readonly waiting: number;
}

interface PgPool {
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
}

/** The state of the pg pool behind the DataSource, read at scrape time; undefined before it connects. */
export function poolStats(dataSource: DataSource): PoolStats | undefined {
  const pool = (dataSource.driver as unknown as { master?: PgPool }).master;
  if (!dataSource.isInitialized || !pool || typeof pool.totalCount !== 'number') return undefined;
  return { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount };
}
