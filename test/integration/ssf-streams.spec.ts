import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import { cryptoRandom } from '../../src/common/random.js';
import { KeysService } from '../../src/oauth/keys/keys.service.js';
import { OAuthError } from '../../src/oauth/errors/oauth-error.js';
import { PgSsfStreamStore } from '../../src/persistence/stores/ssf-stream.store.js';
import { EVENT_TYPES } from '../../src/ssf/security-event.js';
import { SecurityEventSigner } from '../../src/ssf/security-event.signer.js';
import { LONG_POLL_MS, type PollResponse, SsfPollService } from '../../src/ssf/ssf-poll.service.js';
import { SsfStreamsService } from '../../src/ssf/ssf-streams.service.js';
import { UsersService } from '../../src/users/users.service.js';
import { createClient, createUser, login, type TestClient, type TestUser } from '../factories/index.js';
import { jwtClaims, revoke } from '../factories/resource-server.js';
import { startTestApp, type TestApp } from '../setup/app.js';

const POLL = 'urn:ietf:rfc:8936';

async function refusal(promise: Promise<unknown>): Promise<{ status: number; description: string } | 'accepted'> {
  try {
    await promise;
    return 'accepted';
  } catch (error) {
    expect(error).toBeInstanceOf(OAuthError);
    return { status: (error as OAuthError).status, description: (error as OAuthError).description };
  }
}

/** SSF 1.0 stream management and RFC 8936 poll delivery, on the real store and keys. */
describe('SSF streams: management and poll delivery', () => {
  let t: TestApp;
  let streams: SsfStreamsService;
  let polls: SsfPollService;
  let app: TestClient;
  let receiver: TestClient;
  let stranger: TestClient;
  let user: TestUser;

  const endSession = async (): Promise<string> => {
    const tokens = await login(t, app, user);
    expect((await revoke(t, app, tokens.refresh_token)).status).toBe(200);
    return jwtClaims(tokens.access_token).sid as string;
  };
  const create = async (client = receiver, input = {}) => (await streams.create(client.id, input)).stream_id as string;
  const poll = (id: string, request = {}): Promise<PollResponse> => polls.poll(receiver.id, id, { returnImmediately: true, ...request });
  const claimsOf = (response: PollResponse) => Object.values(response.sets).map((set) => decodeJwt(set));
  const sessionsIn = (response: PollResponse) =>
    claimsOf(response).flatMap((claims) => ((claims.sub_id as { session?: { id: string } }).session ? [(claims.sub_id as { session: { id: string } }).session.id] : []));

  beforeAll(async () => {
    t = await startTestApp();
    const store = new PgSsfStreamStore(t.db.dataSource);
    streams = new SsfStreamsService(store, t.config, t.clock, cryptoRandom);
    polls = new SsfPollService(store, new SecurityEventSigner(t.app.get(KeysService)), t.config, t.clock);
    app = await createClient(t);
    stranger = await createClient(t, { grantTypes: ['client_credentials'], scopes: ['ssf'], introspect: true });
    user = await createUser(t);
  });
  afterAll(() => t.close());
  // A receiver of its own per test: each may hold only MAX_STREAMS_PER_CLIENT streams.
  beforeEach(async () => {
    receiver = await createClient(t, { grantTypes: ['client_credentials'], scopes: ['ssf'], introspect: true });
  });

  describe('management (SSF 1.0 §8.1)', () => {
    it('creates a poll stream by default, for the receiver, with every supported event', async () => {
      const created = await streams.create(receiver.id, {});
      expect(created).toEqual({
        stream_id: expect.any(String),
        iss: t.config.issuer,
        aud: receiver.id,
        delivery: { method: POLL, endpoint_url: `${t.config.issuer}/ssf/poll/${created.stream_id as string}` },
        events_supported: [EVENT_TYPES.sessionRevoked, EVENT_TYPES.accountDisabled, EVENT_TYPES.credentialChange, EVENT_TYPES.accessTokenRevoked, EVENT_TYPES.clientDeleted],
        events_delivered: [EVENT_TYPES.sessionRevoked, EVENT_TYPES.accountDisabled, EVENT_TYPES.credentialChange, EVENT_TYPES.accessTokenRevoked, EVENT_TYPES.clientDeleted],
      });
      expect(await streams.read(receiver.id, created.stream_id as string)).toEqual(created);
    });

    it('delivers only the requested events it knows', async () => {
      const created = await streams.create(receiver.id, { events_requested: [EVENT_TYPES.sessionRevoked, 'urn:example:unknown'], description: 'orders' });
      expect(created).toMatchObject({ events_delivered: [EVENT_TYPES.sessionRevoked], description: 'orders' });
    });

    it('pushes to an https endpoint, never showing its Authorization header back, and refuses plain http elsewhere than loopback', async () => {
      const push = { method: 'urn:ietf:rfc:8935', endpoint_url: 'https://rs.example/events', authorization_header: 'Bearer receiver-secret' } as const;
      const created = await streams.create(receiver.id, { delivery: push });
      expect(created.delivery).toEqual({ method: 'urn:ietf:rfc:8935', endpoint_url: 'https://rs.example/events' });
      expect(JSON.stringify(created)).not.toContain('receiver-secret');
      const [row] = await t.db.dataSource.query<Array<{ authorization_header_sealed: Buffer }>>(`SELECT authorization_header_sealed FROM ssf_streams WHERE id = $1`, [
        created.stream_id,
      ]);
      expect(row.authorization_header_sealed.toString('latin1')).not.toContain('receiver-secret');
      expect(await refusal(streams.create(receiver.id, { delivery: { method: 'urn:ietf:rfc:8935', endpoint_url: 'http://rs.example/events' } }))).toEqual({
        status: 400,
        description: 'delivery: endpoint_url must use https (or http to a loopback address)',
      });
    });

    it("answers 404 for another client's stream, whatever the operation", async () => {
      const id = await create();
      const notFound = { status: 404, description: 'no such stream' };
      expect(await refusal(streams.read(stranger.id, id))).toEqual(notFound);
      expect(await refusal(streams.change(stranger.id, { stream_id: id, description: 'mine' }, false))).toEqual(notFound);
      expect(await refusal(streams.status(stranger.id, id))).toEqual(notFound);
      expect(await refusal(streams.setStatus(stranger.id, { stream_id: id, status: 'disabled' }))).toEqual(notFound);
      expect(await refusal(streams.requestVerification(stranger.id, { stream_id: id }))).toEqual(notFound);
      expect(await refusal(polls.poll(stranger.id, id, {}))).toEqual(notFound);
      expect(await refusal(streams.delete(stranger.id, id))).toEqual(notFound);
      expect(await streams.read(receiver.id, id)).toMatchObject({ stream_id: id });
      expect((await streams.read(stranger.id, undefined)) as unknown[]).not.toContainEqual(expect.objectContaining({ stream_id: id }));
    });

    it('PATCH changes what it names, PUT replaces; echoed transmitter members must match', async () => {
      const id = await create(receiver, { events_requested: [EVENT_TYPES.sessionRevoked], description: 'before' });
      expect(await streams.change(receiver.id, { stream_id: id, description: 'after', iss: t.config.issuer, aud: receiver.id }, false)).toMatchObject({
        description: 'after',
        events_requested: [EVENT_TYPES.sessionRevoked],
      });
      const replaced = await streams.change(receiver.id, { stream_id: id, description: 'replaced' }, true);
      expect(replaced).toMatchObject({ description: 'replaced' });
      expect(replaced).not.toHaveProperty('events_requested');
      expect(await refusal(streams.change(receiver.id, { stream_id: id, iss: 'https://elsewhere.example', aud: 'someone' }, false))).toEqual({
        status: 400,
        description: 'iss, aud: set by the transmitter, and not to this value',
      });
    });

    it('caps the streams of one client and deletes them', async () => {
      const capped = await createClient(t, { grantTypes: ['client_credentials'], scopes: ['ssf'], introspect: true });
      const ids = [];
      for (let i = 0; i < 10; i++) ids.push(await create(capped));
      expect(await refusal(streams.create(capped.id, {}))).toEqual({ status: 400, description: 'a client may hold at most 10 streams' });
      await streams.delete(capped.id, ids[0]);
      expect(await refusal(streams.read(capped.id, ids[0]))).toMatchObject({ status: 404 });
      expect(await refusal(streams.create(capped.id, {}))).toBe('accepted');
    });
  });

  describe('poll delivery (RFC 8936)', () => {
    it('starts with the revocations that came before the stream, as SETs verifiable with the JWKS', async () => {
      const sid = await endSession();
      const id = await create();
      const response = await poll(id);
      const [jti, set] = Object.entries(response.sets).find(([, token]) => sessionsIn({ sets: { x: token } }).includes(sid))!;
      const jwks = createLocalJWKSet((await (await fetch(`${t.url}/oauth/jwks`)).json()) as Parameters<typeof createLocalJWKSet>[0]);
      const { payload, protectedHeader } = await jwtVerify(set, jwks, { typ: 'secevent+jwt', issuer: t.config.issuer, audience: receiver.id });
      expect(protectedHeader.typ).toBe('secevent+jwt');
      expect(payload).toMatchObject({
        jti,
        sub_id: { format: 'complex', session: { format: 'opaque', id: sid }, user: { format: 'iss_sub', iss: t.config.issuer, sub: user.user.id } },
        events: { [EVENT_TYPES.sessionRevoked]: { event_timestamp: expect.any(Number) } },
      });
      expect(jti.startsWith(`${id}.`)).toBe(true);
    });

    it('delivers again, under the same jti, until acknowledged; errors count as done', async () => {
      const id = await create();
      await endSession();
      const first = await poll(id, { maxEvents: 1000 });
      const second = await poll(id, { maxEvents: 1000 });
      expect(Object.keys(second.sets).sort()).toEqual(Object.keys(first.sets).sort());
      const [one, ...rest] = Object.keys(first.sets);
      await poll(id, { maxEvents: 0, ack: [one], setErrs: Object.fromEntries(rest.map((jti) => [jti, { err: 'invalid_key', description: 'test' }])) });
      expect((await poll(id)).sets).toEqual({});
    });

    it('pages with maxEvents and moreAvailable', async () => {
      await endSession();
      await endSession();
      const id = await create();
      const page = await poll(id, { maxEvents: 1 });
      expect(Object.keys(page.sets)).toHaveLength(1);
      expect(page.moreAvailable).toBe(true);
    });

    it('announces a revoked access token by its jti and a disabled user, each as its event', async () => {
      const id = await create();
      await poll(id, { maxEvents: 0, ack: Object.keys((await poll(id, { maxEvents: 1000 })).sets) });
      const tokens = await login(t, app, user);
      expect((await revoke(t, app, tokens.access_token)).status).toBe(200);
      const victim = await createUser(t);
      await t.app.get(UsersService).disable(victim.user.id, 'test');
      const claims = claimsOf(await poll(id));
      expect(claims).toContainEqual(
        expect.objectContaining({ sub_id: { format: 'jwt_id', iss: t.config.issuer, jti: jwtClaims(tokens.access_token).jti }, events: { [EVENT_TYPES.accessTokenRevoked]: expect.any(Object) } }),
      );
      expect(claims).toContainEqual(
        expect.objectContaining({ sub_id: { format: 'iss_sub', iss: t.config.issuer, sub: victim.user.id }, events: { [EVENT_TYPES.accountDisabled]: expect.any(Object) } }),
      );
    });

    it('leaves out, for good, events of a type the receiver did not request', async () => {
      const id = await create(receiver, { events_requested: [EVENT_TYPES.sessionRevoked] });
      const tokens = await login(t, app, user);
      await revoke(t, app, tokens.access_token);
      const types = claimsOf(await poll(id, { maxEvents: 1000 })).flatMap((claims) => Object.keys(claims.events as object));
      expect(new Set(types)).toEqual(new Set([EVENT_TYPES.sessionRevoked]));
    });

    it('holds events while paused, drops them when disabled', async () => {
      const id = await create();
      await streams.setStatus(receiver.id, { stream_id: id, status: 'paused', reason: 'deploying' });
      expect(await streams.status(receiver.id, id)).toEqual({ stream_id: id, status: 'paused', reason: 'deploying' });
      const sid = await endSession();
      expect((await poll(id)).sets).toEqual({});
      await streams.setStatus(receiver.id, { stream_id: id, status: 'enabled' });
      expect(sessionsIn(await poll(id, { maxEvents: 1000 }))).toContain(sid);
      await streams.setStatus(receiver.id, { stream_id: id, status: 'disabled' });
      await endSession();
      await streams.setStatus(receiver.id, { stream_id: id, status: 'enabled' });
      expect((await poll(id)).sets).toEqual({});
    });

    it('sends a requested verification event with the state, until acknowledged', async () => {
      const id = await create();
      await poll(id, { maxEvents: 0, ack: Object.keys((await poll(id, { maxEvents: 1000 })).sets) });
      await streams.requestVerification(receiver.id, { stream_id: id, state: 'ping-1' });
      const response = await poll(id);
      const [jti] = Object.keys(response.sets);
      expect(claimsOf(response)).toEqual([expect.objectContaining({ sub_id: { format: 'opaque', id }, events: { [EVENT_TYPES.verification]: { state: 'ping-1' } } })]);
      await poll(id, { maxEvents: 0, ack: [jti] });
      expect((await poll(id)).sets).toEqual({});
    });

    it('holds a long poll until a revocation arrives', async () => {
      const id = await create();
      await poll(id, { maxEvents: 0, ack: Object.keys((await poll(id, { maxEvents: 1000 })).sets) });
      const started = Date.now();
      const held = polls.poll(receiver.id, id, { returnImmediately: false });
      await new Promise((resolve) => setTimeout(resolve, 600));
      const sid = await endSession();
      expect(sessionsIn(await held)).toEqual([sid]);
      // Answered when the revocation came, not when the hold ran out (that would be LONG_POLL_MS).
      expect(Date.now() - started).toBeLessThan(LONG_POLL_MS - 1000);
    });
  });
});
