import { createClient, createUser, login, type TestClient, token } from '../factories/index.js';
import { isActive, revoke } from '../factories/resource-server.js';
import { type ServerPair, startServerPair } from '../setup/server-pair.js';

const TOKENS = 50;
const SESSIONS = 30;

// Revocations that arrive together are written together (one statement, one commit):
// grouping must not lose a revocation, answer before it is durable, or announce one twice.
describe('concurrent revocations on two processes', () => {
  let pair: ServerPair;
  let app: TestClient;
  let resourceServer: TestClient;

  beforeAll(async () => {
    pair = await startServerPair();
    app = await createClient(pair.setup, { accessTokenFormat: 'opaque' });
    resourceServer = await createClient(pair.setup, { grantTypes: ['client_credentials'], scopes: [], introspect: true });
  });
  afterAll(async () => {
    await pair?.close();
  });

  it('each revoked once, durably, and announced on the feed and audited exactly once', async () => {
    const tokens = await Promise.all(
      Array.from({ length: TOKENS }, async () => {
        const issued = await token(pair.a, app, { grant_type: 'client_credentials', scope: 'read' });
        if (issued.status !== 200) throw new Error(`issuance failed: ${issued.status} ${issued.text}`);
        return issued.body.access_token as string;
      }),
    );
    // Every token on both processes at once: distinct tokens share groups, and each token
    // races its twin on the other process, the two asking in different ways (see asked).
    const ways = asked('access_token', 'refresh_token');
    const results = await Promise.all(
      tokens.flatMap((value, i) => [revoke(pair.a, app, value, ways[i % 3]), revoke(pair.b, app, value, ways[(i + 1) % 3])]),
    );
    expect(results.map((result) => result.status)).toEqual(results.map(() => 200));

    for (const value of tokens) {
      for (const server of [pair.a, pair.b]) expect(await isActive(server, resourceServer, value)).toBe(false);
    }
    // The audit event is written by the revocation's own statement, so by the one that won.
    const rows = await pair.setup.db.dataSource.query<Array<{ revoked: boolean; remembered: number; announced: number; audited: string[] }>>(
      `SELECT o.revoked_at IS NOT NULL AS revoked,
              (SELECT count(*)::int FROM revoked_access_tokens r WHERE r.jti = o.jti) AS remembered,
              (SELECT count(*)::int FROM revocation_events e WHERE e.kind = 'jti' AND e.subject = o.jti) AS announced,
              ARRAY(SELECT a.actor || ' ' || a.client_id || ' ' || (a.occurred_at = o.revoked_at) FROM audit_events a
                    WHERE a.type = 'access_token_revoked' AND a.details->>'jti' = o.jti) AS audited
       FROM opaque_access_tokens o WHERE o.client_id = $1`,
      [app.id],
    );
    expect(rows).toHaveLength(TOKENS);
    expect(rows).toEqual(rows.map(() => ({ revoked: true, remembered: 1, announced: 1, audited: [`client:${app.id} ${app.id} true`] })));
  });

  it('sessions revoked through their refresh tokens on both processes: each ended once, announced once, audited once', async () => {
    pair.syncClock();
    const user = await createUser(pair.setup);
    const web = await createClient(pair.setup);
    const sessions = await Promise.all(Array.from({ length: SESSIONS }, () => login(pair.setup, web, user)));
    // Each session on both processes, the two asking in different ways (see asked).
    const ways = asked('refresh_token', 'access_token');
    const results = await Promise.all(
      sessions.flatMap(({ refresh_token }, i) => [revoke(pair.a, web, refresh_token, ways[i % 3]), revoke(pair.b, web, refresh_token, ways[(i + 1) % 3])]),
    );
    expect(results.map((result) => result.status)).toEqual(results.map(() => 200));

    for (const { refresh_token } of sessions) {
      for (const server of [pair.a, pair.b]) {
        expect((await token(server, web, { grant_type: 'refresh_token', refresh_token })).body.error).toBe('invalid_grant');
      }
    }
    const rows = await pair.setup.db.dataSource.query<Array<{ revoked: boolean; reason: string; announced: number; audited: number }>>(
      `SELECT f.revoked_at IS NOT NULL AS revoked, f.revoked_reason AS reason,
              (SELECT count(*)::int FROM revocation_events e WHERE e.kind = 'family' AND e.subject = f.id::text) AS announced,
              (SELECT count(*)::int FROM audit_events a WHERE a.type = 'session_revoked' AND a.family_id = f.id) AS audited
       FROM families f WHERE f.client_id = $1`,
      [web.id],
    );
    expect(rows).toHaveLength(SESSIONS);
    expect(rows).toEqual(rows.map(() => ({ revoked: true, reason: 'revoked', announced: 1, audited: 1 })));
  });
});

/**
 * The three ways of asking, paired in turn across the two processes: with the token's own
 * hint and with none (a grouped statement finds and revokes it), and with the other
 * kind's hint (that statement misses, and the token is looked up first).
 */
function asked(own: string, other: string): Array<Record<string, string>> {
  return [{ token_type_hint: own }, {}, { token_type_hint: other }];
}
