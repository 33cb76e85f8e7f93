import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { setTimeout as sleep } from 'node:timers/promises';
import { KeysService } from '../../src/oauth/keys/keys.service.js';
import { createClient, type TestClient, token } from '../factories/index.js';
import { startAtOwnIssuer, type TestApp } from '../setup/app.js';

/*
 * jose's createRemoteJWKSet refetches the JWKS for an unknown kid only once its cool-down
 * (real time, 30 s by default) has passed since the last fetch. The test scales both down
 * (KEY_PUBLISH_DELAY 2 s, cool-down 1.5 s), lets real and server time run together up to
 * the activation, then moves the server clock alone through the rest of two minutes.
 */
const PUBLISH_DELAY_S = 2;
const COOL_DOWN_MS = 1_500;
const STEP_MS = 250;

describe('a jose verifier primed just before keys rotate', () => {
  let t: TestApp;
  let machine: TestClient;

  beforeAll(async () => {
    t = await startAtOwnIssuer({ KEY_PUBLISH_DELAY: String(PUBLISH_DELAY_S), ACCESS_TOKEN_TTL: '300' });
    machine = await createClient(t, { grantTypes: ['client_credentials'], scopes: ['read'] });
  });
  afterAll(async () => {
    await t?.close();
  });

  const issue = async () => {
    const result = await token(t, machine, { grant_type: 'client_credentials', scope: 'read' });
    expect(result.status).toBe(200);
    return result.body.access_token as string;
  };

  it('accepts every token issued in the next two minutes, across the switch to the new key', async () => {
    const jwks = createRemoteJWKSet(new URL(`${t.url}/oauth/jwks`), { cooldownDuration: COOL_DOWN_MS });
    const verify = async (jwt: string) => (await jwtVerify(jwt, jwks, { issuer: t.url })).protectedHeader.kid;
    const oldKid = await verify(await issue());
    const primedAt = performance.now();

    const { kid: newKid } = await t.app.get(KeysService).rotate('test');
    const kids: Array<string | undefined> = [];
    let newKidFirstSeenAfterMs: number | undefined;
    // Up to the activation and a little beyond, real time and server time advance together.
    for (let elapsed = 0; elapsed <= PUBLISH_DELAY_S * 1000 + 1_000; elapsed += STEP_MS) {
      const jwt = await issue();
      if (decodeProtectedHeader(jwt).kid === newKid) newKidFirstSeenAfterMs ??= performance.now() - primedAt;
      kids.push(await verify(jwt));
      await sleep(STEP_MS);
      t.clock.advance(STEP_MS / 1000);
    }
    // The rest of two minutes on the server clock alone: the verifier holds both keys now.
    while (t.clock.now() - Date.now() < 120_000) {
      t.clock.advance(10);
      kids.push(await verify(await issue()));
    }

    expect(kids[0]).toBe(oldKid);
    expect(kids.at(-1)).toBe(newKid);
    expect(new Set(kids)).toEqual(new Set([oldKid, newKid]));
    // What made it work: the new kid signed only after the verifier could refetch.
    expect(newKidFirstSeenAfterMs).toBeGreaterThanOrEqual(COOL_DOWN_MS);
  });
});
