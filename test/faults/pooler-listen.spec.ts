import { createClient, createUser, login, type TestClient, type TestUser } from '../factories/index.js';
import { isActive, revoke } from '../factories/resource-server.js';
import { startTestApp, type TestApp } from '../setup/app.js';
import type { TestDatabase } from '../setup/database.js';
import { eventually } from '../setup/faults.js';
import { describeWithPooler, PgBouncer } from '../setup/pgbouncer.js';
import { clusterDatabase, PgCluster } from '../setup/pg-cluster.js';
import { buildOnce, TesseraServer } from '../setup/tessera-server.js';

const LOST = /a probe notification did not come back within 5000 ms: this process receives no revocation notifications/;
// A poll far slower than the test: a revocation that shows up at once came by NOTIFY.
const SLOW_POLL = { REVOCATION_POLL_INTERVAL_MS: '60000', REVOCATION_MAX_STALENESS_MS: '120000', ISSUER: 'http://tessera.test' };

async function metric(server: TesseraServer, name: string): Promise<number | undefined> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return line ? Number(line[1]) : undefined;
}

/**
 * Issue 20, item 4: behind a transaction-mode pooler LISTEN "succeeds" on whichever server
 * session ran it and notifications are dropped without an error. The listener now sends
 * itself a probe every 5 s and says when it does not come back; DATABASE_LISTEN_URL gives
 * it a direct connection while everything else goes through the pooler.
 */
describeWithPooler('revocation notifications behind a transaction-mode pooler (PgBouncer)', () => {
  let cluster: PgCluster;
  let bouncer: PgBouncer;
  let db: TestDatabase;
  let seed: TestApp;
  let app: TestClient;
  let resourceServer: TestClient;
  let user: TestUser;
  const servers: TesseraServer[] = [];

  beforeAll(async () => {
    buildOnce();
    cluster = await PgCluster.start();
    bouncer = await PgBouncer.start(cluster);
    db = await clusterDatabase(cluster);
    // The in-process app seeds the data; the servers under test are processes of their own.
    seed = await startTestApp({ ISSUER: 'http://tessera.test' }, { db });
    app = await createClient(seed);
    resourceServer = await createClient(seed, { grantTypes: ['client_credentials'], scopes: [], introspect: true });
    user = await createUser(seed);
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await seed?.close();
    await db?.drop();
    await bouncer?.destroy();
    await cluster?.destroy();
  });

  it('without DATABASE_LISTEN_URL: one warning, and the metrics say no probe comes back', async () => {
    const server = await TesseraServer.start({ ...SLOW_POLL, DATABASE_URL: bouncer.url }, 60_000);
    servers.push(server);
    await eventually('the warning', async () => (LOST.test(server.log) ? true : undefined), 30_000);
    expect(await metric(server, 'tessera_listen_probes_lost_total')).toBeGreaterThanOrEqual(1);
    expect(await metric(server, 'tessera_listen_healthy')).toBe(0);
    // One line, however many probes are lost after it.
    await eventually('more lost probes', async () => ((await metric(server, 'tessera_listen_probes_lost_total'))! >= 3 ? true : undefined), 30_000);
    expect(server.log.split('\n').filter((line) => LOST.test(line))).toHaveLength(1);
  }, 240_000);

  it('with DATABASE_LISTEN_URL direct: a revocation on one process is seen on another by NOTIFY, and no warning', async () => {
    const env = { ...SLOW_POLL, DATABASE_URL: bouncer.url, DATABASE_LISTEN_URL: cluster.url };
    const [one, two] = await Promise.all([TesseraServer.start(env, 60_000), TesseraServer.start(env, 60_000)]);
    servers.push(one, two);
    const session = await login({ ...seed, url: one.url }, app, user);
    expect(await isActive({ url: two.url }, resourceServer, session.access_token)).toBe(true);

    expect((await revoke({ url: one.url }, app, session.refresh_token)).status).toBe(200);
    const started = Date.now();
    await eventually('the revocation on the other process', async () =>
      (await isActive({ url: two.url }, resourceServer, session.access_token)) ? undefined : true,
    );
    // Far inside the 60 s poll: it came by notification.
    expect(Date.now() - started).toBeLessThan(5_000);

    await eventually('a probe back on both', async () =>
      (await metric(one, 'tessera_listen_healthy')) === 1 && (await metric(two, 'tessera_listen_healthy')) === 1 ? true : undefined,
    );
    for (const server of [one, two]) {
      expect(await metric(server, 'tessera_listen_probes_lost_total')).toBe(0);
      expect(server.log).not.toMatch(LOST);
    }
  }, 240_000);
});
