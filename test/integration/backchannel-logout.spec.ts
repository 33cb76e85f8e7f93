import { BackchannelLogoutSender } from '../../src/backchannel/backchannel-logout.sender.js';
import { ClientsService } from '../../src/clients/clients.service.js';
import { JanitorService } from '../../src/janitor/janitor.service.js';
import { SessionRevoker } from '../../src/sessions/session-revoker.service.js';
import { api, createAdmin, rows, type TestAdmin } from '../factories/admin.js';
import { BrowserAgent } from '../factories/browser.js';
import { createClient, createUser, login, token, type TestClient, type TestUser } from '../factories/index.js';
import { metricValue, scrape } from '../factories/metrics.js';
import { jwtClaims } from '../factories/resource-server.js';
import { freePort, startTestApp, type TestApp } from '../setup/app.js';
import { FakeClock } from '../setup/clock.js';
import { eventually } from '../setup/faults.js';
import { LogoutReceiver, verifyLogoutToken } from '../setup/logout-receiver.js';

const ORIGIN = 'http://app.example.test:8080';
const EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/** OpenID Connect Back-Channel Logout 1.0: every way a session ends reaches the RP once. */
describe('back-channel logout', () => {
  let t: TestApp;
  let sender: BackchannelLogoutSender;
  let receiver: LogoutReceiver;
  let endpoint: string;
  let admin: TestAdmin;

  beforeAll(async () => {
    // Real time on the fake clock: the relying party checks exp against its own clock.
    t = await startTestApp({ REFRESH_REUSE_GRACE: '0' }, { clock: new FakeClock(Date.now()) });
    sender = t.app.get(BackchannelLogoutSender);
    // The test runs the sender by hand: its own timer would race the assertions.
    sender.onApplicationShutdown();
    receiver = new LogoutReceiver();
    endpoint = await receiver.listen();
    admin = await createAdmin(t);
  });
  beforeEach(() => {
    receiver.received.length = 0;
    receiver.answer = 200;
  });
  afterAll(async () => {
    await receiver.close();
    await t.close();
  });

  const rp = (overrides: Parameters<typeof createClient>[1] = {}) =>
    createClient(t, { grantTypes: ['password', 'refresh_token'], scopes: ['read'], backchannelLogoutUri: endpoint, ...overrides });
  const moveTo = (ms: number) => t.clock.advance((ms - t.clock.now()) / 1000);
  const sidOf = (tokens: Record<string, string>) => jwtClaims(tokens.access_token).sid as string;

  /** Exactly one logout token reached the RP; it verifies and names this session. */
  async function expectOneLogout(client: TestClient, user: TestUser, sid: string): Promise<string> {
    await sender.sweep();
    expect(receiver.received).toHaveLength(1);
    const [entry] = receiver.received;
    expect(entry).toMatchObject({ method: 'POST', path: '/backchannel-logout' });
    expect(entry.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const claims = await verifyLogoutToken(t.url, entry.logoutToken, t.config.issuer, client.id, new Date(t.clock.now()));
    expect(claims).toEqual({
      iss: t.config.issuer,
      aud: client.id,
      iat: expect.any(Number),
      exp: (claims.iat as number) + 120,
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
      sub: user.user.id,
      sid,
      events: { [EVENT]: {} },
    });
    expect(claims).not.toHaveProperty('nonce');
    // Nothing more is owed: another run sends nothing.
    await sender.sweep();
    expect(receiver.received).toHaveLength(1);
    return claims.jti as string;
  }

  it('registers the URI through the admin API and announces the feature in discovery', async () => {
    const created = await api(t, 'POST', '/admin/clients', {
      token: admin.token,
      body: { client_id: 'bc-admin', type: 'confidential', grant_types: ['password'], backchannel_logout_uri: 'https://rp.example.com/bc' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ backchannel_logout_uri: 'https://rp.example.com/bc', backchannel_logout_session_required: true });
    const refused = await api(t, 'PATCH', '/admin/clients/bc-admin', { token: admin.token, body: { backchannel_logout_uri: 'https://rp.example.com/bc#x' } });
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('fragment');
    const removed = await api(t, 'PATCH', '/admin/clients/bc-admin', { token: admin.token, body: { backchannel_logout_uri: null } });
    expect(removed.body).toMatchObject({ backchannel_logout_uri: null });
    const discovery = (await (await fetch(`${t.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(discovery).toMatchObject({ backchannel_logout_supported: true, backchannel_logout_session_supported: true });
  });

  it('/auth/logout', async () => {
    const spa = await rp({ type: 'public', origins: [ORIGIN] });
    const user = await createUser(t);
    const browser = new BrowserAgent(t, ORIGIN);
    const sid = jwtClaims((await browser.login(spa, user)).body.access_token as string).sid as string;
    expect((await browser.logout()).status).toBeLessThan(300);
    await expectOneLogout(spa, user, sid);
  });

  it('admin revocation', async () => {
    const client = await rp();
    const user = await createUser(t);
    const sid = sidOf(await login(t, client, user));
    expect((await api(t, 'DELETE', `/admin/sessions/${sid}`, { token: admin.token })).status).toBeLessThan(300);
    await expectOneLogout(client, user, sid);
  });

  it('a disabled user', async () => {
    const client = await rp();
    const user = await createUser(t);
    const sid = sidOf(await login(t, client, user));
    expect((await api(t, 'PATCH', `/admin/users/${user.user.id}`, { token: admin.token, body: { disabled: true } })).status).toBe(200);
    await expectOneLogout(client, user, sid);
  });

  it('a deleted client: its RP is still told', async () => {
    const client = await rp();
    const user = await createUser(t);
    const sid = sidOf(await login(t, client, user));
    await t.app.get(ClientsService).delete(client.id, 'test');
    await expectOneLogout(client, user, sid);
  });

  it('refresh token reuse, and nothing for a session that merely expired', async () => {
    const client = await rp();
    const user = await createUser(t);
    const first = await login(t, client, user);
    expect((await token(t, client, { grant_type: 'refresh_token', refresh_token: first.refresh_token })).status).toBe(200);
    expect((await token(t, client, { grant_type: 'refresh_token', refresh_token: first.refresh_token })).status).toBe(400);
    await expectOneLogout(client, user, sidOf(first));

    receiver.received.length = 0;
    const expiring = await login(t, client, user);
    t.clock.advance(31 * 86_400);
    expect((await token(t, client, { grant_type: 'refresh_token', refresh_token: expiring.refresh_token })).status).toBe(400);
    moveTo(Date.now());
    await sender.sweep();
    expect(receiver.received).toHaveLength(0);
    const [family] = await rows<{ revoked_reason: string }>(t, `SELECT revoked_reason FROM families WHERE id = $1`, [sidOf(expiring)]);
    expect(family.revoked_reason).toBe('expired');
  });

  it('an endpoint that is down is retried with backoff, and gets the same jti once it is up', async () => {
    const port = await freePort();
    const later = new LogoutReceiver();
    const client = await rp({ backchannelLogoutUri: `http://127.0.0.1:${port}/backchannel-logout` });
    const user = await createUser(t);
    const sid = sidOf(await login(t, client, user));
    await api(t, 'DELETE', `/admin/sessions/${sid}`, { token: admin.token });
    const before = metricValue(await scrape(t), 'tessera_backchannel_deliveries_total', { result: 'retried' });
    await sender.sweep();
    const [owed] = await rows<{ attempts: number; next_attempt_at: Date; jti: string }>(t, `SELECT attempts, next_attempt_at, jti FROM backchannel_logouts WHERE client_id = $1`, [client.id]);
    expect(owed.attempts).toBe(1);
    expect(owed.next_attempt_at.getTime()).toBeGreaterThan(t.clock.now());
    expect(metricValue(await scrape(t), 'tessera_backchannel_deliveries_total', { result: 'retried' })).toBe(before + 1);
    // Not due yet: nothing is attempted.
    await sender.sweep();
    expect((await rows<{ attempts: number }>(t, `SELECT attempts FROM backchannel_logouts WHERE client_id = $1`, [client.id]))[0].attempts).toBe(1);
    await later.listen(port);
    try {
      moveTo(owed.next_attempt_at.getTime() + 1);
      await sender.sweep();
      expect(later.received).toHaveLength(1);
      const claims = await verifyLogoutToken(t.url, later.received[0].logoutToken, t.config.issuer, client.id, new Date(t.clock.now()));
      expect(claims).toMatchObject({ jti: owed.jti, sid });
    } finally {
      await later.close();
      moveTo(Date.now());
    }
  });

  it('a hanging endpoint times out without holding the token endpoint up, and is counted', async () => {
    const client = await rp();
    const user = await createUser(t);
    const sid = sidOf(await login(t, client, user));
    receiver.answer = 'hang';
    await api(t, 'DELETE', `/admin/sessions/${sid}`, { token: admin.token });
    const before = metricValue(await scrape(t), 'tessera_backchannel_deliveries_total', { result: 'timeout' });
    const sweeping = sender.sweep();
    const arrived = new Promise<void>((resolve) => (receiver.onRequest = resolve));
    await arrived;
    receiver.onRequest = undefined;
    // While the RP hangs, logins and refreshes go on.
    const other = await login(t, client, user);
    expect((await token(t, client, { grant_type: 'refresh_token', refresh_token: other.refresh_token })).status).toBe(200);
    await sweeping;
    expect(metricValue(await scrape(t), 'tessera_backchannel_deliveries_total', { result: 'timeout' })).toBe(before + 1);
    const [row] = await rows<{ delivered_at: Date | null; last_error: string }>(t, `SELECT delivered_at, last_error FROM backchannel_logouts WHERE sid = $1`, [sid]);
    expect(row).toMatchObject({ delivered_at: null, last_error: expect.stringContaining('no answer') });
    await rows(t, `UPDATE backchannel_logouts SET gave_up_at = now() WHERE sid = $1`, [sid]);
  });

  it('sends at most 4 logouts at once to one endpoint; the rest wait for a free slot', async () => {
    const client = await rp();
    const user = await createUser(t);
    const sids: string[] = [];
    for (let i = 0; i < 6; i++) sids.push(sidOf(await login(t, client, user)));
    receiver.answer = 'hang';
    await t.app.get(SessionRevoker).revoke(sids, 'admin', 'admin:test');
    const sweeping = sender.sweep();
    const unclaimed = async () =>
      Number((await rows<{ n: string }>(t, `SELECT count(*) AS n FROM backchannel_logouts WHERE client_id = $1 AND attempts = 0`, [client.id]))[0].n);
    await eventually('four attempts under way', async () => (receiver.received.length === 4 ? true : undefined));
    expect(await unclaimed()).toBe(2);
    receiver.answer = 200;
    await sweeping;
    // The two that waited were sent once the hanging ones timed out; those four are due later.
    expect(receiver.received).toHaveLength(6);
    expect(await unclaimed()).toBe(0);
    const delivered = await rows<{ sid: string }>(t, `SELECT sid FROM backchannel_logouts WHERE client_id = $1 AND delivered_at IS NOT NULL`, [client.id]);
    expect(delivered).toHaveLength(2);
    await rows(t, `UPDATE backchannel_logouts SET gave_up_at = now() WHERE client_id = $1 AND delivered_at IS NULL`, [client.id]);
  });

  it('gives up a day after the session ended, once, with an audit event', async () => {
    const client = await rp();
    const user = await createUser(t);
    const sid = sidOf(await login(t, client, user));
    receiver.answer = 503;
    await api(t, 'DELETE', `/admin/sessions/${sid}`, { token: admin.token });
    try {
      for (let i = 0; i < 100; i++) {
        await sender.sweep();
        const [row] = await rows<{ next_attempt_at: Date; gave_up_at: Date | null }>(t, `SELECT next_attempt_at, gave_up_at FROM backchannel_logouts WHERE sid = $1`, [sid]);
        if (row.gave_up_at) break;
        moveTo(row.next_attempt_at.getTime() + 1);
      }
      const [row] = await rows<{ gave_up_at: Date | null; attempts: number }>(t, `SELECT gave_up_at, attempts FROM backchannel_logouts WHERE sid = $1`, [sid]);
      expect(row.gave_up_at).not.toBeNull();
      expect(receiver.received.length).toBe(row.attempts);
      expect(new Set(receiver.received.map((entry) => jwtClaims(entry.logoutToken).jti)).size).toBe(1);
      const events = await rows<{ reason: string; details: Record<string, unknown> }>(t, `SELECT reason, details FROM audit_events WHERE type = 'backchannel_logout_failed' AND client_id = $1`, [client.id]);
      expect(events).toEqual([{ reason: 'expired', details: expect.objectContaining({ sid, attempts: row.attempts }) }]);
    } finally {
      moveTo(Date.now());
    }
  });

  it('only the URI registered now is requested: a corrected one gets what is owed, a removed one nothing', async () => {
    const port = await freePort();
    const user = await createUser(t);
    const moved = await rp({ backchannelLogoutUri: `http://127.0.0.1:${port}/backchannel-logout` });
    const dropped = await rp();
    const movedSid = sidOf(await login(t, moved, user));
    const droppedSid = sidOf(await login(t, dropped, user));
    await t.app.get(SessionRevoker).revoke([movedSid, droppedSid], 'admin', 'admin:test');
    const clients = t.app.get(ClientsService);
    await clients.update(moved.id, { backchannelLogoutUri: endpoint }, 'test');
    await clients.update(dropped.id, { backchannelLogoutUri: null }, 'test');
    await sender.sweep();
    expect(receiver.received.map((entry) => jwtClaims(entry.logoutToken).sid)).toEqual([movedSid]);
    const [row] = await rows<{ gave_up_at: Date | null }>(t, `SELECT gave_up_at FROM backchannel_logouts WHERE sid = $1`, [droppedSid]);
    expect(row.gave_up_at).not.toBeNull();
    const events = await rows<{ reason: string }>(t, `SELECT reason FROM audit_events WHERE type = 'backchannel_logout_failed' AND client_id = $1`, [dropped.id]);
    expect(events).toEqual([{ reason: 'unregistered' }]);
  });

  it('the janitor deletes a settled logout a week on, never one still owed', async () => {
    const user = await createUser(t);
    const down = await rp({ backchannelLogoutUri: `http://127.0.0.1:${await freePort()}/backchannel-logout` });
    const owed = sidOf(await login(t, down, user));
    const done = sidOf(await login(t, await rp(), user));
    await t.app.get(SessionRevoker).revoke([owed, done], 'admin', 'admin:test');
    await sender.sweep();
    const left = async () => (await rows<{ sid: string }>(t, `SELECT sid FROM backchannel_logouts WHERE sid = ANY($1::text[]) ORDER BY sid`, [[owed, done]])).map((row) => row.sid);
    const start = t.clock.now();
    try {
      t.clock.advance(6 * 86_400);
      await t.app.get(JanitorService).runOnce({ wait: true });
      expect(await left()).toEqual([owed, done].sort());
      t.clock.advance(2 * 86_400);
      expect(await t.app.get(JanitorService).runOnce({ wait: true })).toMatchObject({ backchannel_logouts: expect.any(Number) });
      expect(await left()).toEqual([owed]);
    } finally {
      moveTo(start);
      await rows(t, `UPDATE backchannel_logouts SET gave_up_at = now() WHERE sid = $1`, [owed]);
    }
  });
});
