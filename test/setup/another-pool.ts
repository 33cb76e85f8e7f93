import { createDataSource } from '../../src/persistence/data-source.js';
import type { TestDatabase } from './database.js';

/**
 * The same database seen through a pool of its own, as a second Tessera process has:
 * closing an app destroys its DataSource, so apps must not share one. `url` may route
 * through a proxy. Dropping it closes the pool only; the database is the caller's.
 */
export async function anotherPool(db: TestDatabase, url = db.url): Promise<TestDatabase> {
  const dataSource = createDataSource(url, 4);
  await dataSource.initialize();
  return {
    url,
    dataSource,
    async drop() {
      if (dataSource.isInitialized) await dataSource.destroy();
    },
  };
}
