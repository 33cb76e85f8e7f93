import { dpopKey, dpopProof, dpopToken } from '../factories/dpop.js';
import { createClient, createUser, type TestClient, type TestUser } from '../factories/index.js';
import type { TestApp } from '../setup/app.js';
import type { TestDatabase } from '../setup/database.js';
import { type ServerPair, startServerPair } from '../setup/server-pair.js';
import type { TesseraServer } from '../setup/tessera-server.js';

const ROUNDS = 6;

/**
 * One DPoP proof sent with the same refresh token to two Tessera processes at the same
 * moment (RFC 9449 §11.1): the proof is accepted once, so exactly one refresh succeeds,
 * the other is invalid_dpop_proof and, having never reached the rotation, ends nothing.
 */
describe('one DPoP proof on two processes', () => {
  let pair: ServerPair;
  let db: TestDatabase;
  let setup: TestApp;
  let a: TesseraServer;
  let b: TesseraServer;
  let app: TestClient;
  let user: TestUser;

  beforeAll(async () => {
    pair = await startServerPair();
    ({ db, setup, a, b } = pair);
    app = await createClient(setup, { type: 'public', grantTypes: ['password', 'refresh_token'], scopes: ['read'] });
    user = await createUser(setup);
  });
  afterAll(async () => {
    await pair?.close();
  });

  it('has exactly one winner per proof, and the winner\'s session lives on', async () => {
    // Proofs and nonces must be valid by the servers' own (real) clocks.
    const key = await dpopKey();
    pair.syncClock();
    const login = await dpopToken(a, app, { grant_type: 'password', username: user.username, password: user.password }, await dpopProof(setup, key));
    expect(login.status).toBe(200);
    let refreshToken = String(login.body.refresh_token);
    for (let i = 0; i < ROUNDS; i++) {
      pair.syncClock();
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
