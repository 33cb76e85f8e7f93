import { AuditService } from '../../src/audit/audit.service.js';
import { rows } from '../factories/admin.js';
import { startTestApp, type TestApp } from '../setup/app.js';

describe('audit writes', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('records every event of a burst, each once, in fewer INSERTs than events, and resolves only once written', async () => {
    const audit = t.app.get(AuditService);
    const burst = Array.from({ length: 1_200 }, (_, i) => audit.record({ type: 'user_updated', actor: 'test', details: { i } }));
    await Promise.all(burst);
    const stored = await rows<{ i: number }>(t, `SELECT (details->>'i')::int AS i FROM audit_events WHERE actor = 'test' ORDER BY id`);
    expect(stored.map((row) => row.i)).toEqual(Array.from({ length: 1_200 }, (_, i) => i));
    // Each INSERT is its own transaction: the rows' xmin tells how many there were.
    const [{ n }] = await rows<{ n: number }>(t, `SELECT count(DISTINCT xmin::text)::int AS n FROM audit_events WHERE actor = 'test'`);
    expect(n).toBeGreaterThanOrEqual(3); // at most 500 rows an INSERT
    expect(n).toBeLessThan(100);
  });
});
