import type pg from 'pg';
import { migrations } from '../../migrations/index.js';
import { describeWithPooler, PgBouncer } from '../setup/pgbouncer.js';
import { advisoryLocks, PgCluster } from '../setup/pg-cluster.js';
import { buildOnce, runTessera, TesseraServer } from '../setup/tessera-server.js';

// A lock left held makes the next migrate, cleanup or boot wait forever: each must end
// well within this (on a loaded machine a Node process alone takes seconds to start).
const PROMPTLY_MS = 60_000;

const tessera = (args: string[], url: string) => runTessera(args, url, PROMPTLY_MS);

async function count(admin: pg.Client, sql: string): Promise<number> {
  return Number((await admin.query<{ n: string }>(sql)).rows[0].n);
}

/**
 * Issue 20, item 1: behind a transaction-mode pooler every statement may run on another
 * server session, so a session advisory lock taken by one statement and released by
 * another stayed held by an idle pooled backend, and every later migrate, boot and
 * cleanup hung. Locks are now transaction-scoped (migrations) or a lease row (janitor).
 */
describeWithPooler('locks behind a transaction-mode pooler (PgBouncer)', () => {
  let cluster: PgCluster;
  let bouncer: PgBouncer;
  let admin: pg.Client;
  const servers: TesseraServer[] = [];

  beforeAll(async () => {
    buildOnce();
    cluster = await PgCluster.start();
    bouncer = await PgBouncer.start(cluster);
    admin = await cluster.client();
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await admin?.end();
    await bouncer?.destroy();
    await cluster?.destroy();
  });

  it('three simultaneous boots, migrate and cleanup leave no lock held; the next boot and migrate finish promptly', async () => {
    // Janitors on a one-second timer run beside the CLI's cleanups.
    const env = { DATABASE_URL: bouncer.url, JANITOR_INTERVAL: '1' };
    servers.push(...(await Promise.all([0, 1, 2].map(() => TesseraServer.start(env, PROMPTLY_MS)))));
    const cli = await Promise.all([
      tessera(['migrate'], bouncer.url),
      tessera(['cleanup'], bouncer.url),
      tessera(['cleanup'], bouncer.url),
      tessera(['cleanup'], cluster.url),
    ]);
    for (const run of cli) expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(cli[0].stdout).toBe('the schema is up to date\n');
    for (const run of cli.slice(1)) expect(run.stdout).toMatch(/^deleted: /);

    // Each migration applied exactly once, by exactly one of the three.
    expect(await count(admin, 'SELECT count(*) AS n FROM typeorm_migrations')).toBe(migrations.length);
    expect(servers.filter((server) => /applied migrations/.test(server.log))).toHaveLength(1);
    for (const server of servers) expect((await fetch(`${server.url}/readyz`)).status).toBe(200);

    // Let the servers' janitors run a pass or two through the pooler as well.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(await advisoryLocks(admin)).toBe(0);

    const again = await tessera(['migrate'], bouncer.url);
    expect({ code: again.code, stdout: again.stdout }).toEqual({ code: 0, stdout: 'the schema is up to date\n' });
    const cleanup = await tessera(['cleanup'], cluster.url);
    expect(cleanup.code).toBe(0);
    servers.push(await TesseraServer.start(env, PROMPTLY_MS));
    expect(await advisoryLocks(admin)).toBe(0);
  }, 360_000);
});
