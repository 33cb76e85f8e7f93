import type { DataSource } from 'typeorm';
import { createClient, createUser, type HttpResult, login, type TestClient, type TestUser, token } from '../factories/index.js';
import { api } from '../factories/admin.js';
import { INACTIVE_BODY, introspect, jwtClaims } from '../factories/resource-server.js';
import { appendToFeed } from '../../src/persistence/stores/revocation-feed.sql.js';
import { startTestApp, TEST_SECRETS, type TestApp } from '../setup/app.js';
import { eventually, expectUnavailable } from '../setup/faults.js';
import { describeWithCluster, PgCluster } from '../setup/pg-cluster.js';
import { childEnv, runNode } from '../setup/processes.js';
import { TcpProxy } from '../setup/tcp-proxy.js';
import { buildOnce } from '../setup/tessera-server.js';
import { createDataSource, migrate } from '../../src/persistence/data-source.js';

const READ_ONLY = 'the database is read-only (a standby, or a failover in progress), retry later';

/**
 * Issue 20, item 3: pointed at a hot standby, Tessera booted with /readyz 200 and answered
 * writes with 500. A standby is a streaming replica of a cluster of the test's own
 * (pg_basebackup -R); the running server is moved onto it through a TCP relay, as a
 * failover's DNS or VIP switch that lands on the wrong node would move it.
 */
describeWithCluster('a read-only standby', () => {
  let primary: PgCluster;
  let standby: PgCluster;
  let proxy: TcpProxy;
  let dataSource: DataSource;
  let t: TestApp;
  let app: TestClient;
  let resourceServer: TestClient;
  let user: TestUser;

  const sidOf = (accessToken: string) => jwtClaims(accessToken).sid as string;
  /** A family revoked as FamilyStore revokes one, by a connection of its own to the primary. */
  async function revokeOnPrimary(familyId: string): Promise<void> {
    const client = await primary.client();
    try {
      await client.query(
        `WITH revoked AS (
           UPDATE families SET revoked_at = $2, revoked_reason = 'admin', revoked_by = 'test' WHERE id = $1 RETURNING id
         ), ${appendToFeed('announced', `SELECT 'family', id::text, $2::timestamptz, $3::timestamptz FROM revoked`)}
         SELECT count(*) FROM announced`,
        [familyId, new Date(t.clock.now()), new Date(t.clock.now() + 3_600_000)],
      );
    } finally {
      await client.end();
    }
  }

  beforeAll(async () => {
    buildOnce();
    primary = await PgCluster.start();
    proxy = await TcpProxy.start({ host: '127.0.0.1', port: primary.port });
    const url = TcpProxy.through(primary.url, proxy);
    dataSource = createDataSource(url, 4, { prepare: true });
    await dataSource.initialize();
    await migrate(dataSource);
    t = await startTestApp({}, { db: { url, dataSource, drop: async () => undefined } });
    app = await createClient(t);
    resourceServer = await createClient(t, { grantTypes: ['client_credentials'], scopes: [], introspect: true });
    user = await createUser(t);
    // After the client and user exist: the replica starts with them.
    standby = await PgCluster.standbyOf(primary);
  });
  afterAll(async () => {
    await t?.close();
    if (dataSource?.isInitialized) await dataSource.destroy();
    await proxy?.close();
    await standby?.destroy();
    await primary?.destroy();
  });

  it('refuses to boot on a standby with one line saying so, and so does tessera migrate', async () => {
    const env = childEnv({ DATABASE_URL: standby.url, PORT: '0', ...TEST_SECRETS });
    const server = await runNode(['dist/src/main.js'], env, { timeoutMs: 60_000 });
    expect({ code: server.code, stderr: server.stderr }).toEqual({
      code: 1,
      stderr: `tessera: the database at 127.0.0.1:${standby.port}/postgres is a read-only standby (in recovery): point DATABASE_URL at the primary\n`,
    });
    expect(server.stdout).not.toMatch(/listening on/);
    const migrating = await runNode(['bin/tessera.js', 'migrate'], env, { timeoutMs: 60_000 });
    expect(migrating.code).not.toBe(0);
    expect(migrating.stderr).toMatch(/is a read-only standby \(in recovery\): point DATABASE_URL at the primary/);
  });

  it('moved onto a standby: /readyz and writes answer 503 read-only; back on the primary it recovers by itself', async () => {
    const session = await login(t, app, user);
    expect((await api(t, 'GET', '/readyz')).status).toBe(200);

    proxy.moveTo({ host: '127.0.0.1', port: standby.port });
    const readyz = await eventually('readyz on the standby', async () => {
      const result = await api(t, 'GET', '/readyz');
      return result.body.status === 'database is a read-only standby' ? result : undefined;
    });
    expect(readyz.status).toBe(503);
    expect(readyz.headers.get('retry-after')).toBe('1');

    // The first attempts may meet a connection the move reset (503 too); then the refusal.
    const refusedAsReadOnly = (call: () => Promise<HttpResult>) =>
      eventually('a read-only refusal', async () => {
        const result = await call();
        expect(result.status).toBe(503);
        return result.body.error_description === READ_ONLY ? result : undefined;
      });
    for (const call of [
      () => token(t, app, { grant_type: 'password', username: user.username, password: user.password }),
      () => token(t, app, { grant_type: 'refresh_token', refresh_token: session.refresh_token }),
    ]) {
      expectUnavailable(await refusedAsReadOnly(call));
    }

    proxy.moveTo({ host: '127.0.0.1', port: primary.port });
    await eventually('readiness on the primary', async () => ((await api(t, 'GET', '/readyz')).status === 200 ? true : undefined));
    // Nothing was consumed on the standby: the session still refreshes.
    const refreshed = await eventually('a refresh', async () => {
      const result = await token(t, app, { grant_type: 'refresh_token', refresh_token: session.refresh_token });
      return result.status === 503 ? undefined : result;
    });
    expect(refreshed.status).toBe(200);
  });

  it('moved onto a lagging standby: a revocation it has not replayed is never introspected active, 503 once the view is stale', async () => {
    const session = await login(t, app, user);
    const admin = await standby.client();
    try {
      await eventually('the session replayed on the standby', async () => {
        const { rows } = await admin.query(`SELECT 1 FROM families WHERE id = $1`, [sidOf(session.access_token)]);
        return rows.length > 0 ? true : undefined;
      });
      await admin.query('SELECT pg_wal_replay_pause()');
      proxy.moveTo({ host: '127.0.0.1', port: standby.port });
      // Revoked on the primary (another process there), after the standby stopped replaying.
      await revokeOnPrimary(sidOf(session.access_token));
      // Fresh still from its last read on the primary, the view answers from memory; once
      // older than REVOCATION_MAX_STALENESS_MS, only a read could vouch for the token, and
      // a read from a standby vouches for nothing.
      t.clock.advance(t.config.revocationMaxStalenessMs / 1000 + 1);
      const result = await eventually('a stale view on the standby', async () => {
        const answer = await introspect(t, resourceServer, session.access_token);
        expect(answer.body.active).not.toBe(true);
        return answer.status === 503 ? answer : undefined;
      });
      expectUnavailable(result);
    } finally {
      await admin.query('SELECT pg_wal_replay_resume()').catch(() => undefined);
      await admin.end();
    }
    proxy.moveTo({ host: '127.0.0.1', port: primary.port });
    const inactive = await eventually('the revocation known on the primary', async () => {
      const answer = await introspect(t, resourceServer, session.access_token);
      return answer.status === 200 ? answer : undefined;
    });
    expect(inactive.text).toBe(INACTIVE_BODY);
  });
});
