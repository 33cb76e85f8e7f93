import { dpopKey, dpopProof, dpopToken } from '../factories/dpop.js';
import { createClient, createUser, type TestClient, type TestUser } from '../factories/index.js';
import { startTestApp, type TestApp } from '../setup/app.js';
import { createTestDatabase, type TestDatabase } from '../setup/database.js';
import { buildOnce, TesseraServer } from '../setup/tessera-server.js';

const ISSUER = 'http://tessera.test';
const ROUNDS = 6;

/**
 * One DPoP proof sent with the same refresh token to two Tessera processes at the same
 * moment (RFC 9449 §11.1): the proof is accepted once, so exactly one refresh succeeds,
 * the other is invalid_dpop_proof and, having never reached the rotation, ends nothing.
 */
describe('one DPoP proof on two processes', () => {
  let db: TestDatabase;
  let setup: TestApp;
  let a: TesseraServer;
  let b: TesseraServer;
  let app: TestClient;
  let user: TestUser;

  beforeAll(async () => {
    buildOnce();
    db = await createTestDatabase();
    setup = await startTestApp({ ISSUER }, { db });
    // Proofs and nonces must be valid by the servers' own (real) clocks.
    setup.clock.advance((Date.now() - setup.clock.now()) / 1000);
    app = await createClient(setup, { type: 'public', grantTypes: ['password', 'refresh_token'], scopes: ['read'] });
    user = await createUser(setup);
    const env = { DATABASE_URL: db.url, ISSUER };
    [a, b] = await Promise.all([TesseraServer.start(env), TesseraServer.start(env)]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await setup?.close();
    await db?.drop();
  });

  it('has exactly one winner per proof, and the winner\'s session lives on', async () => {
    const key = await dpopKey();
    const sync = () => setup.clock.advance((Date.now() - setup.clock.now()) / 1000);
    sync();
    const login = await dpopToken(a, app, { grant_type: 'password', username: user.username, password: user.password }, await dpopProof(setup, key));
    expect(login.status).toBe(200);
    let refreshToken = String(login.body.refresh_token);
    for (let i = 0; i < ROUNDS; i++) {
      sync();
      const proof = await dpopProof(setup, key);
      const params = { grant_type: 'refresh_token', refresh_token: refreshToken };
      const results = await Promise.all([dpopToken(a, app, params, proof), dpopToken(b, app, params, proof)]);
      const winners = results.filter((result) => result.status === 200);
      expect(winners).toHaveLength(1);
      const losers = results.filter((result) => result.status === 400);
      expect(losers.map((result) => result.body)).toEqual([
        { error: 'invalid_dpop_proof', error_description: 'the DPoP proof has been used before' },
      ]);
      expect(winners[0].body.token_type).toBe('DPoP');
      refreshToken = String(winners[0].body.refresh_token);
    }
    const [family] = await db.dataSource.query<Array<{ revoked_at: Date | null; dpop_jkt: string }>>(
      `SELECT f.revoked_at, f.dpop_jkt FROM families f JOIN refresh_tokens t ON t.family_id = f.id GROUP BY f.id`,
    );
    expect(family).toEqual({ revoked_at: null, dpop_jkt: key.jkt });
  });
});
