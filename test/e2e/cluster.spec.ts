import { createTestDatabase, describeOnPostgres, type TestDatabase } from '../setup/database.js';
import { freePort, TEST_SECRETS } from '../setup/app.js';
import { get } from 'node:http';
import { metricValue, parseExposition } from '../factories/metrics.js';
import { childEnv, type Child, lines, runNode, startNode } from '../setup/processes.js';

/** A GET on a connection of its own, so that node:cluster hands it to the next worker. */
function freshGet(url: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (response) => {
      let text = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
    }).on('error', reject);
  });
}

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
    // Each worker counts its own requests; a scrape, whichever worker answers, sums them all.
    for (let i = 0; i < 6; i++) expect((await freshGet(`${url}/healthz`)).status).toBe(200);
    for (let i = 0; i < 2; i++) {
      const scraped = await freshGet(`${url}/metrics`);
      expect(scraped.status).toBe(200);
      const samples = parseExposition(scraped.text);
      expect(metricValue(samples, 'tessera_http_request_duration_seconds_count', { route: '/healthz' })).toBe(6);
      expect(metricValue(samples, 'tessera_http_request_duration_seconds_count', { route: '/oauth/jwks' })).toBe(10);
    }
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
