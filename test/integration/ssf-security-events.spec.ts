import { createLocalJWKSet, type JWTPayload, jwtVerify } from 'jose';
import { cryptoRandom } from '../../src/common/random.js';
import { KeysService } from '../../src/oauth/keys/keys.service.js';
import { PgSsfStreamStore } from '../../src/persistence/stores/ssf-stream.store.js';
import { REVOCATION_MARGIN_SECONDS } from '../../src/sessions/revocation-event.js';
import { RevocationView } from '../../src/sessions/revocation-view.service.js';
import { EVENT_TYPES, revocationSecurityEvent } from '../../src/ssf/security-event.js';
import { SecurityEventSigner } from '../../src/ssf/security-event.signer.js';
import { SsfPollService } from '../../src/ssf/ssf-poll.service.js';
import { SsfStreamsService } from '../../src/ssf/ssf-streams.service.js';
import { api, createAdmin, rows } from '../factories/admin.js';
import { authorizationParams, PageAgent, pkce } from '../factories/authorization.js';
import { createClient, createUser, login, type TestClient, type TestUser, token } from '../factories/index.js';
import { isActive, jwtClaims } from '../factories/resource-server.js';
import { startTestApp, type TestApp } from '../setup/app.js';

/** SETs signed by the keys of the JWKS, verifiable by a receiver and by nothing else. */
describe('Security Event Tokens signed with the JWKS keys', () => {
  let t: TestApp;
  let signer: SecurityEventSigner;

  beforeAll(async () => {
    t = await startTestApp();
    signer = new SecurityEventSigner(t.app.get(KeysService));
  });
  afterAll(() => t.close());

  const sign = () =>
    signer.sign(
      revocationSecurityEvent(
        { id: 1, kind: 'family', subject: 'fam-1', createdAt: new Date(t.clock.now()), userId: 'user-1' },
        { issuer: t.config.issuer, audience: 'https://orders.example', jti: 'set-1', issuedAt: new Date(t.clock.now()) },
      ),
    );
  const jwks = async () => createLocalJWKSet((await (await fetch(`${t.url}/oauth/jwks`)).json()) as Parameters<typeof createLocalJWKSet>[0]);

  it('verifies against the published JWKS with typ secevent+jwt, and is refused as an access token', async () => {
    const set = sign();
    const { payload, protectedHeader } = await jwtVerify(set, await jwks(), {
      typ: 'secevent+jwt',
      issuer: t.config.issuer,
      audience: 'https://orders.example',
      currentDate: new Date(t.clock.now()),
    });
    expect(protectedHeader).toMatchObject({ typ: 'secevent+jwt', alg: t.config.signingAlg });
    expect(payload.events).toEqual({ [EVENT_TYPES.sessionRevoked]: { event_timestamp: Math.floor(t.clock.now() / 1000) } });
    await expect(jwtVerify(set, await jwks(), { typ: 'at+jwt', currentDate: new Date(t.clock.now()) })).rejects.toThrow(/typ/);
  });

  it('follows a key rotation: SETs name the new key once it signs (after KEY_PUBLISH_DELAY)', async () => {
    const before = sign();
    const { kid, activatesAt } = await t.app.get(KeysService).rotate('test');
    const header = (token: string) => JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()) as { kid: string };
    expect(header(sign()).kid).toBe(header(before).kid);
    t.clock.advance((activatesAt.getTime() - t.clock.now()) / 1000);
    const after = sign();
    expect(header(after).kid).toBe(kid);
    expect(header(before).kid).not.toBe(kid);
    await expect(jwtVerify(after, await jwks(), { typ: 'secevent+jwt', currentDate: new Date(t.clock.now()) })).resolves.toBeDefined();
  });
});

/**
 * A password change, by whatever path, is one CAEP 1.0 §3.3 credential-change SET on every
 * stream (from the `credential` feed row written with the new password), next to the
 * session-revoked SETs of the sessions it ended; the event itself refuses no token.
 */
describe('credential-change SETs for password changes', () => {
  let t: TestApp;
  let streams: SsfStreamsService;
  let polls: SsfPollService;
  let receiver: TestClient;
  let rs: TestClient;
  let legacy: TestClient;
  let portal: TestClient;

  beforeAll(async () => {
    t = await startTestApp({ ISSUER: 'http://tessera.test' });
    const store = new PgSsfStreamStore(t.db.dataSource);
    streams = new SsfStreamsService(store, t.config, t.clock, cryptoRandom);
    polls = new SsfPollService(store, new SecurityEventSigner(t.app.get(KeysService)), t.config, t.clock);
    rs = await createClient(t, { grantTypes: ['client_credentials'], introspect: true });
    legacy = await createClient(t, { grantTypes: ['password', 'refresh_token'], scopes: ['read'] });
    const grantTypes = ['authorization_code', 'refresh_token'];
    portal = await createClient(t, { grantTypes, redirectUris: ['https://portal.example.com/cb'], scopes: ['read'], firstParty: true });
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    receiver = await createClient(t, { grantTypes: ['client_credentials'], scopes: ['ssf'], introspect: true });
  });

  /** Every SET the stream holds about `user`, verified against the published JWKS. */
  async function setsAbout(streamId: string, user: TestUser): Promise<JWTPayload[]> {
    const response = await polls.poll(receiver.id, streamId, { returnImmediately: true, maxEvents: 100 });
    expect(response.moreAvailable).toBeFalsy();
    const keys = createLocalJWKSet((await (await fetch(`${t.url}/oauth/jwks`)).json()) as Parameters<typeof createLocalJWKSet>[0]);
    const verified = await Promise.all(
      Object.values(response.sets).map(async (set) => (await jwtVerify(set, keys, { typ: 'secevent+jwt', issuer: t.config.issuer, audience: receiver.id, currentDate: new Date(t.clock.now()) })).payload),
    );
    return verified.filter((claims) => JSON.stringify(claims.sub_id).includes(user.user.id));
  }
  const ofType = (sets: JWTPayload[], type: string) => sets.filter((claims) => type in (claims.events as object));
  const sessionsIn = (sets: JWTPayload[]) => ofType(sets, EVENT_TYPES.sessionRevoked).map((claims) => (claims.sub_id as { session: { id: string } }).session.id).sort();

  function expectOneCredentialChange(sets: JWTPayload[], user: TestUser): void {
    const changes = ofType(sets, EVENT_TYPES.credentialChange);
    expect(changes).toHaveLength(1);
    expect(changes[0].sub_id).toEqual({ format: 'iss_sub', iss: t.config.issuer, sub: user.user.id });
    expect(changes[0].events).toEqual({
      [EVENT_TYPES.credentialChange]: { event_timestamp: Math.floor(t.clock.now() / 1000), credential_type: 'password', change_type: 'update' },
    });
  }

  it('admin API: one credential-change and a session-revoked per ended session; nothing for other changes', async () => {
    const stream = (await streams.create(receiver.id, {})).stream_id as string;
    const admin = await createAdmin(t);
    const user = await createUser(t);
    const sessions = [await login(t, legacy, user, 'read'), await login(t, legacy, user, 'read')];
    expect((await api(t, 'PATCH', `/admin/users/${user.user.id}`, { token: admin.token, body: { name: 'Renamed' } })).status).toBe(200);
    expect(await setsAbout(stream, user)).toEqual([]);

    expect((await api(t, 'PATCH', `/admin/users/${user.user.id}`, { token: admin.token, body: { password: 'another passphrase' } })).status).toBe(200);
    const sets = await setsAbout(stream, user);
    expectOneCredentialChange(sets, user);
    expect(sessionsIn(sets)).toEqual(sessions.map((tokens) => jwtClaims(tokens.access_token).sid as string).sort());
    expect(sets).toHaveLength(3);
    // Relevant as long as a user event: the janitor and a new stream's backfill treat it alike.
    const feed = await rows(t, `SELECT kind, EXTRACT(EPOCH FROM until - created_at)::int AS lasts FROM revocation_events WHERE subject = $1`, [user.user.id]);
    expect(feed).toEqual([{ kind: 'credential', lasts: t.config.accessTokenTtl + REVOCATION_MARGIN_SECONDS }]);
  });

  it('account page: the browser\'s own session survives, and its tokens stay active despite the credential event', async () => {
    const user = await createUser(t);
    const agent = new PageAgent(t);
    const bounced = await agent.get('/account');
    expect((await agent.submit(await agent.get(`${bounced.location!.pathname}${bounced.location!.search}`), { username: user.username, password: user.password })).status).toBe(303);
    const { verifier, challenge } = pkce();
    const authorized = await agent.authorize(authorizationParams(portal, challenge, { scope: 'read' }));
    const code = authorized.location!.searchParams.get('code')!;
    const mine = (await token(t, portal, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: 'https://portal.example.com/cb' })).body as Record<string, string>;
    const phone = await login(t, legacy, user, 'read');
    const stream = (await streams.create(receiver.id, {})).stream_id as string;

    const csrf = /name="csrf_token" value="([^"]+)"/.exec((await agent.get('/account')).text)![1];
    const next = 'a brand new passphrase';
    expect((await agent.post('/account/password', { csrf_token: csrf, current_password: user.password, new_password: next, confirm_password: next })).status).toBe(303);
    const sets = await setsAbout(stream, user);
    expectOneCredentialChange(sets, user);
    expect(sessionsIn(sets)).toEqual([jwtClaims(phone.access_token).sid]);
    expect(sets).toHaveLength(2);

    // Every process's view has read the credential event: it refuses nothing by itself.
    await t.app.get(RevocationView).catchUp();
    expect(await isActive(t, rs, mine.access_token)).toBe(true);
    expect(await isActive(t, rs, phone.access_token)).toBe(false);
  });
});
