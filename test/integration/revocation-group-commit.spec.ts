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
    // races its twin on the other process.
    // One side with the hint (found and revoked by one statement), the other without
    // (looked up first), swapped every other token.
    const hinted = { token_type_hint: 'access_token' };
    const results = await Promise.all(
      tokens.flatMap((value, i) => [revoke(pair.a, app, value, i % 2 ? hinted : {}), revoke(pair.b, app, value, i % 2 ? {} : hinted)]),
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
    // Each session on both processes, one with the hint (found and revoked by one
    // statement) and one without (looked up first), swapped every other session.
    const hinted = { token_type_hint: 'refresh_token' };
    const results = await Promise.all(
      sessions.flatMap(({ refresh_token }, i) => [revoke(pair.a, web, refresh_token, i % 2 ? hinted : {}), revoke(pair.b, web, refresh_token, i % 2 ? {} : hinted)]),
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
