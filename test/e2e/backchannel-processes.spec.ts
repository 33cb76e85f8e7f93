import { BackchannelLogoutSender } from '../../src/backchannel/backchannel-logout.sender.js';
import { SessionRevoker } from '../../src/sessions/session-revoker.service.js';
import { rows } from '../factories/admin.js';
import { createClient, createUser, login, type TestClient, type TestUser } from '../factories/index.js';
import { jwtClaims } from '../factories/resource-server.js';
import { startTestApp, TEST_SECRETS, type TestApp } from '../setup/app.js';
import { FakeClock } from '../setup/clock.js';
import { createTestDatabase, describeOnPostgres, type TestDatabase } from '../setup/database.js';
import { eventually } from '../setup/faults.js';
import { LogoutReceiver, verifyLogoutToken } from '../setup/logout-receiver.js';
import { childEnv, type Child, runNode, startNode } from '../setup/processes.js';

const LISTENING = /listening on (http:\/\/127\.0\.0\.1:\d+)/;

/** Back-channel logout delivered by Tessera server processes: exactly once, and never lost to a crash. */
describeOnPostgres('back-channel logout across server processes', () => {
  let db: TestDatabase;
  let t: TestApp;
  let user: TestUser;
  let receiver: LogoutReceiver;
  let endpoint: string;
  const servers: Child[] = [];

  const startServer = async (): Promise<Child> => {
    const server = startNode(['dist/src/main.js'], childEnv({ ...TEST_SECRETS, DATABASE_URL: db.url, PORT: '0', ISSUER: 'http://tessera.test', LOG_LEVEL: 'info' }));
    servers.push(server);
    await server.waitFor((out) => LISTENING.exec(out)?.[1], 'the listening line');
    return server;
  };

  /** Sessions of `client` ended by an admin in the seeding process, which sends nothing itself. */
  const endSessions = async (client: TestClient, count: number): Promise<string[]> => {
    const sids: string[] = [];
    for (let i = 0; i < count; i++) sids.push(jwtClaims((await login(t, client, user)).access_token).sid as string);
    await t.app.get(SessionRevoker).revoke(sids, 'admin', 'admin:test');
    return sids;
  };

  beforeAll(async () => {
    expect((await runNode(['scripts/build-if-needed.js'], childEnv())).code).toBe(0);
    db = await createTestDatabase();
    // Real time: the child processes run on the real clock.
    t = await startTestApp({}, { db, clock: new FakeClock(Date.now()) });
    t.app.get(BackchannelLogoutSender).onApplicationShutdown();
    user = await createUser(t);
    receiver = new LogoutReceiver();
    endpoint = await receiver.listen();
  });
  beforeEach(() => {
    receiver.received.length = 0;
    receiver.answer = 200;
  });
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.kill()));
  });
  afterAll(async () => {
    await receiver.close();
    await t?.close();
    await db?.drop();
  });

  it('two sender processes deliver each logout exactly once', async () => {
    await Promise.all([startServer(), startServer()]);
    const client = await createClient(t, { grantTypes: ['password', 'refresh_token'], scopes: ['read'], backchannelLogoutUri: endpoint });
    const sids = await endSessions(client, 30);
    await eventually('every logout delivered', async () => {
      const [row] = await rows<{ n: string }>(t, `SELECT count(*) AS n FROM backchannel_logouts WHERE client_id = $1 AND delivered_at IS NOT NULL`, [client.id]);
      return Number(row.n) === sids.length ? true : undefined;
    });
    // Room for a duplicate to show up, were there one.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const received = receiver.received.map((entry) => jwtClaims(entry.logoutToken));
    expect(received).toHaveLength(sids.length);
    expect(new Set(received.map((claims) => claims.jti)).size).toBe(sids.length);
    expect(new Set(received.map((claims) => claims.sid))).toEqual(new Set(sids));
  });

  it('a process killed mid-delivery: the next one sends the same jti', async () => {
    const first = await startServer();
    const client = await createClient(t, { grantTypes: ['password', 'refresh_token'], scopes: ['read'], backchannelLogoutUri: endpoint });
    receiver.answer = 'hang';
    const [sid] = await endSessions(client, 1);
    await eventually('the first attempt', async () => (receiver.received.length > 0 ? true : undefined));
    await first.stop('SIGKILL');
    receiver.answer = 200;
    await startServer();
    // The killed process's lease runs out, then the new process claims the row.
    await eventually('the attempt after the restart', async () => (receiver.received.length > 1 ? true : undefined), 40_000);
    const [killed, delivered] = receiver.received.map((entry) => entry.logoutToken);
    expect(jwtClaims(delivered).jti).toBe(jwtClaims(killed).jti);
    const claims = await verifyLogoutToken(t.url, delivered, 'http://tessera.test', client.id);
    expect(claims).toMatchObject({ sid, sub: user.user.id });
    const [row] = await rows<{ delivered_at: Date | null; attempts: number }>(t, `SELECT delivered_at, attempts FROM backchannel_logouts WHERE sid = $1`, [sid]);
    expect(row.delivered_at).not.toBeNull();
    expect(row.attempts).toBe(2);
  });
});
