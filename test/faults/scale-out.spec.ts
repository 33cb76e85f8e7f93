import type { DataSource } from 'typeorm';
import { TokenHashers } from '../../src/common/token-hashers.js';
import { createDataSource } from '../../src/persistence/data-source.js';
import { databaseTime } from '../../src/persistence/database-time.js';
import { createClient, createUser, login, token, type TestClient, type TestUser } from '../factories/index.js';
import { metricValue, scrape } from '../factories/metrics.js';
import { jwtClaims, revoke } from '../factories/resource-server.js';
import { startTestApp, type TestApp } from '../setup/app.js';
import { ShiftedClock } from '../setup/clock.js';
import { type Chain, expectNoRotationLost, promoteUnderLoad, refreshChain, synchronousStandbyOf } from '../setup/failover-load.js';
import { eventually, expectNoServerError, send } from '../setup/faults.js';
import { describeWithPooler, PgBouncer } from '../setup/pgbouncer.js';
import { advisoryLocks, multiHostUrl, PgCluster } from '../setup/pg-cluster.js';
import { buildOnce, runTessera, TesseraServer } from '../setup/tessera-server.js';

const ISSUER = 'http://tessera.test';
const GRACE = 10;
/** how often every process's grace sweeper runs: half the window (src/sessions/grace-sweeper.ts) */
const SWEEP_MS = (GRACE / 2) * 1000;
const FAST_SECONDS = 20;
/** Issue 20: a revocation on one process is visible on every other within a second. */
const VISIBLE_WITHIN_MS = 1_000;
/** four processes (one of them three) booting at once on two cores */
const BOOT_MS = 120_000;
// A lock left held makes a migrate or cleanup wait forever: each must end well within this.
const PROMPTLY_MS = 60_000;
const ROUNDS = 5;
const RACERS = 12;
/** Test-only: moves a child's wall clock (Date) ahead; Tessera's configuration knows nothing of it. */
const SKEWED_CLOCK = new URL('../setup/skewed-clock.mjs', import.meta.url).href;

interface Answered {
  readonly status: number;
  readonly text: string;
}

interface Process {
  readonly name: string;
  readonly server: TesseraServer;
  /** server processes behind its port: node:cluster hands each new connection to the next */
  readonly workers: number;
  readonly url: string;
}

/**
 * Issue 20's "done when": three Tessera processes and a WORKERS=2 server, every one behind
 * a transaction-mode PgBouncer (DATABASE_URL lists a pooler in front of the primary, then
 * one in front of its synchronous replica; DATABASE_LISTEN_URL lists both servers directly,
 * since LISTEN needs a session of its own), one of them with its host clock 20 s fast.
 * Each part has a test of its own (pooler-locks, pooler-listen, failover,
 * clock-skew-across-processes, cluster); here they run at once, in one topology.
 */
describeWithPooler('scale-out: 3 processes and a WORKERS=2 server behind PgBouncer, one clock 20 s fast, then a failover', () => {
  let primary: PgCluster;
  let replica: PgCluster;
  let bouncers: PgBouncer[] = [];
  let pooled: string;
  let dataSource: DataSource;
  let seed: TestApp;
  let app: TestClient;
  /** a client of opaque access tokens: each process reads a token's row once, then judges it from its view */
  let opaqueApp: TestClient;
  let resourceServer: TestClient;
  let user: TestUser;
  const servers: TesseraServer[] = [];
  let all: Process[];
  let fast: Process;
  /** the processes on a correct clock */
  let correct: Process[];
  let cluster: Process;

  beforeAll(async () => {
    buildOnce();
    primary = await PgCluster.start();
    replica = await synchronousStandbyOf(primary);
    bouncers = [await PgBouncer.start(primary), await PgBouncer.start(replica)];
    pooled = multiHostUrl(...bouncers);
    const direct = multiHostUrl(primary, replica);
    // Janitors every second and grace sweepers every 5 s, on every process, all along.
    const env = { ISSUER, DATABASE_URL: pooled, DATABASE_LISTEN_URL: direct, REFRESH_REUSE_GRACE: String(GRACE), JANITOR_INTERVAL: '1' };
    const settings = [env, env, { ...env, NODE_OPTIONS: `--import=${SKEWED_CLOCK}`, SKEWED_CLOCK_SECONDS: String(FAST_SECONDS) }, { ...env, WORKERS: '2' }];
    // All at once, on a schema none has migrated yet.
    const started = await Promise.allSettled(settings.map((setting) => TesseraServer.start(setting, BOOT_MS)));
    for (const result of started) if (result.status === 'fulfilled') servers.push(result.value);
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    const [a, b, skewed, pair] = servers;
    await eventually('both workers listening', async () => (/listening on \S+ \(2 workers/.test(pair.log) ? true : undefined), BOOT_MS);
    const processes = { a, b, fast: skewed, cluster: pair };
    all = Object.entries(processes).map(([name, server]) => ({ name, server, workers: server === pair ? 2 : 1, url: server.url }));
    [correct, fast, cluster] = [all.filter((p) => p.name !== 'fast'), all[2], all[3]];

    // The in-process app seeds the data and reads it back, on the servers directly.
    dataSource = createDataSource(direct, 4, { prepare: true });
    await dataSource.initialize();
    seed = await startTestApp({ ISSUER }, { db: { url: direct, dataSource, drop: async () => undefined }, clock: new ShiftedClock(0), databaseClock: true });
    app = await createClient(seed);
    opaqueApp = await createClient(seed, { accessTokenFormat: 'opaque' });
    resourceServer = await createClient(seed, { grantTypes: ['client_credentials'], scopes: [], introspect: true });
    user = await createUser(seed);
  }, 4 * BOOT_MS);
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await seed?.close();
    if (dataSource?.isInitialized) await dataSource.destroy();
    await Promise.all(bouncers.map((bouncer) => bouncer.destroy()));
    await replica?.destroy();
    await primary?.destroy();
  });

  const on = (p: Process): TestApp => ({ ...seed, url: p.url });
  const refreshOn = (p: Process, refreshToken: string) => token(p, app, { grant_type: 'refresh_token', refresh_token: refreshToken });
  const hash = (refreshToken: string) => seed.app.get(TokenHashers).refreshToken.hash(refreshToken);

  /** Sums a counter over every process (a WORKERS=2 server sums its workers'). */
  async function total(name: string): Promise<number> {
    const values = await Promise.all(all.map(async (p) => metricValue(await scrape(p), name)));
    return values.reduce((sum, value) => sum + value, 0);
  }

  /** One request per worker of `p`, each on a connection of its own, so that every worker answers one. */
  async function everyWorker(p: Process, path: string, form?: Record<string, string>, headers: Record<string, string> = {}): Promise<Answered[]> {
    const options = form ? { headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(form).toString() } : {};
    const answers: Answered[] = [];
    for (let worker = 0; worker < p.workers; worker++) {
      const answer = await send(false, p.url, form ? 'POST' : 'GET', path, options);
      if ('error' in answer) throw new Error(`${p.name} ${path}: ${answer.error}`);
      answers.push({ status: answer.status, text: answer.text });
    }
    return answers;
  }

  /**
   * Whether each worker of `p` says `accessToken` is active (RFC 7662); fails on anything but
   * 200, except a 503 when `unavailable` allows it (undefined: no answer yet).
   */
  async function activeOn(p: Process, accessToken: string, { unavailable = false } = {}): Promise<Array<boolean | undefined>> {
    const results = await everyWorker(p, '/oauth/introspect', { token: accessToken }, { authorization: resourceServer.basic });
    return results.map((result) => {
      if (unavailable && result.status === 503) return undefined;
      if (result.status !== 200) throw new Error(`introspection on ${p.name}: ${result.status} ${result.text}`);
      return (JSON.parse(result.text) as { active?: unknown }).active === true;
    });
  }

  /**
   * Milliseconds from `since` until every worker of `p` says inactive, polled at short
   * intervals. A 503 (a view past its bound, failing closed: seen on a loaded machine) is
   * not an answer yet: polled again, and its time counts.
   */
  async function seenInactive(p: Process, accessToken: string, since: number): Promise<number> {
    const deadline = since + 20_000;
    while (!(await activeOn(p, accessToken, { unavailable: true })).every((active) => active === false)) {
      if (performance.now() > deadline) throw new Error(`${p.name} still says active`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return performance.now() - since;
  }

  /**
   * Revokes a fresh session of `client` on `revoker` (the session, or only its access
   * token); each process must see it within the second.
   */
  async function expectRevocationSeenEverywhere(revoker: Process, loginAt: Process, client = app, what: 'session' | 'access token' = 'session'): Promise<void> {
    const session = await login(on(loginAt), client, user);
    // Every worker verified and cached the token as active before the revocation.
    for (const p of all) expect(await activeOn(p, session.access_token)).toEqual(Array(p.workers).fill(true));
    expect((await revoke(revoker, client, what === 'session' ? session.refresh_token : session.access_token)).status).toBe(200);
    const revokedAt = performance.now();
    const seen = await Promise.all(all.map(async (p) => ({ name: p.name, ms: await seenInactive(p, session.access_token, revokedAt) })));
    expect(seen.filter(({ ms }) => ms > VISIBLE_WITHIN_MS)).toEqual([]);
  }

  async function generations(accessToken: string): Promise<number[]> {
    const rows = await dataSource.query<Array<{ generation: number }>>(`SELECT generation FROM refresh_tokens WHERE family_id = $1 ORDER BY generation`, [
      jwtClaims(accessToken).sid,
    ]);
    return rows.map((row) => row.generation);
  }

  /** For each used token: whether its successor is still kept (sealed) for a grace retry. */
  async function successorsKept(refreshTokens: string[]): Promise<boolean[]> {
    const rows = await dataSource.query<Array<{ hash: Buffer; kept: boolean }>>(
      `SELECT t.hash, g.family_id IS NOT NULL AS kept FROM refresh_tokens t
       LEFT JOIN refresh_grace_copies g ON g.family_id = t.family_id AND g.generation = t.generation + 1 WHERE t.hash = ANY($1)`,
      [refreshTokens.map(hash)],
    );
    return refreshTokens.map((value) => rows.find((row) => row.hash.equals(hash(value)))?.kept ?? false);
  }

  it("runs the fast process on the database's clock, measuring its own 20 s ahead, and the others on time", async () => {
    const offsets = await Promise.all(all.map(async (p) => metricValue(await scrape(p), 'tessera_clock_offset_seconds')));
    // Within half a second: the measurement's error is half a round trip.
    for (const [i, p] of all.entries()) expect(offsets[i]).toBeCloseTo(p === fast ? -FAST_SECONDS : 0, 0);
    expect(fast.server.log).toMatch(/this process's clock is (19\.9|20\.\d) s ahead of the database's/);
  });

  it('rotates each refresh token exactly once however many processes race for it: the others get the same successor', async () => {
    const first = await login(on(all[0]), app, user);
    const [rotationsBefore, graceBefore] = [await total('tessera_refresh_rotations_total'), await total('tessera_refresh_grace_hits_total')];
    let current = first.refresh_token;
    for (let round = 0; round < ROUNDS; round++) {
      const results = await Promise.all(Array.from({ length: RACERS }, (_, i) => refreshOn(all[(i + round) % all.length], current)));
      for (const result of results) expectNoServerError(result);
      expect(results.map((result) => result.status)).toEqual(Array(RACERS).fill(200));
      const successors = new Set(results.map((result) => result.body.refresh_token));
      expect(successors.size).toBe(1);
      current = String([...successors][0]);
    }
    // One rotation per round, every other racer a grace hit, and one row per generation.
    expect(await total('tessera_refresh_rotations_total')).toBe(rotationsBefore + ROUNDS);
    expect(await total('tessera_refresh_grace_hits_total')).toBe(graceBefore + ROUNDS * (RACERS - 1));
    expect(await generations(first.access_token)).toEqual(Array.from({ length: ROUNDS + 1 }, (_, generation) => generation));
  });

  it("keeps a legitimate retry inside the grace window on a correct process, through the fast process's grace sweeps", async () => {
    const sessions = await Promise.all(correct.map((p) => login(on(p), app, user)));
    const used = sessions.map((session) => session.refresh_token);
    const rotated = await Promise.all(correct.map((p, i) => refreshOn(p, used[i])));
    expect(rotated.map((result) => result.status)).toEqual(correct.map(() => 200));
    const rotatedBy = await databaseTime(dataSource);
    // A sweep period later every process swept at least once, the fast one included: by
    // its own clock, 20 s ahead, each of these 10 s windows had closed at once.
    await eventually('a grace sweep on every process', async () => ((await databaseTime(dataSource)) > rotatedBy + SWEEP_MS + 500 ? true : undefined));
    expect(await successorsKept(used)).toEqual(used.map(() => true));

    const [retried, onFast] = await Promise.all([
      Promise.all(correct.map((_, i) => refreshOn(correct[(i + 1) % correct.length], used[i]))),
      Promise.all(used.map((value) => refreshOn(fast, value))),
    ]);
    for (const result of [...retried, ...onFast]) expectNoServerError(result);
    expect(retried.map((result) => result.status)).toEqual(correct.map(() => 200));
    expect(onFast.map((result) => result.status)).toEqual(correct.map(() => 200));
    const successors = rotated.map((result) => result.body.refresh_token);
    expect(retried.map((result) => result.body.refresh_token)).toEqual(successors);
    expect(onFast.map((result) => result.body.refresh_token)).toEqual(successors);

    // And the sweepers were running: once the windows closed by the database's clock, they go.
    await eventually('the closed windows swept', async () => ((await successorsKept(used)).some(Boolean) ? undefined : true), 4 * SWEEP_MS);
  });

  it('shows a revocation on one process on every process (both workers of the cluster) within a second', async () => {
    await expectRevocationSeenEverywhere(fast, correct[0]);
    await expectRevocationSeenEverywhere(cluster, fast);
  });

  it("shows an opaque access token's revocation, and its session's, on every process that had read its row, within a second", async () => {
    await expectRevocationSeenEverywhere(correct[1], cluster, opaqueApp, 'access token');
    await expectRevocationSeenEverywhere(fast, correct[0], opaqueApp, 'session');
  });

  it('leaves no advisory lock held, and migrate and cleanup through the pooler finish promptly', async () => {
    // Four processes (five servers) migrated one schema at boot: exactly one applied it.
    expect(servers.flatMap((server) => server.log.match(/applied migrations/g) ?? [])).toHaveLength(1);
    const admin = await primary.client();
    try {
      expect(await advisoryLocks(admin)).toBe(0);
      const runs = await Promise.all([runTessera(['migrate'], pooled, PROMPTLY_MS), runTessera(['cleanup'], pooled, PROMPTLY_MS), runTessera(['cleanup'], pooled, PROMPTLY_MS)]);
      for (const run of runs) expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
      expect(runs[0].stdout).toBe('the schema is up to date\n');
      for (const run of runs.slice(1)) expect(run.stdout).toMatch(/^deleted: /);
      expect(await advisoryLocks(admin)).toBe(0);
    } finally {
      await admin.end();
    }
  });

  it('fails over under a refresh load on every process: no acknowledged rotation lost, every process serves again without a restart', async () => {
    const chains: Chain[] = [];
    for (const p of all) {
      for (let i = 0; i < 2; i++) chains.push(refreshChain((refreshToken) => refreshOn(p, refreshToken), (await login(on(p), app, user)).refresh_token));
    }
    await promoteUnderLoad(primary, replica, chains);
    await expectNoRotationLost(chains, dataSource, hash);

    // Every worker of every process is ready again: the same processes, none replaced.
    for (const p of all) {
      const ready = await eventually(`${p.name} ready`, async () => {
        const results = await everyWorker(p, '/readyz');
        return results.every((result) => result.status === 200) ? results : undefined;
      });
      expect(ready.map((result) => result.status)).toEqual(Array(p.workers).fill(200));
    }
    for (const server of servers) expect(server.log).not.toMatch(/worker \d+ exited/);

    // Introspection answers again everywhere: each view has read the feed on the new primary
    // (until then it answers 503, the switch's own).
    const probe = await login(on(correct[0]), app, user);
    for (const p of all) {
      await eventually(`${p.name} introspecting`, async () => {
        const results = await everyWorker(p, '/oauth/introspect', { token: probe.access_token }, { authorization: resourceServer.basic });
        return results.every((result) => result.status === 200) ? true : undefined;
      });
    }
    // The listeners found the new primary too: revocations still show within the second.
    for (const p of all) {
      await eventually(`${p.name} listening again`, async () =>
        (p.server.log.match(/revocation channel connected again/g) ?? []).length >= p.workers ? true : undefined,
      );
    }
    await expectRevocationSeenEverywhere(correct[1], fast);

    const admin = await replica.client();
    try {
      expect(await advisoryLocks(admin)).toBe(0);
      const migrate = await runTessera(['migrate'], pooled, PROMPTLY_MS);
      expect({ code: migrate.code, stdout: migrate.stdout }).toEqual({ code: 0, stdout: 'the schema is up to date\n' });
    } finally {
      await admin.end();
    }
  }, 240_000);
});
