import { api, createAdmin, rows, type TestAdmin } from '../factories/admin.js';
import { createClient, createUser, login, type TestClient, token } from '../factories/index.js';
import { jwtClaims } from '../factories/resource-server.js';
import { startTestApp, type TestApp } from '../setup/app.js';

describe('admin API: the audit log', () => {
  let t: TestApp;
  let admin: TestAdmin;
  let app: TestClient;

  beforeAll(async () => {
    t = await startTestApp({ REFRESH_REUSE_GRACE: '0' });
    app = await createClient(t);
    admin = await createAdmin(t, app);
  });
  afterAll(async () => {
    await t.close();
  });

  it('names the family after a reuse, with its reason, and never holds a token, hash, secret or password', async () => {
    const user = await createUser(t);
    const failed = await token(t, app, { grant_type: 'password', username: user.username, password: 'wrong password 123' });
    expect(failed.status).toBe(400);
    const first = await login(t, app, user);
    const second = (await token(t, app, { grant_type: 'refresh_token', refresh_token: first.refresh_token })).body as Record<string, string>;
    t.clock.advance(1);
    expect((await token(t, app, { grant_type: 'refresh_token', refresh_token: first.refresh_token })).body.error).toBe('invalid_grant');
    const sid = jwtClaims(first.access_token).sid as string;

    const reuse = await api(t, 'GET', `/admin/events?type=refresh_token_reuse_detected&user_id=${user.user.id}`, { token: admin.token });
    expect(reuse.status).toBe(200);
    expect(reuse.body.items).toEqual([
      expect.objectContaining({ type: 'refresh_token_reuse_detected', family_id: sid, reason: 'after_grace', user_id: user.user.id, client_id: app.id }),
    ]);
    const revoked = await api(t, 'GET', `/admin/events?type=session_revoked&user_id=${user.user.id}`, { token: admin.token });
    expect(revoked.body.items).toEqual([expect.objectContaining({ family_id: sid, reason: 'refresh_token_reuse', actor: 'system' })]);
    const mine = await api(t, 'GET', `/admin/events?user_id=${user.user.id}`, { token: admin.token });
    const types = (mine.body.items as Array<{ type: string }>).map((e) => e.type);
    expect(types).toEqual(['session_revoked', 'refresh_token_reuse_detected', 'login_succeeded', 'user_created']);
    const failures = await api(t, 'GET', `/admin/events?type=login_failed`, { token: admin.token });
    expect((failures.body.items as unknown[]).length).toBeGreaterThanOrEqual(1);

    // Grep the whole table, every column, for every secret this test has handled.
    const secrets = [user.password, 'wrong password 123', first.refresh_token, first.access_token, second.refresh_token,
      second.access_token, admin.token, admin.password, app.secret!, user.user.passwordHash];
    const dump = (await rows<{ row: string }>(t, `SELECT a::text AS row FROM audit_events a`)).map((r) => r.row).join('\n');
    expect(dump.length).toBeGreaterThan(0);
    for (const secret of secrets) expect(dump).not.toContain(secret);
    const hashes = await rows<{ hash: string }>(t, `SELECT encode(hash, 'hex') AS hash FROM refresh_tokens`);
    for (const { hash } of hashes) expect(dump).not.toContain(hash);
  });

  it('filters by type, user and time, newest first, paginated', async () => {
    const start = new Date(t.clock.now()).toISOString();
    const names: string[] = [];
    for (let i = 0; i < 3; i++) {
      t.clock.advance(60);
      names.push((await createUser(t)).user.id);
    }
    const since = await api(t, 'GET', `/admin/events?type=user_created&since=${start}&limit=2`, { token: admin.token });
    expect((since.body.items as Array<{ user_id: string }>).map((e) => e.user_id)).toEqual([names[2], names[1]]);
    const rest = await api(t, 'GET', `/admin/events?type=user_created&since=${start}&limit=2&cursor=${since.body.next_cursor as string}`, { token: admin.token });
    expect((rest.body.items as Array<{ user_id: string }>).map((e) => e.user_id)).toEqual([names[0]]);
    expect(rest.body.next_cursor).toBeNull();
    const until = new Date(t.clock.now() - 30_000).toISOString();
    const window = await api(t, 'GET', `/admin/events?type=user_created&since=${start}&until=${until}`, { token: admin.token });
    expect((window.body.items as Array<{ user_id: string }>).map((e) => e.user_id)).toEqual([names[1], names[0]]);
  });

  it('answers 400 naming each bad filter', async () => {
    const result = await api(t, 'GET', '/admin/events?type=everything&user_id=bob&since=yesterday&limit=-1&cursor=%00', { token: admin.token });
    expect(result.status).toBe(400);
    for (const name of ['type', 'user_id', 'since', 'limit', 'cursor']) expect(result.body.error_description).toContain(`${name}: `);
    const repeated = await api(t, 'GET', '/admin/events?type=login_failed&type=login_succeeded', { token: admin.token });
    expect(repeated.status).toBe(400);
  });
});
