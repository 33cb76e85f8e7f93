import type { Pool } from 'pg';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import { ClientsService } from '../../src/clients/clients.service.js';
import { TokenHashers } from '../../src/common/token-hashers.js';
import { RevocationView } from '../../src/sessions/revocation-view.service.js';
import { createClient, createUser, login, token, type TestClient, type TestUser } from '../factories/index.js';
import { introspect, jwtClaims } from '../factories/resource-server.js';
import { startTestApp, type TestApp } from '../setup/app.js';
import type { TestDatabase } from '../setup/database.js';
import { eventually, expectNoServerError } from '../setup/faults.js';
import { clusterDatabase, describeWithCluster, PgCluster } from '../setup/pg-cluster.js';

const CHAINS = 12;
const REFRESHES_PER_CHAIN = 12;

interface Chain {
  readonly sid: string;
  /** the refresh token the client holds: the last one it was given */
  held: string;
  readonly received: string[];
  readonly statuses: number[];
}

/**
 * CONTRACT "Refresh tokens": a refresh is one transaction, so a connection killed in the
 * middle of it (pg_terminate_backend from an admin connection) either consumed the token
 * and left its one successor, or changed nothing. Either way the client's last token
 * still works: unconsumed, or consumed with its successor reachable through the grace
 * rule. Checked against the tables themselves.
 */
describeWithCluster('Tessera\'s database connections killed during rotations', () => {
  let cluster: PgCluster;
  let db: TestDatabase;
  let t: TestApp;
  let app: TestClient;
  let user: TestUser;

  beforeAll(async () => {
    cluster = await PgCluster.start();
    db = await clusterDatabase(cluster, 8);
    t = await startTestApp({}, { db });
    app = await createClient(t);
    user = await createUser(t);
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
    await cluster?.destroy();
  });

  /**
   * Terminates Tessera's backends in a loop, from a connection of its own, until `done`,
   * pausing `pause()` ms between rounds: how many it ended.
   */
  async function killer(done: () => boolean, pause: () => number = () => 5 + Math.random() * 20): Promise<number> {
    const admin = await cluster.client();
    let killed = 0;
    try {
      while (!done()) {
        // Busy backends most of the time (mid-statement, mid-transaction), now and then all of them.
        const which = Math.random() < 0.7 ? `AND state <> 'idle'` : '';
        const { rows } = await admin.query<{ n: number }>(
          `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
           WHERE pid <> pg_backend_pid() AND backend_type = 'client backend' AND datname = current_database() ${which}`,
        );
        killed += rows[0].n;
        await new Promise((resolve) => setTimeout(resolve, pause()));
      }
    } finally {
      await admin.end();
    }
    return killed;
  }

  /**
   * The test's own reads of the tables after a storm. The killer ends idle connections of
   * this pool too, and a backend may exit only after pg_terminate_backend has returned, so
   * a read can draw a connection that is already dead: the pool drops it, and the read
   * goes again on another. Any other error is the test's to report.
   */
  async function read<Row>(sql: string, params: unknown[]): Promise<Row[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await db.dataSource.query<Row[]>(sql, params);
      } catch (error) {
        if (attempt === 10 || !/Connection terminated|terminating connection/.test((error as Error).message)) throw error;
      }
    }
  }

  async function refreshChain(chain: Chain): Promise<void> {
    for (let i = 0; i < REFRESHES_PER_CHAIN; i++) {
      const result = await token(t, app, { grant_type: 'refresh_token', refresh_token: chain.held });
      chain.statuses.push(result.status);
      expectNoServerError(result);
      if (result.status !== 200) continue;
      chain.held = String(result.body.refresh_token);
      chain.received.push(chain.held);
    }
  }

  it('leaves every chain with one successor per token and the client\'s last token working', async () => {
    const chains: Chain[] = [];
    for (let i = 0; i < CHAINS; i++) {
      const session = await login(t, app, user);
      chains.push({ sid: String(jwtClaims(session.access_token).sid), held: session.refresh_token, received: [], statuses: [] });
    }
    let running = true;
    const killing = killer(() => !running);
    try {
      await Promise.all(chains.map((chain) => refreshChain(chain)));
    } finally {
      running = false;
    }
    const killed = await killing;
    const statuses = chains.flatMap((chain) => chain.statuses);
    // The fault happened: backends died and some refreshes were refused (503) for it.
    expect(killed).toBeGreaterThan(0);
    expect(statuses.filter((status) => status === 503).length).toBeGreaterThan(0);
    // Nothing but success or "try again": no token was lost (invalid_grant) or broke the server.
    expect(statuses.filter((status) => status !== 200 && status !== 503)).toEqual([]);

    // No token was issued twice.
    const received = chains.flatMap((chain) => chain.received);
    expect(new Set(received).size).toBe(received.length);

    // The last token each client holds still refreshes, once the killing has stopped.
    for (const chain of chains) {
      const result = await eventually('a refresh after the storm', async () => {
        const answer = await token(t, app, { grant_type: 'refresh_token', refresh_token: chain.held });
        return answer.status === 503 ? undefined : answer;
      });
      expect({ sid: chain.sid, status: result.status, body: result.status === 200 ? 'ok' : result.body }).toEqual({ sid: chain.sid, status: 200, body: 'ok' });
      chain.held = String(result.body.refresh_token);
    }
    await expectWellFormedChains(chains);
  });

  // Issue 19, defect 1: a deletion is one transaction, so a killed one left the client
  // whole (its token live, no tombstone) or gone with its tombstone (its token dead).
  it('deletes each client wholly or not at all while connections die', async () => {
    const resourceServer = await createClient(t, { grantTypes: ['client_credentials'], scopes: [], introspect: true });
    const doomed: Array<{ client: TestClient; token: string }> = [];
    // Clients to spare: the storm goes on past CHAINS deletions until one failed.
    for (let i = 0; i < 3 * CHAINS; i++) {
      const client = await createClient(t, { grantTypes: ['client_credentials'], scopes: ['read'] });
      doomed.push({ client, token: String((await token(t, client, { grant_type: 'client_credentials', scope: 'read' })).body.access_token) });
    }
    // One after another, as an operator would, retrying until it goes through. How long a
    // deletion takes depends on the machine, so the killer adapts both ways: when one keeps
    // failing it pauses longer between rounds, and when one goes through at the first try
    // it pauses less, so some deletions fail and some go through while connections die.
    let running = true;
    let spread = 20;
    const killing = killer(() => !running, () => 1 + Math.random() * spread);
    const outcomes: string[] = [];
    try {
      for (const [index, { client }] of doomed.entries()) {
        if (index >= CHAINS && outcomes.includes('failed')) break;
        let failures = 0;
        for (; outcomes.at(-1) !== 'deleted' && failures < 30; failures++) {
          if (failures > 0 && failures % 5 === 0) spread = Math.min(spread * 2, 2000);
          outcomes.push(await t.app.get(ClientsService).delete(client.id, 'test').then(() => 'deleted', () => 'failed'));
        }
        if (failures === 1) spread /= 2;
        outcomes.push('next');
      }
    } finally {
      running = false;
    }
    const killed = await killing;
    // The fault happened, and yet some deletions went through.
    expect(killed).toBeGreaterThan(0);
    expect(outcomes).toContain('failed');
    expect(outcomes).toContain('deleted');
    // A deletion whose COMMIT went through on a connection killed before its answer came
    // back reported a failure: nothing told this process, and its view learns the
    // tombstone from the feed within its bound (the next poll), not at once. One read of
    // the feed begun after the storm is that bound.
    await eventually('a read of the revocation feed after the storm', () => t.app.get(RevocationView).catchUp().then(() => true));
    for (const { client, token: accessToken } of doomed) {
      const [row] = await read<{ present: boolean; tombstone: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM clients WHERE id = $1) AS present,
                EXISTS (SELECT 1 FROM revocation_events WHERE kind = 'client' AND subject = $1) AS tombstone`,
        [client.id],
      );
      const answer = await eventually('an introspection after the storm', async () => {
        const result = await introspect(t, resourceServer, accessToken);
        return result.status === 503 ? undefined : result;
      });
      expect({ id: client.id, ...row, active: answer.body.active }).toEqual({ id: client.id, present: !row.tombstone, tombstone: row.tombstone, active: !row.tombstone });
    }
  });

  // What the storm above found: a backend killed right after its handshake sends its FATAL
  // in the same read as ReadyForQuery, before the borrower has put an 'error' listener on
  // the connection; without one of its own, the event was thrown and ended the process.
  it('a pooled connection that fails before its borrower listens does not throw', async () => {
    const pool = (db.dataSource.driver as PostgresDriver).master as Pool;
    const client = await pool.connect();
    try {
      expect(() => client.emit('error', new Error('terminating connection due to administrator command'))).not.toThrow();
    } finally {
      client.release(true);
    }
  });

  async function expectWellFormedChains(chains: Chain[]): Promise<void> {
    const sids = chains.map((chain) => chain.sid);
    const query = <Row = Record<string, unknown>>(sql: string) => read<Row>(sql, [sids]);
    // Each family is one unbroken chain 0..n (its key allows one token per generation), alive,
    // with one live token at its end: the one that has no successor.
    const families = await query<{ id: string; last: number }>(`SELECT f.id, f.revoked_at, count(t.*)::int AS tokens, max(t.generation) AS last,
        count(t.*) FILTER (WHERE NOT EXISTS (
          SELECT 1 FROM refresh_tokens s WHERE s.family_id = t.family_id AND s.generation = t.generation + 1))::int AS unused
      FROM families f JOIN refresh_tokens t ON t.family_id = f.id WHERE f.id = ANY($1) GROUP BY f.id`);
    expect(families).toHaveLength(CHAINS);
    for (const family of families) {
      expect(family).toEqual({ id: family.id, revoked_at: null, tokens: family.last + 1, last: family.last, unused: 1 });
    }
    // Every token a client received is a row of its chain, and the one it holds is the live end.
    const hash = (value: string) => t.app.get(TokenHashers).refreshToken.hash(value);
    for (const chain of chains) {
      const rows = await read<{ hash: Buffer; generation: number }>(
        `SELECT hash, generation FROM refresh_tokens WHERE family_id = $1`,
        [chain.sid],
      );
      const stored = new Map(rows.map((row) => [row.hash.toString('hex'), row.generation]));
      const last = Math.max(...rows.map((row) => row.generation));
      for (const value of chain.received) expect(stored.has(hash(value).toString('hex'))).toBe(true);
      expect(stored.get(hash(chain.held).toString('hex'))).toBe(last);
    }
  }
});
