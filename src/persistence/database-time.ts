import type { DataSource } from 'typeorm';

/**
 * The database's own clock in milliseconds since the epoch: clock_timestamp() is the time
 * of the call, where now() would be the start of the transaction.
 */
export async function databaseTime(dataSource: DataSource): Promise<number> {
  const rows = await dataSource.query<Array<{ ms: number }>>('SELECT extract(epoch FROM clock_timestamp())::float8 * 1000 AS ms');
  return Number(rows[0].ms);
}
