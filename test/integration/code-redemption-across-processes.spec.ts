import { randomBytes } from 'node:crypto';
import { AuthorizationCodesService } from '../../src/oauth/authorization/authorization-codes.service.js';
import { s256 } from '../../src/oauth/authorization/pkce.js';
import { createClient, createUser, type TestClient, type TestUser, token } from '../factories/index.js';
import { introspect } from '../factories/resource-server.js';
import type { TestApp } from '../setup/app.js';
import type { TestDatabase } from '../setup/database.js';
import { type ServerPair, startServerPair } from '../setup/server-pair.js';
import type { TesseraServer } from '../setup/tessera-server.js';

const REDIRECT = 'https://app.example.com/cb';
const CODES = 6;

/**
 * One authorization code sent to two Tessera processes at the same moment: exactly one
 * redemption wins, the other is invalid_grant, and being a second use it ends the
 * session the first one started (RFC 6749 §4.1.2).
 */
describe('parallel redemption of one code on two processes', () => {
  let pair: ServerPair;
  let db: TestDatabase;
  let setup: TestApp;
  let a: TesseraServer;
  let b: TesseraServer;
  let web: TestClient;
  let resourceServer: TestClient;
  let user: TestUser;

  beforeAll(async () => {
    // The codes it mints are valid by the servers' own (real) clocks.
    pair = await startServerPair();
    ({ db, setup, a, b } = pair);
    web = await createClient(setup, { grantTypes: ['authorization_code', 'refresh_token'], redirectUris: [REDIRECT], scopes: ['read'] });
    resourceServer = await createClient(setup, { grantTypes: ['client_credentials'], scopes: [], introspect: true });
    user = await createUser(setup);
  });
  afterAll(async () => {
    await pair?.close();
  });

  it('has exactly one winner per code, and the loser ends the winner\'s session', async () => {
    for (let i = 0; i < CODES; i++) {
      const verifier = randomBytes(32).toString('base64url');
      const code = await setup.app.get(AuthorizationCodesService).issue({
        client: web.client,
        userId: user.user.id,
        redirectUri: REDIRECT,
        redirectUriSent: true,
        codeChallenge: s256(verifier),
        scope: ['read'],
        authTime: new Date(),
      });
      const params = { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT };
      const results = await Promise.all([token(a, web, params), token(b, web, params)]);
      const winners = results.filter((result) => result.status === 200);
      expect(winners).toHaveLength(1);
      expect(results.filter((result) => result.status === 400 && result.body.error === 'invalid_grant')).toHaveLength(1);
      const access = winners[0].body.access_token as string;
      // The process that refused the replay revoked the family, and knows it at once.
      const loser = results[0].status === 200 ? b : a;
      expect((await introspect(loser, resourceServer, access)).body.active).toBe(false);
      expect((await token(b, web, { grant_type: 'refresh_token', refresh_token: winners[0].body.refresh_token as string })).body.error).toBe('invalid_grant');
    }
    const [{ n }] = await db.dataSource.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM families WHERE revoked_reason = 'code_reuse'`);
    expect(n).toBe(CODES);
  });
});
