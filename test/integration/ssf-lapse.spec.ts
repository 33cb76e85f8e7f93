import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import { cryptoRandom } from '../../src/common/random.js';
import { JanitorService } from '../../src/janitor/janitor.service.js';
import { KeysService } from '../../src/oauth/keys/keys.service.js';
import { PgSsfStreamStore } from '../../src/persistence/stores/ssf-stream.store.js';
import { EVENT_TYPES } from '../../src/ssf/security-event.js';
import { SecurityEventSigner } from '../../src/ssf/security-event.signer.js';
import { type PollResponse, SsfPollService } from '../../src/ssf/ssf-poll.service.js';
import { SsfStreamsService } from '../../src/ssf/ssf-streams.service.js';
import { rows } from '../factories/admin.js';
import { createClient, createUser, login, type TestClient, type TestUser } from '../factories/index.js';
import { jwtClaims, revoke } from '../factories/resource-server.js';
import { startTestApp, type TestApp } from '../setup/app.js';

/**
 * Events are kept until acknowledged or until no token they concern can be alive. A stream
 * that had not acknowledged them by then is told, by an events-lost SET, instead of silently
 * missing them; a stream that kept up is not. Real Postgres, real janitor, a moved clock.
 */
describe('SSF: a stream that falls behind is told so', () => {
  let t: TestApp;
  let streams: SsfStreamsService;
  let polls: SsfPollService;
  let app: TestClient;
  let user: TestUser;

  const endSession = async (): Promise<string> => {
    const tokens = await login(t, app, user);
    expect((await revoke(t, app, tokens.refresh_token)).status).toBe(200);
    return jwtClaims(tokens.access_token).sid as string;
  };
  const receiver = () => createClient(t, { grantTypes: ['client_credentials'], scopes: ['ssf'], introspect: true });
  const poll = (client: TestClient, id: string, request = {}): Promise<PollResponse> => polls.poll(client.id, id, { returnImmediately: true, ...request });
  const lapseNotices = (response: PollResponse) =>
    Object.entries(response.sets).filter(([, set]) => Object.keys(decodeJwt(set).events as object).includes(EVENT_TYPES.eventsLost));
  const sessionsIn = (response: PollResponse) =>
    Object.values(response.sets).flatMap((set) => {
      const subject = decodeJwt(set).sub_id as { session?: { id: string } };
      return subject.session ? [subject.session.id] : [];
    });
  /** Past the lifetime of every token issued so far, and the janitor's margins. */
  const outliveEveryToken = () => t.clock.advance(t.config.accessTokenTtl + t.config.revocationMaxStalenessMs / 1000 + 3600);

  beforeAll(async () => {
    t = await startTestApp();
    const store = new PgSsfStreamStore(t.db.dataSource);
    streams = new SsfStreamsService(store, t.config, t.clock, cryptoRandom);
    polls = new SsfPollService(store, new SecurityEventSigner(t.app.get(KeysService)), t.config, t.clock);
    app = await createClient(t);
    user = await createUser(t);
  });
  afterAll(() => t.close());

  it('marks the stream that had not acknowledged dropped events, delivers a signed notice until acknowledged, and spares the one that kept up', async () => {
    const [behind, upToDate] = [await receiver(), await receiver()];
    const lagging = (await streams.create(behind.id, {})).stream_id as string;
    const current = (await streams.create(upToDate.id, {})).stream_id as string;
    const ended = [await endSession(), await endSession(), await endSession()];

    const caughtUp = await poll(upToDate, current);
    expect(sessionsIn(caughtUp)).toEqual(ended);
    await poll(upToDate, current, { ack: Object.keys(caughtUp.sets) });

    outliveEveryToken();
    const fresh = await endSession();
    const counts = await t.app.get(JanitorService).runOnce({ wait: true });
    // Every event older than any live token goes.
    expect(counts?.revocation_events).toBe(3);
    expect(await rows(t, `SELECT id, events_lost, lapse_jti IS NOT NULL AS lapsed FROM ssf_streams WHERE id = ANY($1) ORDER BY events_lost`, [[lagging, current]])).toEqual([
      { id: current, events_lost: 0, lapsed: false },
      { id: lagging, events_lost: 3, lapsed: true },
    ]);

    // The stream that kept up hears only of the new revocation.
    const next = await poll(upToDate, current);
    expect(lapseNotices(next)).toEqual([]);
    expect(sessionsIn(next)).toEqual([fresh]);

    // The lagging one is told first, with a SET signed like every other, about the stream itself.
    const told = await poll(behind, lagging);
    const [[jti, set]] = lapseNotices(told);
    expect(Object.keys(told.sets)[0]).toBe(jti);
    const jwks = createLocalJWKSet((await (await fetch(`${t.url}/oauth/jwks`)).json()) as Parameters<typeof createLocalJWKSet>[0]);
    const { payload, protectedHeader } = await jwtVerify(set, jwks, { issuer: t.config.issuer, audience: behind.id, currentDate: new Date(t.clock.now()) });
    expect(protectedHeader.typ).toBe('secevent+jwt');
    expect(payload).toMatchObject({ jti, sub_id: { format: 'opaque', id: lagging }, events: { [EVENT_TYPES.eventsLost]: { events_lost: 3, reason: expect.any(String) } } });
    expect(sessionsIn(told)).toEqual([fresh]);

    // Not acknowledged: told again, same jti. Acknowledged: done with, counter back to 0.
    expect(lapseNotices(await poll(behind, lagging)).map(([id]) => id)).toEqual([jti]);
    const after = await poll(behind, lagging, { ack: Object.keys(told.sets) });
    expect(after.sets).toEqual({});
    expect(await rows(t, `SELECT events_lost, lapse_jti FROM ssf_streams WHERE id = $1`, [lagging])).toEqual([{ events_lost: 0, lapse_jti: null }]);
  });

  it('a stream paused while its events expire is told once it is enabled again, counting every lapse until acknowledged', async () => {
    const client = await receiver();
    const id = (await streams.create(client.id, {})).stream_id as string;
    await streams.setStatus(client.id, { stream_id: id, status: 'paused' });
    await endSession();
    await endSession();
    outliveEveryToken();
    await endSession();
    await t.app.get(JanitorService).runOnce({ wait: true });
    const first = (await rows<{ lapse_jti: string }>(t, `SELECT lapse_jti FROM ssf_streams WHERE id = $1`, [id]))[0].lapse_jti;
    expect(first).toEqual(expect.stringMatching(new RegExp(`^${id}\\.lapse\\.`)));
    expect(await poll(client, id)).toEqual({ sets: {} });

    // A second lapse before the first notice was taken adds to it, under the same jti.
    outliveEveryToken();
    await endSession();
    await t.app.get(JanitorService).runOnce({ wait: true });
    expect(await rows(t, `SELECT lapse_jti, events_lost FROM ssf_streams WHERE id = $1`, [id])).toEqual([{ lapse_jti: first, events_lost: 4 }]);

    await streams.setStatus(client.id, { stream_id: id, status: 'enabled' });
    const [[jti, set]] = lapseNotices(await poll(client, id));
    expect(jti).toBe(first);
    expect(decodeJwt(set).events).toEqual({ [EVENT_TYPES.eventsLost]: { events_lost: 4, reason: expect.any(String) } });
  });
});
