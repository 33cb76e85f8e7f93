import { generateKeyPairSync } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { ClientsService } from '../../../src/clients/clients.service.js';
import { JanitorService } from '../../../src/janitor/janitor.service.js';
import { LONG_POLL_MS } from '../../../src/ssf/ssf-poll.service.js';
import { UsersService } from '../../../src/users/users.service.js';
import { createClient, createUser, login, type TestClient, type TestUser, token } from '../../../test/factories/index.js';
import { revoke } from '../../../test/factories/resource-server.js';
import { startAtOwnIssuer, type TestApp } from '../../../test/setup/app.js';
import { eventually } from '../../../test/setup/faults.js';
import { ResourceServer } from '../src/resource-server.js';
import { RevocationFeed, revocationsOf } from '../src/revocation-feed.js';
import { RevocationView } from '../src/revocation-view.js';
import { es256, jwtClaims, jwtHeader, serverSigningKey, unsigned } from './live-tessera.js';

const AUDIENCE = 'https://orders.example';
const SESSION_REVOKED = 'https://schemas.openid.net/secevent/caep/event-type/session-revoked';

/** The package's revocation view, fed by Tessera's Shared Signals poll stream. */
describe('RevocationFeed against a live Tessera', () => {
  let t: TestApp;
  let app: TestClient;
  let api: TestClient;
  let user: TestUser;
  let view: RevocationView;
  let feed: RevocationFeed;
  let server: ResourceServer;
  const failures: unknown[] = [];

  const refusal = (token: string) =>
    server.verify(token).then(
      () => 'accepted',
      (error: { status: number }) => error.status,
    );
  /** Asks the resource server until it refuses the token as revoked (401). */
  const untilRefused = (token: string, limitMs = 5000) =>
    eventually('the refusal of the revoked token', async () => ((await refusal(token)) === 401 ? true : undefined), limitMs);

  /**
   * "Within a second" is the long poll's doing: Tessera holds the feed's poll and answers it
   * as soon as a revocation is queued (it looks every 250 ms), not when the hold runs out. A
   * one-second wall-clock bound also fails on a machine that stalls, so the feed's polls are
   * watched instead: the poll that brings the revocation is one sent before it, answered
   * before its hold ran out. Broken, that answer comes LONG_POLL_MS after the poll was sent.
   */
  let revoking = false;
  let inFlight = 0;
  let answers: Array<{ sentBeforeRevocation: boolean; heldMs: number; sets: number }> = [];
  const watchedFetch: typeof fetch = async (input, init) => {
    if (!(input instanceof Request ? input.url : input.toString()).includes('/ssf/poll/')) return fetch(input, init);
    const sentBeforeRevocation = !revoking;
    const sentAt = performance.now();
    inFlight++;
    try {
      const response = await fetch(input, init);
      if (revoking && response.ok) {
        const { sets } = (await response.clone().json()) as { sets: object };
        answers.push({ sentBeforeRevocation, heldMs: performance.now() - sentAt, sets: Object.keys(sets).length });
      }
      return response;
    } finally {
      inFlight--;
    }
  };
  /** Runs the revocation while the feed's poll is held, then waits for the resource server to refuse the token. */
  async function revokeOnHeldPoll(revocation: () => Promise<unknown>, token: string): Promise<void> {
    await eventually('a poll held by the feed', async () => (inFlight > 0 ? true : undefined), 5000);
    revoking = true;
    answers = [];
    await revocation();
    await untilRefused(token, 2 * LONG_POLL_MS);
    const [first] = answers;
    expect(first).toEqual({ sentBeforeRevocation: true, heldMs: expect.any(Number), sets: expect.any(Number) });
    expect(first.sets).toBeGreaterThan(0);
    expect(first.heldMs).toBeLessThan(LONG_POLL_MS - 1000);
  }

  beforeAll(async () => {
    t = await startAtOwnIssuer({});
    app = await createClient(t, { audience: AUDIENCE, scopes: ['read'] });
    api = await createClient(t, { grantTypes: ['client_credentials'], scopes: ['ssf'], introspect: true });
    user = await createUser(t);
  });
  beforeEach(() => {
    revoking = false;
    view = new RevocationView();
    feed = new RevocationFeed({ issuer: t.url, clientId: api.id, clientSecret: api.secret!, view, fetch: watchedFetch, onError: (error) => failures.push(error) });
    server = new ResourceServer({ issuer: t.url, audience: AUDIENCE, revocations: view, maxStaleness: 30 });
  });
  afterEach(() => feed.stop());
  afterAll(() => t.close());

  it('learns of sessions revoked before it started, then refuses a session revoked at Tessera within a second', async () => {
    const early = await login(t, app, user, 'read');
    expect((await revoke(t, app, early.refresh_token)).status).toBe(200);
    const live = await login(t, app, user, 'read');
    // Never polled: the view is stale, and the resource server fails closed.
    expect(await refusal(live.access_token)).toBe(503);
    feed.start();
    await untilRefused(early.access_token);
    expect(await refusal(live.access_token)).toBe('accepted');
    await revokeOnHeldPoll(async () => expect((await revoke(t, app, live.refresh_token)).status).toBe(200), live.access_token);
    expect(failures).toEqual([]);
  });

  it('refuses every token of a client deleted at Tessera, client_credentials ones included, within a second', async () => {
    const machine = await createClient(t, { grantTypes: ['client_credentials'], audience: AUDIENCE, scopes: ['read'] });
    const issued = await token(t, machine, { grant_type: 'client_credentials', scope: 'read' });
    const accessToken = (issued.body as { access_token: string }).access_token;
    feed.start();
    await eventually('a fresh view', async () => ((await refusal(accessToken)) === 'accepted' ? true : undefined), 5000);
    await revokeOnHeldPoll(() => t.app.get(ClientsService).delete(machine.id, 'test'), accessToken);
    expect(failures).toEqual([]);
  });

  it('acknowledges a credential-change and refuses nothing for it, only the sessions the change ended', async () => {
    const changer = await createUser(t);
    const before = await login(t, app, changer, 'read');
    feed.start();
    // Failing closed (503) until the first poll has answered.
    for (let i = 0; i < 250 && (await refusal(before.access_token)) === 503; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await refusal(before.access_token)).toBe('accepted');
    await t.app.get(UsersService).update(changer.user.id, { password: 'a changed passphrase' }, 'test');
    await untilRefused(before.access_token);
    // Issued in the second of the change: refused if the change were taken as the user's revocation.
    const after = await login(t, app, { ...changer, password: 'a changed passphrase' }, 'read');
    expect(await refusal(after.access_token)).toBe('accepted');
    const credentialChange = { 'https://schemas.openid.net/secevent/caep/event-type/credential-change': { event_timestamp: 1, credential_type: 'password', change_type: 'update' } };
    expect(revocationsOf({ sub_id: { format: 'iss_sub', iss: t.url, sub: changer.user.id }, events: credentialChange })).toEqual([]);
    expect(failures).toEqual([]);
  });

  it('reuses its stream after a restart instead of making another', async () => {
    await feed.pollOnce();
    await feed.pollOnce();
    const again = new RevocationFeed({ issuer: t.url, clientId: api.id, clientSecret: api.secret!, view });
    await again.pollOnce();
    const [{ count }] = await t.db.dataSource.query<Array<{ count: number }>>(`SELECT count(*)::int AS count FROM ssf_streams WHERE client_id = $1`, [api.id]);
    expect(count).toBe(1);
  });

  it('fails closed when the stream goes silent past maxStaleness, and recovers when it answers', async () => {
    const token = (await login(t, app, user, 'read')).access_token;
    const strict = new ResourceServer({ issuer: t.url, audience: AUDIENCE, revocations: view, maxStaleness: 1 });
    await feed.pollOnce();
    expect(await strict.verify(token)).toMatchObject({ subject: user.user.id });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await expect(strict.verify(token)).rejects.toMatchObject({ status: 503 });
    await feed.pollOnce();
    expect(await strict.verify(token)).toMatchObject({ subject: user.user.id });
  });

  it('fails closed while Tessera cannot be reached, then catches up without missing a revocation', async () => {
    let down = false;
    const flaky: typeof fetch = (input, init) => (down ? Promise.reject(new TypeError('connection refused')) : fetch(input, init));
    const outage = new RevocationFeed({ issuer: t.url, clientId: api.id, clientSecret: api.secret!, view, fetch: flaky, onError: () => undefined });
    const strict = new ResourceServer({ issuer: t.url, audience: AUDIENCE, revocations: view, maxStaleness: 1 });
    const session = await login(t, app, user, 'read');
    await outage.pollOnce();
    expect(await strict.verify(session.access_token)).toMatchObject({ subject: user.user.id });
    down = true;
    await expect(outage.pollOnce()).rejects.toThrow(/cannot be reached/);
    expect((await revoke(t, app, session.refresh_token)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await expect(strict.verify(session.access_token)).rejects.toMatchObject({ status: 503 });
    down = false;
    while (await outage.pollOnce());
    await expect(strict.verify(session.access_token)).rejects.toMatchObject({ status: 401 });
  });

  it('applies the same revocation delivered twice once', async () => {
    const session = await login(t, app, user, 'read');
    expect((await revoke(t, app, session.refresh_token)).status).toBe(200);
    // Two new streams each start with every relevant revocation: the second brings nothing new.
    const first = new RevocationFeed({ issuer: t.url, clientId: api.id, clientSecret: api.secret!, view, streamDescription: 'duplicates-1' });
    while (await first.pollOnce());
    const size = view.size;
    expect(size).toBeGreaterThan(0);
    const second = new RevocationFeed({ issuer: t.url, clientId: api.id, clientSecret: api.secret!, view, streamDescription: 'duplicates-2' });
    while (await second.pollOnce());
    expect(view.size).toBe(size);
    expect(await refusal(session.access_token)).toBe(401);
  });

  it('rejects forged SETs: another key, another audience, alg none; and applies none of them', async () => {
    await feed.pollOnce();
    const genuine = (await login(t, app, user, 'read')).access_token;
    const kid = jwtHeader(genuine).kid as string;
    const serverKey = await serverSigningKey(t, kid);
    const attacker = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const sid = jwtClaims(genuine).sid as string;
    const set = (jti: string, aud: string) => ({
      iss: t.url,
      aud,
      jti,
      iat: Math.floor(Date.now() / 1000),
      sub_id: { format: 'complex', session: { format: 'opaque', id: sid } },
      events: { [SESSION_REVOKED]: { event_timestamp: Math.floor(Date.now() / 1000) + 60 } },
    });
    const header = { alg: 'ES256', typ: 'secevent+jwt', kid };
    await feed.receive({
      'forged-1': es256(attacker, header, set('forged-1', api.id)),
      'forged-2': es256(serverKey, header, set('forged-2', 'someone-else')),
      'forged-3': unsigned({ ...header, alg: 'none' }, set('forged-3', api.id)),
      'forged-4': es256(serverKey, { ...header, typ: 'at+jwt' }, set('forged-4', api.id)),
    });
    expect(await refusal(genuine)).toBe('accepted');
    // The control: the same SET, signed as Tessera signs, is applied.
    await feed.receive({ genuine: es256(serverKey, header, set('genuine', api.id)) });
    expect(await refusal(genuine)).toBe(401);
  });

  // Last: it moves Tessera's clock past the life of every token issued so far.
  it('told that its stream fell behind, fails closed, replaces the stream and catches up with every live revocation', async () => {
    const streamsOf = () => t.db.dataSource.query<Array<{ id: string }>>(`SELECT id FROM ssf_streams WHERE client_id = $1 AND description = 'lagging'`, [api.id]);
    const options = { issuer: t.url, clientId: api.id, clientSecret: api.secret!, streamDescription: 'lagging' };
    while (await new RevocationFeed({ ...options, view }).pollOnce());
    const [before] = await streamsOf();
    const kept = (await login(t, app, user, 'read')).access_token;
    const strict = new ResourceServer({ issuer: t.url, audience: AUDIENCE, revocations: view, maxStaleness: 30 });
    expect(await strict.verify(kept)).toMatchObject({ subject: user.user.id });

    // The API is down for longer than any token lives; sessions end meanwhile, and the
    // janitor drops their events before the stream acknowledged them.
    for (let i = 0; i < 3; i++) expect((await revoke(t, app, (await login(t, app, user, 'read')).refresh_token)).status).toBe(200);
    t.clock.advance(t.config.accessTokenTtl + t.config.revocationMaxStalenessMs / 1000 + 3600);
    const recent = await login(t, app, user, 'read');
    expect((await revoke(t, app, recent.refresh_token)).status).toBe(200);
    expect((await t.app.get(JanitorService).runOnce({ wait: true }))?.revocation_events).toBeGreaterThan(0);

    // Back up (a new process, reusing its stream): the first poll brings the notice.
    const restarted = new RevocationFeed({ ...options, view });
    expect(await restarted.pollOnce()).toBe(true);
    expect(view.freshAt()).toBeUndefined();
    await expect(strict.verify(kept)).rejects.toMatchObject({ status: 503 });
    expect(await streamsOf()).toEqual([]);

    while (await restarted.pollOnce());
    const [after] = await streamsOf();
    expect(after.id).not.toBe(before.id);
    expect(view.freshAt()).toEqual(expect.any(Number));
    expect(await strict.verify(kept)).toMatchObject({ subject: user.user.id });
    // The new stream started with the revocation whose tokens are still alive.
    const sid = jwtClaims(recent.access_token).sid as string;
    expect(view.revokedBy({ sid, iat: jwtClaims(recent.access_token).iat as number })).toMatchObject({ kind: 'sid', value: sid });
  });
});
