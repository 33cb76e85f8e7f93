import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { ROTATE } from '../../src/persistence/stores/family.store.js';
import { createTestDatabase, type TestDatabase } from '../setup/database.js';

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Relation Name'?: string;
  'Actual Rows': number;
  'Actual Loops': number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Join Filter'?: number;
  Plans?: PlanNode[];
}

const FAMILIES = 1_500;
const CLIENT = 'busy-client';
const USER = '00000000-0000-4000-8000-000000000001';

/** Every node of a plan, each with the rows it produced and the rows it looked at and dropped. */
function nodes(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(nodes)];
}

/**
 * A rotation reaches each row it reads or writes by a unique key, whatever the planner's
 * statistics say: its cost must not grow with the client's sessions, a session's chain
 * or the grace copies of every session rotated within the grace window. The
 * statistics here are taken on empty tables and the tables then filled, the state of a
 * new deployment (or a benchmark) before autovacuum catches up, in which the planner
 * once chose to walk every sealed row to wipe one.
 */
describe('the rotation statement', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let live: Buffer;

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = db.dataSource;
    const now = new Date();
    await ds.query(`INSERT INTO users (id, username, username_key, password_hash, created_at, updated_at) VALUES ($1, 'busy', 'busy', 'x', $2, $2)`, [USER, now]);
    await ds.query(`INSERT INTO clients (id, type, secret_hash, grant_types, created_at) VALUES ($1, 'confidential', '\\x00', '{refresh_token}', $2)`, [CLIENT, now]);
    await ds.query('ANALYZE');
    // Many live sessions of one user on one client, each a chain of three tokens whose
    // newest successor's sealed copy is still kept (rotated within the grace window).
    await ds.query(
      `INSERT INTO families (id, user_id, client_id, scope, created_at, last_used_at, idle_expires_at, absolute_expires_at)
       SELECT gen_random_uuid(), $1, $2, 'read write', $3, $3, $3::timestamptz + interval '1 hour', $3::timestamptz + interval '1 day'
       FROM generate_series(1, $4)`,
      [USER, CLIENT, now, FAMILIES],
    );
    await ds.query(
      `INSERT INTO refresh_tokens (hash, family_id, generation, issued_at)
       SELECT sha256(f.id::text::bytea || g::text::bytea), f.id, g, $1
       FROM families f, generate_series(0, 2) g`,
      [now],
    );
    await ds.query(`INSERT INTO refresh_grace_copies (family_id, generation, sealed, sealed_at) SELECT id, 2, sha512(id::text::bytea), $1 FROM families`, [now]);
    const [row] = await ds.query<Array<{ hash: Buffer }>>(`SELECT hash FROM refresh_tokens WHERE generation = 2 LIMIT 1`);
    live = row.hash;
  });
  afterAll(async () => { await db.drop(); });

  for (const mode of ['force_custom_plan', 'force_generic_plan'] as const) {
    it(`touches one row per step (${mode === 'force_generic_plan' ? 'cached generic plan' : 'plan per call'})`, async () => {
      const runner = ds.createQueryRunner();
      await runner.connect();
      try {
        await runner.startTransaction();
        await runner.query(`SET LOCAL plan_cache_mode = ${mode}`);
        await runner.query(`PREPARE rotate_under_test (bytea, timestamptz, bytea, bytea, int, text, text[], text) AS ${ROTATE}`);
        const hex = (bytes: Buffer) => `'\\x${bytes.toString('hex')}'::bytea`;
        const [result] = (await runner.query(
          `EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE rotate_under_test(${hex(live)}, now(), ${hex(randomBytes(32))}, ${hex(randomBytes(48))}, 3600, '${CLIENT}', NULL, NULL)`,
        )) as Array<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>;
        const plan = result['QUERY PLAN'][0].Plan;
        expect(plan['Actual Rows']).toBe(1); // it rotated
        const wide = nodes(plan).filter(
          (node) =>
            node['Actual Rows'] * node['Actual Loops'] > 1 ||
            (node['Rows Removed by Filter'] ?? 0) > 1 ||
            (node['Rows Removed by Join Filter'] ?? 0) > 1,
        );
        expect(wide.map((node) => `${node['Node Type']} ${node['Index Name'] ?? node['Relation Name'] ?? ''}`)).toEqual([]);
      } finally {
        await runner.rollbackTransaction().catch(() => undefined);
        await runner.query('DEALLOCATE ALL').catch(() => undefined);
        await runner.release();
      }
    });
  }
});
