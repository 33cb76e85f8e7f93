import type { DataSource } from 'typeorm';
import { TokenHashers } from '../../src/common/token-hashers.js';
import { isDatabaseReadOnly } from '../../src/persistence/availability.js';
import { createDataSource, migrate } from '../../src/persistence/data-source.js';
import { api } from '../factories/admin.js';
import { createClient, createUser, login, token, type TestClient, type TestUser } from '../factories/index.js';
import { startTestApp, type TestApp } from '../setup/app.js';
import { eventually } from '../setup/faults.js';
import { type Chain, expectNoRotationLost, promoteUnderLoad, refreshChain, synchronousStandbyOf } from '../setup/failover-load.js';
import { describeWithCluster, multiHostUrl, PgCluster } from '../setup/pg-cluster.js';

const CHAINS = 8;

/**
 * Issue 20, item 6: a multi-host DATABASE_URL was refused at boot, so a failover needed a
 * restart. Here Tessera runs on `postgres://primary,replica/…`; under a refresh load the
 * primary stops and its streaming replica (pg_basebackup -R) is promoted. The replica is
 * synchronous (synchronous_standby_names), so a rotation answered 200 is on both servers:
 * "acknowledged" means replicated, and none may be lost. With an asynchronous replica
 * the last commits before a crash can be lost by design, whatever the application does.
 */
describeWithCluster('a failover on a multi-host DATABASE_URL', () => {
  let primary: PgCluster;
  let replica: PgCluster;
  let dataSource: DataSource;
  let t: TestApp;
  let app: TestClient;
  let user: TestUser;

  beforeAll(async () => {
    primary = await PgCluster.start();
    replica = await synchronousStandbyOf(primary);
    const url = multiHostUrl(primary, replica);
    dataSource = createDataSource(url, 8, { prepare: true });
    await dataSource.initialize();
    await migrate(dataSource);
    t = await startTestApp({}, { db: { url, dataSource, drop: async () => undefined } });
    app = await createClient(t);
    user = await createUser(t);
  });
  afterAll(async () => {
    await t?.close();
    if (dataSource?.isInitialized) await dataSource.destroy();
    await replica?.destroy();
    await primary?.destroy();
  });

  it('answers 503 during the switch, loses no acknowledged rotation, and serves again without a restart', async () => {
    const refresh = (refreshToken: string) => token(t, app, { grant_type: 'refresh_token', refresh_token: refreshToken });
    const chains: Chain[] = [];
    for (let i = 0; i < CHAINS; i++) chains.push(refreshChain(refresh, (await login(t, app, user)).refresh_token));
    await promoteUnderLoad(primary, replica, chains);
    await expectNoRotationLost(chains, dataSource, (value) => t.app.get(TokenHashers).refreshToken.hash(value));
    // And each client's last token still refreshes, on the same process.
    for (const chain of chains) {
      const result = await eventually('a refresh after the failover', async () => {
        const answer = await token(t, app, { grant_type: 'refresh_token', refresh_token: chain.held });
        return answer.status === 503 ? undefined : answer;
      });
      expect(result.status).toBe(200);
    }
    const readyz = await eventually('readiness on the promoted replica', async () => {
      const result = await api(t, 'GET', '/readyz');
      return result.status === 200 ? result : undefined;
    });
    expect(readyz.status).toBe(200);
  });
});

/**
 * A server that turns read-only under connections already open (a primary demoted in
 * place, or default_transaction_read_only set): nothing closes them, so the pool must
 * drop each one a write finds read-only, and the next connection must find the server
 * that takes writes, here the second of two independent clusters.
 */
describeWithCluster('a multi-host pool whose server turns read-only under open connections', () => {
  let first: PgCluster;
  let second: PgCluster;
  let dataSource: DataSource;

  beforeAll(async () => {
    [first, second] = [await PgCluster.start(), await PgCluster.start()];
    for (const cluster of [first, second]) {
      const admin = await cluster.client();
      await admin.query('CREATE TABLE writes (port int)').finally(() => admin.end());
    }
    dataSource = createDataSource(multiHostUrl(first, second), 2);
    await dataSource.initialize();
  });
  afterAll(async () => {
    if (dataSource?.isInitialized) await dataSource.destroy();
    await first?.destroy();
    await second?.destroy();
  });

  const write = async () => (await dataSource.query<Array<{ port: number }>>('INSERT INTO writes VALUES (inet_server_port()) RETURNING port'))[0].port;

  it('refuses the write as read-only (503), then writes on the next server without a restart', async () => {
    // Both pool connections open, on the first server.
    expect(await Promise.all([write(), write()])).toEqual([first.port, first.port]);
    const admin = await first.client();
    try {
      await admin.query('ALTER SYSTEM SET default_transaction_read_only = on');
      await admin.query('SELECT pg_reload_conf()');
    } finally {
      await admin.end();
    }
    const refusal = await eventually('a write refused as read-only', () => write().then(() => undefined, (error: unknown) => error));
    expect(isDatabaseReadOnly(refusal)).toBe(true);
    expect(await eventually('a write on the second server', async () => ((await write()) === second.port ? true : undefined))).toBe(true);
  });
});
