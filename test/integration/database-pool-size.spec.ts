import { tmpdir } from 'node:os';
import { loadConfig } from '../../src/config/config.js';
import { openDatabase } from '../../src/persistence/open-database.js';
import { createTestDatabase, describeOnPostgres, type TestDatabase } from '../setup/database.js';

/** Backends serving `n` queries that overlap in time: at most the pool's size. */
async function backendsFor(n: number, query: (sql: string) => Promise<Array<{ pid: number }>>): Promise<number> {
  const results = await Promise.all(Array.from({ length: n }, () => query('SELECT pg_backend_pid() AS pid, pg_sleep(0.2)')));
  return new Set(results.map((rows) => rows[0].pid)).size;
}

describeOnPostgres('DATABASE_POOL_SIZE', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it.each([
    ['3', 3],
    [undefined, 10],
  ])('DATABASE_POOL_SIZE=%s opens at most %d connections, however many queries overlap', async (setting, size) => {
    const config = loadConfig({ DATABASE_URL: db.url, ...(setting ? { DATABASE_POOL_SIZE: setting } : {}) }, tmpdir());
    const database = await openDatabase(config);
    try {
      expect(await backendsFor(size + 4, (sql) => database.dataSource.query(sql))).toBe(size);
    } finally {
      await database.close();
    }
  });
});
