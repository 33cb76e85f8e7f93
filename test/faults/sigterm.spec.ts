import { Agent } from 'node:http';
import { GracefulFastifyAdapter } from '../../src/http/graceful-adapter.js';
import { createClient, createUser, login, type TestClient, type TestUser } from '../factories/index.js';
import { startTestApp, TEST_SECRETS, type TestApp } from '../setup/app.js';
import type { TestDatabase } from '../setup/database.js';
import { type Answer, send } from '../setup/faults.js';
import { clusterDatabase, describeWithCluster, PgCluster } from '../setup/pg-cluster.js';
import { type Child, childEnv, runNode, startNode } from '../setup/processes.js';

const ISSUER = 'http://tessera.test';
const LISTENING = /listening on (http:\/\/127\.0\.0\.1:\d+)/;
const LOGINS = 24;
const WRONG_PASSWORDS = 3;
const INTROSPECTIONS = 16;
// The issue's count of requests arriving during the stop (37 of 40 were reset before).
const ARRIVING = 40;
const DRAIN_MS = 2_000;

/**
 * A graceful stop: on SIGTERM a real server process finishes every request it has
 * accepted with its normal answer, answers what arrives during SHUTDOWN_DRAIN_MS with 503
 * (never a reset: issue 19, weak point 6), and exits 0 in bounded time.
 */
describeWithCluster('SIGTERM under load', () => {
  let cluster: PgCluster;
  let db: TestDatabase;
  let seed: TestApp;
  let app: TestClient;
  let resourceServer: TestClient;
  let user: TestUser;
  let server: Child;
  let url: string;

  beforeAll(async () => {
    expect((await runNode(['scripts/build-if-needed.js'], childEnv())).code).toBe(0);
    cluster = await PgCluster.start();
    db = await clusterDatabase(cluster);
    seed = await startTestApp({ ISSUER }, { db });
    app = await createClient(seed);
    resourceServer = await createClient(seed, { grantTypes: ['client_credentials'], scopes: [], introspect: true });
    user = await createUser(seed);
    server = startNode(['dist/src/main.js'], childEnv({ ...TEST_SECRETS, DATABASE_URL: cluster.url, PORT: '0', ISSUER, LOG_LEVEL: 'info', SHUTDOWN_DRAIN_MS: String(DRAIN_MS) }));
    url = await server.waitFor((out) => LISTENING.exec(out)?.[1], 'the listening line');
  });
  afterAll(async () => {
    await server?.kill();
    await seed?.close();
    await db?.drop();
    await cluster?.destroy();
  });

  const form = (caller: TestClient, params: Record<string, string>) => ({
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: caller.basic },
    body: new URLSearchParams(params).toString(),
  });

  it('finishes the requests in flight, answers new connections 503 (not a reset) during the drain, and exits 0', async () => {
    const session = await login({ ...seed, url }, app, user);
    // Keep-alive sockets opened before the load, so every request below is on a connection
    // the server has accepted, and its bytes are there before the signal.
    const agent = new Agent({ keepAlive: true, maxSockets: LOGINS + INTROSPECTIONS });
    await Promise.all(Array.from({ length: LOGINS + INTROSPECTIONS }, () => send(agent, url, 'GET', '/healthz')));

    const logins = Array.from({ length: LOGINS }, (_, i) => {
      const password = i < WRONG_PASSWORDS ? `${user.password}-wrong` : user.password;
      return send(agent, url, 'POST', '/oauth/token', form(app, { grant_type: 'password', username: user.username, password }));
    });
    const introspections = Array.from({ length: INTROSPECTIONS }, () =>
      send(agent, url, 'POST', '/oauth/introspect', form(resourceServer, { token: session.access_token })),
    );
    // Logins cost argon2 work: once the first is answered, the others are still being worked on.
    await Promise.race(logins);
    const signalledAt = performance.now();
    server.child.kill('SIGTERM');
    await server.waitFor((out) => (out.includes('SIGTERM: finishing') ? true : undefined), 'the shutdown log line', 10_000);

    // After the signal: requests on new connections, in parallel and one after another.
    const late: Answer[] = await Promise.all(
      Array.from({ length: ARRIVING }, () => send(false, url, 'POST', '/oauth/introspect', form(resourceServer, { token: session.access_token }))),
    );
    for (let i = 0; i < 3; i++) late.push(await send(false, url, 'GET', '/readyz'));

    const exit = await server.finish(10_000);
    const exitedAfterMs = performance.now() - signalledAt;
    const answered = await Promise.all([...logins, ...introspections]);
    agent.destroy();

    expect({ code: exit.code, signal: exit.signal }).toEqual({ code: 0, signal: null });
    const summary = (answer: Answer) => ('error' in answer ? answer.error : answer.status);
    // Every accepted request got its normal answer; a throttled login (429) is one too.
    expect(answered.filter((answer) => !('status' in answer) || ![200, 400, 429].includes(answer.status)).map(summary)).toEqual([]);
    const loginStatuses = (await Promise.all(logins)).map(summary);
    expect(loginStatuses.filter((status) => status === 200).length).toBeGreaterThanOrEqual(LOGINS - WRONG_PASSWORDS - 1);
    for (const answer of await Promise.all(introspections)) expect('text' in answer && (JSON.parse(answer.text) as { active: unknown }).active).toBe(true);
    // The signal did come mid-flight: some answers were still to come.
    expect(answered.filter((answer) => answer.at > signalledAt).length).toBeGreaterThan(0);
    // Every late request was answered, 503 with Retry-After and Connection: close: a load balancer retries elsewhere.
    expect(late.map((answer) => ('error' in answer ? answer.error : `${answer.status} ${answer.headers['retry-after']} ${answer.headers.connection}`))).toEqual(
      late.map(() => '503 1 close'),
    );
    for (const answer of late) expect('text' in answer && JSON.parse(answer.text)).toEqual({ error: 'temporarily_unavailable', error_description: expect.any(String) });
    // Bounded: the drain, then the requests in flight, then out.
    expect(exitedAfterMs).toBeGreaterThanOrEqual(DRAIN_MS);
    expect(exitedAfterMs).toBeLessThan(DRAIN_MS + 8_000);
  });

  it('answers a request that arrives once the close has begun 503, and closes its connection', async () => {
    // The step of a close between the signal and the listener's end, taken on its own.
    (seed.app.getHttpAdapter() as GracefulFastifyAdapter).beforeClose();
    const answer = await send(false, seed.url, 'POST', '/oauth/introspect', form(resourceServer, { token: 'x' }));
    expect('status' in answer && { status: answer.status, body: JSON.parse(answer.text), headers: answer.headers }).toEqual({
      status: 503,
      body: { error: 'temporarily_unavailable', error_description: expect.any(String) },
      headers: expect.objectContaining({ 'retry-after': '1', connection: 'close', 'cache-control': 'no-store' }),
    });
  });
});
