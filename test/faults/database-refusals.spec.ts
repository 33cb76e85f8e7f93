import pg from 'pg';
import { createClient, createUser, type HttpResult, postForm, type TestClient, type TestUser, token } from '../factories/index.js';
import { startTestApp } from '../setup/app.js';
import { eventually, expectUnavailable } from '../setup/faults.js';
import { jsonLines } from '../setup/log-lines.js';
import { describeWithCluster, PgCluster } from '../setup/pg-cluster.js';
import { createDataSource, migrate } from '../../src/persistence/data-source.js';
import { buildOnce, TesseraServer } from '../setup/tessera-server.js';

const ISSUER = 'http://tessera.test';
const ROLE = 'tessera_app';
const DATABASE = 'tessera';
const PASSWORD = 'app-password-for-this-test-only';
const OUTAGE_LINE = /the database is unavailable/;

/**
 * CONTRACT "Endpoints": the database refusing Tessera (not only stopping) is 503
 * temporarily_unavailable with Retry-After on every endpoint, and one log line per outage,
 * never a 500 or a stack per request. Tessera runs as a login role that is not a superuser
 * (superusers ignore CONNECTION LIMIT and default_transaction_read_only), on its own
 * database of a cluster of the test's own. Each case starts a fresh server, applies the
 * refusal, ends Tessera's sessions (a refusal of new connections shows when the pool
 * opens new ones: after a restart, an idle timeout, a failover) and undoes it.
 */
describeWithCluster('the database refuses Tessera', () => {
  let cluster: PgCluster;
  let admin: pg.Client;
  let appUrl: string;
  let app: TestClient;
  let user: TestUser;

  beforeAll(async () => {
    buildOnce();
    cluster = await PgCluster.start();
    admin = await cluster.client();
    await admin.query(`CREATE ROLE ${ROLE} LOGIN PASSWORD '${PASSWORD}'`);
    await admin.query(`CREATE DATABASE ${DATABASE} OWNER ${ROLE}`);
    await cluster.hbaFirst(`host all ${ROLE} 127.0.0.1/32 scram-sha-256`);
    appUrl = `postgres://${ROLE}:${PASSWORD}@127.0.0.1:${cluster.port}/${DATABASE}`;
    // The schema belongs to the role, as in a deployment; clients and users made in process.
    const dataSource = createDataSource(appUrl, 2, { prepare: true });
    await dataSource.initialize();
    await migrate(dataSource);
    const setup = await startTestApp({ ISSUER }, { db: { url: appUrl, dataSource, drop: async () => undefined } });
    try {
      app = await createClient(setup);
      user = await createUser(setup);
    } finally {
      await setup.close();
      if (dataSource.isInitialized) await dataSource.destroy();
    }
  });
  afterAll(async () => {
    await admin?.end();
    await cluster?.destroy();
  });

  /** Ends every session of the role, as a restart or a failover would. */
  async function endSessions(): Promise<void> {
    await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1`, [ROLE]);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }

  const password = (server: TesseraServer) => token(server, app, { grant_type: 'password', username: user.username, password: user.password });
  /** Calls that need the database every time (a refresh token is never judged from memory). */
  const calls = (server: TesseraServer, refreshToken: string, options: { reads?: boolean } = {}): Array<[string, () => Promise<HttpResult>]> => [
    ['password grant', () => password(server)],
    ['refresh grant', () => token(server, app, { grant_type: 'refresh_token', refresh_token: refreshToken })],
    ['revocation', () => postForm(server, '/oauth/revoke', { token: refreshToken }, { authorization: app.basic })],
    ...(options.reads === false ? [] : [['introspection', () => postForm(server, '/oauth/introspect', { token: refreshToken }, { authorization: app.basic })] as [string, () => Promise<HttpResult>]]),
  ];

  function expectNoErrorLines(server: TesseraServer): void {
    // No request was a 500: nothing logged an error or a stack.
    expect(jsonLines(server.log).filter((line) => line.level === 'error' || line.level === 'fatal')).toEqual([]);
    expect(server.log).not.toMatch(/\bat .+:\d+:\d+/);
  }

  function outageLines(server: TesseraServer): string[] {
    return jsonLines(server.log).filter((line) => OUTAGE_LINE.test(String(line.message))).map((line) => String(line.message));
  }

  /** The outage lines, once the first has come through the server's (asynchronous) log. */
  async function loggedOutage(server: TesseraServer): Promise<string[]> {
    return eventually('an outage line in the log', async () => (outageLines(server).length > 0 ? outageLines(server) : undefined), 10_000);
  }

  async function expectRefusedEverywhere(server: TesseraServer, refreshToken: string, sqlstate: RegExp, reads = true): Promise<void> {
    for (let round = 0; round < 3; round++) {
      for (const [what, call] of calls(server, refreshToken, { reads })) {
        const result = await call();
        expect({ what, status: result.status }).toEqual({ what, status: 503 });
        expectUnavailable(result);
      }
    }
    if (!reads) {
      // A read-only server still answers what needs no write.
      const introspected = await postForm(server, '/oauth/introspect', { token: refreshToken }, { authorization: app.basic });
      expect({ status: introspected.status, active: introspected.body.active }).toEqual({ status: 200, active: true });
    }
    expect(await loggedOutage(server)).toEqual([expect.stringMatching(sqlstate)]);
    expectNoErrorLines(server);
  }

  async function withServer(fault: { apply: string[]; undo: string[]; sqlstate: RegExp; reads?: boolean }): Promise<void> {
    const server = await TesseraServer.start({ DATABASE_URL: appUrl, ISSUER });
    let undone = false;
    const undo = async () => {
      undone = true;
      for (const sql of fault.undo) await admin.query(sql);
      await endSessions();
    };
    try {
      const session = await password(server);
      expect(session.status).toBe(200);
      for (const sql of fault.apply) await admin.query(sql);
      await endSessions();
      await expectRefusedEverywhere(server, String(session.body.refresh_token), fault.sqlstate, fault.reads);
      await undo();
      // Nobody restarts Tessera: it answers again by itself, and the session lives on.
      const refreshed = await eventually('a refresh after the database is back', async () => {
        const result = await token(server, app, { grant_type: 'refresh_token', refresh_token: String(session.body.refresh_token) });
        return result.status === 503 ? undefined : result;
      });
      expect(refreshed.status).toBe(200);
    } finally {
      if (!undone) await undo();
      await server.stop();
    }
  }

  it('ALLOW_CONNECTIONS false (55000 at connect)', async () => {
    await withServer({
      apply: [`ALTER DATABASE ${DATABASE} ALLOW_CONNECTIONS false`],
      undo: [`ALTER DATABASE ${DATABASE} ALLOW_CONNECTIONS true`],
      sqlstate: /55000|not currently accepting connections/,
    });
  });

  it('CONNECTION LIMIT 0 on the role (53300)', async () => {
    await withServer({
      apply: [`ALTER ROLE ${ROLE} CONNECTION LIMIT 0`],
      undo: [`ALTER ROLE ${ROLE} CONNECTION LIMIT -1`],
      sqlstate: /53300|too many connections/,
    });
  });

  it('the role loses LOGIN (28000)', async () => {
    await withServer({ apply: [`ALTER ROLE ${ROLE} NOLOGIN`], undo: [`ALTER ROLE ${ROLE} LOGIN`], sqlstate: /28000|not permitted to log in/ });
  });

  it('the role\'s password changes (28P01)', async () => {
    await withServer({
      apply: [`ALTER ROLE ${ROLE} PASSWORD 'another-password-entirely'`],
      undo: [`ALTER ROLE ${ROLE} PASSWORD '${PASSWORD}'`],
      sqlstate: /28P01|password authentication failed/,
    });
  });

  it('the role\'s sessions become read-only, as on a standby (25006)', async () => {
    await withServer({
      apply: [`ALTER ROLE ${ROLE} SET default_transaction_read_only = on`],
      undo: [`ALTER ROLE ${ROLE} RESET default_transaction_read_only`],
      sqlstate: /25006|read-only transaction/,
      reads: false,
    });
  });

  it('the pool waits past its timeout for a connection (every connection stuck behind a lock)', async () => {
    const server = await TesseraServer.start({ DATABASE_URL: appUrl, ISSUER });
    let locked: { release(): Promise<void> } | undefined;
    try {
      const session = await password(server);
      expect(session.status).toBe(200);
      locked = await lockUsers();
      // Ten logins hold the ten connections of the pool, waiting for the lock. Until all ten
      // wait, a call below could take a connection and block behind the lock itself.
      const stuck = Array.from({ length: 10 }, () => password(server));
      await waitForLockWaiters(10);
      const refused = await Promise.all(calls(server, String(session.body.refresh_token)).map(([, call]) => call()));
      for (const result of refused) expectUnavailable(result);
      expect(await loggedOutage(server)).toEqual([expect.stringMatching(/timeout exceeded when trying to connect/)]);
      await locked.release();
      locked = undefined;
      for (const result of await Promise.all(stuck)) expect([200, 503]).toContain(result.status);
      expectNoErrorLines(server);
    } finally {
      // A failed expectation must not leave the lock held: the stuck logins would hold the
      // server's shutdown, and the next test, until the timeout hides the real failure.
      await locked?.release();
      await server.stop();
    }
  });

  /** Polls until `count` of Tessera's backends wait for a lock (a busy machine may take seconds). */
  async function waitForLockWaiters(count: number): Promise<void> {
    for (let waited = 0; ; waited += 50) {
      const { rows } = await admin.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1 AND wait_event_type = 'Lock'`,
        [ROLE],
      );
      if (rows[0].n >= count) return;
      if (waited > 60_000) throw new Error(`only ${rows[0].n} of ${count} connections wait for the lock`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** ACCESS EXCLUSIVE on Tessera's users table, from a connection of the test's own, until release(). */
  async function lockUsers(): Promise<{ release(): Promise<void> }> {
    const client = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${cluster.port}/${DATABASE}` });
    client.on('error', () => undefined); // the cluster may stop under it; that must not crash the worker
    await client.connect();
    await client.query('BEGIN');
    await client.query('LOCK TABLE users IN ACCESS EXCLUSIVE MODE');
    return {
      async release() {
        await client.query('COMMIT');
        await client.end();
      },
    };
  }

  // Last: nothing comes back from this one but a restore.
  it('the database is dropped (57P04, then 3D000 at connect)', async () => {
    const server = await TesseraServer.start({ DATABASE_URL: appUrl, ISSUER });
    try {
      const session = await password(server);
      expect(session.status).toBe(200);
      await admin.query(`DROP DATABASE ${DATABASE} WITH (FORCE)`);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await expectRefusedEverywhere(server, String(session.body.refresh_token), /57P01|57P04|3D000|terminat|does not exist/);
      // What a new connection meets from now on: the database is gone.
      const direct = new pg.Client({ connectionString: appUrl });
      const refused = await direct.connect().then(() => undefined, (error: { code?: string }) => error.code);
      expect(refused).toBe('3D000');
    } finally {
      await server.stop();
    }
  });
});
