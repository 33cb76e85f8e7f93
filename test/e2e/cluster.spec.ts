import { createTestDatabase, describeOnPostgres, type TestDatabase } from '../setup/database.js';
import { freePort, TEST_SECRETS } from '../setup/app.js';
import { childEnv, type Child, lines, runNode, startNode } from '../setup/processes.js';

const LISTENING = /listening on (http:\/\/127\.0\.0\.1:\d+) \(2 workers/;

/** WORKERS=2: one primary, two server processes on one port and one database. */
describeOnPostgres('cluster mode (WORKERS)', () => {
  let db: TestDatabase;
  let server: Child | undefined;

  beforeAll(async () => {
    expect((await runNode(['scripts/build-if-needed.js'], childEnv())).code).toBe(0);
    db = await createTestDatabase({ migrate: false });
  });

  afterAll(async () => {
    await server?.kill();
    await db?.drop();
  });

  it('boots two workers on one port, serves, and stops them all on SIGTERM', async () => {
    const port = await freePort();
    server = startNode(
      ['dist/src/main.js'],
      childEnv({ ...TEST_SECRETS, DATABASE_URL: db.url, PORT: String(port), ISSUER: 'http://tessera.test', LOG_LEVEL: 'info', WORKERS: '2' }),
    );
    const url = await server.waitFor((out) => LISTENING.exec(out)?.[1], 'the cluster listening line');
    const pids = new Set<number>();
    for (let i = 0; i < 10; i++) {
      const response = await fetch(`${url}/oauth/jwks`);
      expect(response.status).toBe(200);
      await response.arrayBuffer();
    }
    for (const line of lines(server.stdout)) {
      const entry = JSON.parse(line) as { pid: number; message: string };
      if (entry.message.startsWith('listening on') && !entry.message.includes('workers')) pids.add(entry.pid);
    }
    expect(pids.size).toBe(2);
    const finished = await server.stop('SIGTERM');
    expect(finished.code).toBe(0);
    expect(finished.stdout).toContain('SIGTERM: stopping 2 workers');
  });

  it('refuses WORKERS > 1 without DATABASE_URL, naming the setting', async () => {
    const result = await runNode(['dist/src/main.js'], childEnv({ ...TEST_SECRETS, WORKERS: '2', TESSERA_DATA_DIR: '/nonexistent-tessera-dir' }));
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('tessera: WORKERS must be 1 without DATABASE_URL (the embedded database serves a single process) (got "2")\n');
  });
});
