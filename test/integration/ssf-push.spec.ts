import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { RevocationView } from '../../src/sessions/revocation-view.service.js';
import { SsfPushSender } from '../../src/ssf/ssf-push.sender.js';
import { SsfStreamsService } from '../../src/ssf/ssf-streams.service.js';
import { createClient, createUser, login, type TestClient, type TestUser } from '../factories/index.js';
import { jwtClaims, revoke } from '../factories/resource-server.js';
import { startTestApp, type TestApp } from '../setup/app.js';

const PUSH = 'urn:ietf:rfc:8935';
const SESSION_REVOKED = 'https://schemas.openid.net/secevent/caep/event-type/session-revoked';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** RFC 8935 push delivery from the outbox, to a receiver on loopback. */
describe('SSF push delivery', () => {
  let t: TestApp;
  let app: TestClient;
  let user: TestUser;
  let receiverServer: Server;
  let endpoint: string;
  let answer = 202;
  const received: Received[] = [];
  let streams: SsfStreamsService;
  let sender: SsfPushSender;

  const endSession = async (): Promise<string> => {
    const tokens = await login(t, app, user);
    expect((await revoke(t, app, tokens.refresh_token)).status).toBe(200);
    return jwtClaims(tokens.access_token).sid as string;
  };
  const sessionsReceived = () => received.map((entry) => (jwtClaims(entry.body).sub_id as { session?: { id: string } }).session?.id);
  const newStream = async (authorization?: string) => {
    const receiver = await createClient(t, { grantTypes: ['client_credentials'], scopes: ['ssf'], introspect: true });
    const created = await streams.create(receiver.id, { delivery: { method: PUSH, endpoint_url: endpoint, ...(authorization ? { authorization_header: authorization } : {}) } });
    return { receiver, id: created.stream_id as string };
  };
  const queued = async (id: string) =>
    t.db.dataSource.query<Array<{ attempts: number; next_attempt_at: Date | null }>>(`SELECT attempts, next_attempt_at FROM ssf_stream_events WHERE stream_id = $1`, [id]);

  beforeAll(async () => {
    t = await startTestApp();
    streams = t.app.get(SsfStreamsService);
    sender = t.app.get(SsfPushSender);
    // The test runs the sender by hand: its own timer would race the assertions.
    sender.onApplicationShutdown();
    app = await createClient(t);
    user = await createUser(t);
    receiverServer = createServer((request, response) => {
      let body = '';
      request.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      request.on('end', () => {
        received.push({ headers: request.headers, body });
        response.writeHead(answer, { 'content-type': 'application/json' });
        response.end(answer === 400 ? '{"err":"invalid_request","description":"no"}' : '');
      });
    });
    await new Promise<void>((resolve) => receiverServer.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(receiverServer.address() as AddressInfo).port}/events`;
  });
  beforeEach(() => {
    received.length = 0;
    answer = 202;
  });
  afterAll(async () => {
    await t.close();
    await new Promise((resolve) => receiverServer.close(resolve));
  });

  it('pushes each revocation as a signed SET with the receiver Authorization header, once accepted', async () => {
    const { receiver, id } = await newStream('Bearer receiver-secret');
    const sid = await endSession();
    await sender.sweep();
    const entry = received.find((candidate) => sessionsReceived()[received.indexOf(candidate)] === sid)!;
    expect(entry.headers).toMatchObject({ 'content-type': 'application/secevent+jwt', authorization: 'Bearer receiver-secret' });
    const jwks = createLocalJWKSet((await (await fetch(`${t.url}/oauth/jwks`)).json()) as Parameters<typeof createLocalJWKSet>[0]);
    const { payload } = await jwtVerify(entry.body, jwks, { typ: 'secevent+jwt', issuer: t.config.issuer, audience: receiver.id });
    expect(payload.events).toHaveProperty([SESSION_REVOKED]);
    expect(await queued(id)).toEqual([]);
    received.length = 0;
    await sender.sweep();
    expect(received).toEqual([]);
  });

  it('tries a failed push again after a backoff, and drops one the receiver refuses', async () => {
    const { id } = await newStream();
    await sender.sweep();
    answer = 503;
    received.length = 0;
    const sid = await endSession();
    await sender.sweep();
    expect(sessionsReceived()).toContain(sid);
    const [waiting] = await queued(id);
    expect(waiting.attempts).toBe(1);
    expect(waiting.next_attempt_at!.getTime()).toBeGreaterThan(t.clock.now());
    received.length = 0;
    await sender.sweep();
    expect(received).toEqual([]);
    answer = 202;
    t.clock.advance(2);
    await sender.sweep();
    expect(sessionsReceived()).toContain(sid);
    expect(await queued(id)).toEqual([]);

    answer = 400;
    await endSession();
    await sender.sweep();
    expect(await queued(id)).toEqual([]);
  });

  it('pushes a requested verification event until the receiver takes it', async () => {
    const { receiver, id } = await newStream();
    await sender.sweep();
    await sender.idle();
    received.length = 0;
    answer = 500;
    // Sent at once, not at the next safety poll; refused, it stays waiting.
    await streams.requestVerification(receiver.id, { stream_id: id, state: 'push-ping' });
    await sender.idle();
    expect(received).toHaveLength(1);
    answer = 202;
    await sender.sweep();
    const states = received.map((entry) => Object.values(jwtClaims(entry.body).events as Record<string, { state?: string }>)[0].state);
    expect(states).toEqual(['push-ping', 'push-ping']);
    received.length = 0;
    await sender.sweep();
    expect(received).toEqual([]);
  });

  it('pushes a revocation as soon as the revocation view reads it, with no sweep by hand, and a lapse notice like a verification', async () => {
    const { receiver, id } = await newStream();
    // Streams of the earlier tests push to the same endpoint: only this stream's SETs count.
    const mine = () => received.filter((entry) => jwtClaims(entry.body).aud === receiver.id);
    await sender.sweep();
    await sender.idle();
    received.length = 0;
    sender.onApplicationBootstrap();
    try {
      const sid = await endSession();
      // What a NOTIFY from any process, or the view's own poll, does.
      await t.app.get(RevocationView).catchUp();
      await sender.idle();
      expect(mine().map((entry) => (jwtClaims(entry.body).sub_id as { session: { id: string } }).session.id)).toEqual([sid]);
    } finally {
      sender.onApplicationShutdown();
    }
    expect(await queued(id)).toEqual([]);

    received.length = 0;
    await t.db.dataSource.query(`UPDATE ssf_streams SET lapse_jti = $1 || '.lapse.test', events_lost = 4 WHERE id = $1`, [id]);
    await sender.sweep();
    expect(mine().map((entry) => jwtClaims(entry.body).events)).toEqual([
      { 'urn:tessera:secevent:event-type:events-lost': { events_lost: 4, reason: expect.any(String) } },
    ]);
    const [row] = await t.db.dataSource.query<Array<{ lapse_jti: string | null }>>(`SELECT lapse_jti FROM ssf_streams WHERE id = $1`, [id]);
    expect(row.lapse_jti).toBeNull();
  });
});
