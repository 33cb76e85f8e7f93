import { createDataSource, preparesStatements } from '../../src/persistence/data-source.js';
import { execute } from '../../src/persistence/sql.js';
import { createTestDatabase, type TestDatabase } from '../setup/database.js';

/**
 * execute() prepares each statement once per connection. When the server's session does
 * not keep what this connection prepared (a transaction-mode pooler hands it another
 * backend; PGlite's one session outlives a dropped connection), the statement runs again
 * unnamed and the process stops preparing: a right answer, not a broken endpoint.
 */
describe('prepared statements', () => {
  let db: TestDatabase;
  beforeAll(async () => { db = await createTestDatabase(); });
  afterAll(async () => { await db.drop(); });

  it('run again unprepared, with the right answer, when the session lost them', async () => {
    const dataSource = createDataSource(db.url, 1, { prepare: true });
    await dataSource.initialize();
    try {
      const sum = (n: number) => execute<{ n: number }>(dataSource, 'SELECT $1::int + 1 AS n', [n]);
      expect((await sum(1)).rows).toEqual([{ n: 2 }]);
      expect(preparesStatements(dataSource)).toBe(true);
      // Behind the driver's back, on the pool's one connection: the session forgets it.
      await dataSource.query('DEALLOCATE ALL');
      expect((await sum(41)).rows).toEqual([{ n: 42 }]);
      expect(preparesStatements(dataSource)).toBe(false);
      expect((await sum(2)).rows).toEqual([{ n: 3 }]);
    } finally {
      await dataSource.destroy();
    }
  });

  it('report a real error as a real error', async () => {
    const dataSource = createDataSource(db.url, 1, { prepare: true });
    await dataSource.initialize();
    try {
      await expect(execute(dataSource, 'SELECT no_such_column FROM users')).rejects.toMatchObject({ code: '42703' });
      expect(preparesStatements(dataSource)).toBe(true);
    } finally {
      await dataSource.destroy();
    }
  });
});
