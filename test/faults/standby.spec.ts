import type { DataSource } from 'typeorm';
import { createClient, createUser, type HttpResult, login, type TestClient, type TestUser, token } from '../factories/index.js';
import { api } from '../factories/admin.js';
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
  let user: TestUser;

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
});
