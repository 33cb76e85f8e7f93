import type { DataSource } from 'typeorm';
import { migrations } from '../../migrations/index.js';
import { migrate, migrationsUpToDate } from '../../src/persistence/data-source.js';
import { createTestDatabase, type TestDatabase } from '../setup/database.js';

const MIGRATIONS_TABLE = 'typeorm_migrations';

// Everything a migration can create in schema public, described by name and definition
// (never by oid), so two builds of the same schema compare equal.
const SNAPSHOT_QUERIES = {
  tables: `
    SELECT table_name, table_type FROM information_schema.tables
    WHERE table_schema = 'public' ORDER BY table_name`,
  columns: `
    SELECT table_name, column_name, ordinal_position, data_type, udt_name, is_nullable, column_default,
           character_maximum_length, numeric_precision, is_identity, is_generated, generation_expression
    FROM information_schema.columns
    WHERE table_schema = 'public' ORDER BY table_name, column_name`,
  indexes: `
    SELECT tablename, indexname, indexdef FROM pg_indexes
    WHERE schemaname = 'public' ORDER BY tablename, indexname`,
  constraints: `
    SELECT conrelid::regclass::text AS table_name, conname, contype, pg_get_constraintdef(oid) AS definition
    FROM pg_constraint
    WHERE connamespace = 'public'::regnamespace ORDER BY 1, conname`,
  sequences: `
    SELECT sequence_name, data_type, start_value, increment FROM information_schema.sequences
    WHERE sequence_schema = 'public' ORDER BY sequence_name`,
  types: `
    SELECT t.typname, t.typtype, pg_catalog.format_type(t.oid, NULL) AS formatted,
           (SELECT array_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid) AS labels
    FROM pg_type t
    WHERE t.typnamespace = 'public'::regnamespace
      AND (t.typtype IN ('e', 'd', 'r') OR (t.typtype = 'c' AND (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c'))
    ORDER BY t.typname`,
  functions: `
    SELECT p.proname, pg_get_function_identity_arguments(p.oid) AS arguments, pg_get_functiondef(p.oid) AS definition
    FROM pg_proc p
    WHERE p.pronamespace = 'public'::regnamespace ORDER BY 1, 2`,
  triggers: `
    SELECT tgrelid::regclass::text AS table_name, tgname, pg_get_triggerdef(oid) AS definition
    FROM pg_trigger
    WHERE NOT tgisinternal AND tgrelid IN (SELECT oid FROM pg_class WHERE relnamespace = 'public'::regnamespace)
    ORDER BY 1, 2`,
};

type Snapshot = Record<keyof typeof SNAPSHOT_QUERIES, unknown[]>;

async function snapshot(dataSource: DataSource): Promise<Snapshot> {
  const result = {} as Snapshot;
  for (const [part, sql] of Object.entries(SNAPSHOT_QUERIES) as Array<[keyof Snapshot, string]>) {
    result[part] = await dataSource.query(sql);
  }
  return result;
}

async function appliedCount(dataSource: DataSource): Promise<number> {
  const [{ count }] = await dataSource.query<Array<{ count: number }>>(`SELECT count(*)::int AS count FROM ${MIGRATIONS_TABLE}`);
  return count;
}

function migrationName(migration: (typeof migrations)[number]): string {
  return new migration().name ?? migration.name;
}

describe('migrations', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrate: false });
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('go all the way down and up again to the same schema', async () => {
    const { dataSource } = db;
    expect(migrations.length).toBeGreaterThan(0);

    const applied = await migrate(dataSource);
    expect(applied).toEqual(migrations.map(migrationName));
    expect(await appliedCount(dataSource)).toBe(migrations.length);
    expect(await migrationsUpToDate(dataSource)).toBe(true);
    const up = await snapshot(dataSource);
    const tessera = up.tables.filter((row) => (row as { table_name: string }).table_name !== MIGRATIONS_TABLE);
    expect(tessera.length).toBeGreaterThan(0);

    let undone = 0;
    while ((await appliedCount(dataSource)) > 0 && undone < migrations.length) {
      await dataSource.undoLastMigration({ transaction: 'each' });
      undone++;
    }
    expect(undone).toBe(migrations.length);
    expect(await appliedCount(dataSource)).toBe(0);
    expect(await migrationsUpToDate(dataSource)).toBe(false);

    // Nothing of Tessera's is left: only TypeORM's own bookkeeping table and its parts.
    const down = await snapshot(dataSource);
    const ownedByMigrationsTable = (name: string) => name === MIGRATIONS_TABLE || name.startsWith(`${MIGRATIONS_TABLE}_`);
    expect(down.tables).toEqual([{ table_name: MIGRATIONS_TABLE, table_type: 'BASE TABLE' }]);
    expect(down.columns.filter((row) => !ownedByMigrationsTable((row as { table_name: string }).table_name))).toEqual([]);
    expect(down.indexes.filter((row) => !ownedByMigrationsTable((row as { tablename: string }).tablename))).toEqual([]);
    expect(down.constraints.filter((row) => !ownedByMigrationsTable((row as { table_name: string }).table_name))).toEqual([]);
    expect(down.sequences.filter((row) => !ownedByMigrationsTable((row as { sequence_name: string }).sequence_name))).toEqual([]);
    expect(down.types).toEqual([]);
    expect(down.functions).toEqual([]);
    expect(down.triggers).toEqual([]);

    const again = await migrate(dataSource);
    expect(again).toEqual(migrations.map(migrationName));
    expect(await snapshot(dataSource)).toEqual(up);
  });
});
