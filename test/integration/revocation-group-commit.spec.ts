import { createClient, type TestClient, token } from '../factories/index.js';
import { isActive, revoke } from '../factories/resource-server.js';
import { type ServerPair, startServerPair } from '../setup/server-pair.js';

const TOKENS = 50;

// Revocations that arrive together are written together (one statement, one commit):
// grouping must not lose a revocation, answer before it is durable, or announce one twice.
describe('concurrent revocations of opaque access tokens on two processes', () => {
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

  it('each revoked once, durably, and announced on the feed exactly once', async () => {
    const tokens = await Promise.all(
      Array.from({ length: TOKENS }, async () => {
        const issued = await token(pair.a, app, { grant_type: 'client_credentials', scope: 'read' });
        if (issued.status !== 200) throw new Error(`issuance failed: ${issued.status} ${issued.text}`);
        return issued.body.access_token as string;
      }),
    );
    // Every token on both processes at once: distinct tokens share groups, and each token
    // races its twin on the other process.
    const results = await Promise.all(tokens.flatMap((value) => [revoke(pair.a, app, value), revoke(pair.b, app, value)]));
    expect(results.map((result) => result.status)).toEqual(results.map(() => 200));

    for (const value of tokens) {
      for (const server of [pair.a, pair.b]) expect(await isActive(server, resourceServer, value)).toBe(false);
    }
    const rows = await pair.setup.db.dataSource.query<Array<{ revoked: boolean; remembered: number; announced: number }>>(
      `SELECT o.revoked_at IS NOT NULL AS revoked,
              (SELECT count(*)::int FROM revoked_access_tokens r WHERE r.jti = o.jti) AS remembered,
              (SELECT count(*)::int FROM revocation_events e WHERE e.kind = 'jti' AND e.subject = o.jti) AS announced
       FROM opaque_access_tokens o WHERE o.client_id = $1`,
      [app.id],
    );
    expect(rows).toHaveLength(TOKENS);
    expect(rows).toEqual(rows.map(() => ({ revoked: true, remembered: 1, announced: 1 })));
  });
});
