import { PgSsfStreamStore } from '../../src/persistence/stores/ssf-stream.store.js';
import type { SsfStream } from '../../src/ssf/ssf-stream.js';
import { createClient, createUser, login, type TestClient, type TestUser } from '../factories/index.js';
import { jwtClaims, revoke } from '../factories/resource-server.js';
import { startTestApp, type TestApp } from '../setup/app.js';
import { describeOnPostgres } from '../setup/database.js';

const POLL = 'urn:ietf:rfc:8936';
let sequence = 0;

/** The outbox of SSF streams, filled by the database in the revocation's own transaction. */
describe('SSF streams and their outbox', () => {
  let t: TestApp;
  let store: PgSsfStreamStore;
  let app: TestClient;
  let receiver: TestClient;
  let user: TestUser;

  const stream = (overrides: Partial<SsfStream> = {}): SsfStream => ({
    id: `stream-${++sequence}`,
    clientId: receiver.id,
    audience: receiver.id,
    deliveryMethod: POLL,
    endpointUrl: null,
    authorizationHeaderSealed: null,
    eventsRequested: null,
    description: null,
    status: 'enabled',
    statusReason: null,
    verificationJti: null,
    verificationState: null,
    lapseJti: null,
    eventsLost: 0,
    createdAt: new Date(t.clock.now()),
    updatedAt: new Date(t.clock.now()),
    ...overrides,
  });
  const now = () => new Date(t.clock.now());
  /** Ends a new session of the user: one family revocation on the feed; answers its id. */
  const endSession = async (): Promise<string> => {
    const tokens = await login(t, app, user);
    expect((await revoke(t, app, tokens.refresh_token)).status).toBe(200);
    return jwtClaims(tokens.access_token).sid as string;
  };
  const queuedSubjects = async (id: string) => (await store.queued(id, 100, now())).events.map((event) => event.subject);

  beforeAll(async () => {
    t = await startTestApp();
    store = new PgSsfStreamStore(t.db.dataSource);
    app = await createClient(t);
    receiver = await createClient(t, { grantTypes: ['client_credentials'], scopes: [], introspect: true });
    user = await createUser(t);
  });
  afterAll(() => t.close());

  it('starts a new stream with every revocation still relevant, a family with its user', async () => {
    const before = await endSession();
    const created = stream();
    expect(await store.create(created, now(), 10)).toBe(true);
    const page = await store.queued(created.id, 100, now());
    expect(page.events).toContainEqual(expect.objectContaining({ kind: 'family', subject: before, userId: user.user.id, streamId: created.id }));
    // Nothing is relevant once every token it concerns has expired.
    expect((await store.queued(created.id, 100, new Date(t.clock.now() + 86_400_000))).events).toEqual([]);
  });

  it('queues a later revocation for enabled and paused streams, not for disabled ones', async () => {
    const [enabled, paused, disabled] = [stream(), stream({ status: 'paused' }), stream({ status: 'disabled' })];
    for (const s of [enabled, paused, disabled]) expect(await store.create(s, now(), 10)).toBe(true);
    await store.acknowledge(disabled.id, (await store.queued(disabled.id, 100, now())).events.map((event) => event.id));
    const sid = await endSession();
    expect(await queuedSubjects(enabled.id)).toContain(sid);
    expect(await queuedSubjects(paused.id)).toContain(sid);
    expect(await queuedSubjects(disabled.id)).toEqual([]);
  });

  it('pages in feed order with moreAvailable, and forgets what a stream acknowledges, for that stream only', async () => {
    const [first, second] = [stream(), stream()];
    await endSession();
    await endSession();
    await store.create(first, now(), 10);
    await store.create(second, now(), 10);
    const page = await store.queued(first.id, 1, now());
    expect(page.events).toHaveLength(1);
    expect(page.more).toBe(true);
    const all = (await store.queued(first.id, 100, now())).events;
    expect(all.map((event) => event.id)).toEqual([...all.map((event) => event.id)].sort((a, b) => a - b));
    expect(await store.acknowledge(first.id, [all[0].id, all[1].id])).toBe(2);
    expect(await store.acknowledge(first.id, [all[0].id])).toBe(0);
    expect((await store.queued(first.id, 100, now())).events).toHaveLength(all.length - 2);
    expect((await store.queued(second.id, 100, now())).events).toHaveLength(all.length);
  });

  it("keeps a client's streams to itself, caps how many it has, and empties the outbox of a deleted one", async () => {
    const other = await createClient(t, { grantTypes: ['client_credentials'], scopes: [], introspect: true });
    const own = stream({ clientId: other.id, audience: other.id });
    expect(await store.create(own, now(), 2)).toBe(true);
    expect(await store.create(stream({ clientId: other.id }), now(), 2)).toBe(true);
    expect(await store.create(stream({ clientId: other.id }), now(), 2)).toBe(false);
    expect(await store.find(own.id, receiver.id)).toBeUndefined();
    expect(await store.find(own.id, other.id)).toMatchObject({ id: own.id, status: 'enabled', deliveryMethod: POLL });
    expect(await store.listByClient(other.id)).toHaveLength(2);
    expect(await store.update({ ...own, status: 'paused', statusReason: 'maintenance', updatedAt: now() })).toBe(true);
    expect(await store.find(own.id, other.id)).toMatchObject({ status: 'paused', statusReason: 'maintenance' });
    expect(await store.requestVerification(own.id, receiver.id, 'v1', 'state')).toBe(false);
    expect(await store.requestVerification(own.id, other.id, 'v1', 'state')).toBe(true);
    expect(await store.find(own.id, other.id)).toMatchObject({ verificationJti: 'v1', verificationState: 'state' });
    expect(await store.acknowledgeVerification(own.id, 'v0')).toBe(false);
    expect(await store.acknowledgeVerification(own.id, 'v1')).toBe(true);
    expect(await store.find(own.id, other.id)).toMatchObject({ verificationJti: null, verificationState: null });
    expect(await store.delete(own.id, receiver.id)).toBe(false);
    expect(await store.delete(own.id, other.id)).toBe(true);
    const [{ count }] = await t.db.dataSource.query<Array<{ count: number }>>(`SELECT count(*)::int AS count FROM ssf_stream_events WHERE stream_id = $1`, [own.id]);
    expect(count).toBe(0);
  });

  describeOnPostgres('a revocation committing while a stream is created', () => {
    it('is queued for the new stream, whichever commits first', async () => {
      const runner = t.db.dataSource.createQueryRunner();
      await runner.connect();
      await runner.startTransaction();
      await runner.query(`INSERT INTO revocation_events (kind, subject, created_at, until) VALUES ('jti', 'racing-jti', now(), now() + interval '1 day')`);
      const racing = stream();
      let created = false;
      const creation = store.create(racing, now(), 10).then((result) => (created = result));
      await new Promise((resolve) => setTimeout(resolve, 300));
      // The creation waits for the revocation in flight rather than reading the feed without it.
      expect(created).toBe(false);
      await runner.commitTransaction();
      await runner.release();
      await creation;
      expect(created).toBe(true);
      expect(await queuedSubjects(racing.id)).toContain('racing-jti');
    });
  });
});
