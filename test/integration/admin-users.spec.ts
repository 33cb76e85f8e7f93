import { api, createAdmin, rows, type TestAdmin } from '../factories/admin.js';
import { PageAgent } from '../factories/authorization.js';
import { createClient, login, type TestClient, token } from '../factories/index.js';
import { isActive } from '../factories/resource-server.js';
import { startTestApp, type TestApp } from '../setup/app.js';

describe('admin API: users', () => {
  let t: TestApp;
  let admin: TestAdmin;
  let app: TestClient;
  let resourceServer: TestClient;

  beforeAll(async () => {
    t = await startTestApp();
    app = await createClient(t);
    admin = await createAdmin(t, app);
    resourceServer = await createClient(t, { grantTypes: ['client_credentials'], scopes: [], introspect: true });
  });
  afterAll(async () => {
    await t.close();
  });

  const userCount = async () => Number((await rows<{ n: string }>(t, `SELECT count(*) AS n FROM users`))[0].n);

  it('creates a user who can log in, and finds them by id and by username', async () => {
    const password = 'a long enough password 1';
    const created = await api(t, 'POST', '/admin/users', { token: admin.token, body: { username: 'carol', password } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ username: 'carol', roles: [], disabled: false, disabled_at: null });
    expect(created.text).not.toContain(password);
    expect(created.text).not.toContain('argon2');
    const id = created.body.id as string;

    expect((await api(t, 'GET', `/admin/users/${id}`, { token: admin.token })).body).toEqual(created.body);
    const byName = await api(t, 'GET', '/admin/users?username=carol', { token: admin.token });
    expect(byName.body).toEqual({ items: [created.body], next_cursor: null });
    expect((await login(t, app, { user: undefined as never, username: 'carol', password })).access_token).toBeDefined();

    const duplicate = await api(t, 'POST', '/admin/users', { token: admin.token, body: { username: 'carol', password } });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.error).toBe('invalid_request');
  });

  it('keeps the OpenID Connect profile claims, changes and removes them', async () => {
    const created = await api(t, 'POST', '/admin/users', {
      token: admin.token,
      body: { username: 'fiona', password: 'fiona password 123', email: 'fiona@example.com', name: 'Fiona Gallagher' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ email: 'fiona@example.com', email_verified: false, name: 'Fiona Gallagher' });
    const id = created.body.id as string;

    const verified = await api(t, 'PATCH', `/admin/users/${id}`, { token: admin.token, body: { email_verified: true, name: '  Fiona G.  ' } });
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({ email: 'fiona@example.com', email_verified: true, name: 'Fiona G.' });
    const removed = await api(t, 'PATCH', `/admin/users/${id}`, { token: admin.token, body: { email: null } });
    expect(removed.body).toMatchObject({ email: null, email_verified: true, name: 'Fiona G.' });
    expect(await rows(t, `SELECT email, name FROM users WHERE id = $1`, [id])).toEqual([{ email: null, name: 'Fiona G.' }]);
    const [event] = await rows<{ details: Record<string, unknown> }>(t, `SELECT details FROM audit_events WHERE type = 'user_updated' AND user_id = $1 ORDER BY id LIMIT 1`, [id]);
    expect(event.details.fields).toBe('email_verified,name');

    for (const [body, message] of [
      [{ email: 'no-at-sign' }, /^email: must be an email address/],
      [{ email: 42 }, /email: must be a string/],
      [{ name: 'tab\there' }, /^name: must not contain control characters/],
      [{ email_verified: 'yes' }, /email_verified: must be true or false/],
    ] as const) {
      const refused = await api(t, 'PATCH', `/admin/users/${id}`, { token: admin.token, body });
      expect(refused.status).toBe(400);
      expect(refused.body.error_description).toMatch(message);
    }
    expect((await api(t, 'GET', `/admin/users/${id}`, { token: admin.token })).body).toEqual(removed.body);
  });

  it('answers 400 naming every bad and unknown field, and creates nothing', async () => {
    const before = await userCount();
    const result = await api(t, 'POST', '/admin/users', {
      token: admin.token,
      body: { username: 42, admin: 'yes', role: 'admin' },
    });
    expect(result.status).toBe(400);
    expect(result.body.error).toBe('invalid_request');
    const description = result.body.error_description as string;
    for (const part of ['role: unknown field', 'username: must be a string', 'password: required', 'admin: must be true or false']) {
      expect(description).toContain(part);
    }
    const short = await api(t, 'POST', '/admin/users', { token: admin.token, body: { username: 'dave', password: 'short' } });
    expect(short.status).toBe(400);
    expect(short.body.error_description).toMatch(/^password: /);
    const notJson = await api(t, 'POST', '/admin/users', { token: admin.token, rawBody: 'username=x&password=y', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(notJson.status).toBe(400);
    const array = await api(t, 'POST', '/admin/users', { token: admin.token, body: [] });
    expect(array.status).toBe(400);
    expect(await userCount()).toBe(before);
  });

  it('disabling a user ends their sessions, makes their access tokens inactive and blocks their logins', async () => {
    const created = await api(t, 'POST', '/admin/users', { token: admin.token, body: { username: 'erin', password: 'erin password 123' } });
    const erin = { user: undefined as never, username: 'erin', password: 'erin password 123' };
    const session = await login(t, app, erin);
    expect(await isActive(t, resourceServer, session.access_token)).toBe(true);

    const disabled = await api(t, 'PATCH', `/admin/users/${created.body.id as string}`, { token: admin.token, body: { disabled: true } });
    expect(disabled.status).toBe(200);
    expect(disabled.body.disabled).toBe(true);

    expect(await isActive(t, resourceServer, session.access_token)).toBe(false);
    expect(await isActive(t, resourceServer, session.refresh_token)).toBe(false);
    expect((await token(t, app, { grant_type: 'refresh_token', refresh_token: session.refresh_token })).body.error).toBe('invalid_grant');
    const relogin = await token(t, app, { grant_type: 'password', username: 'erin', password: 'erin password 123' });
    expect(relogin.status).toBe(400);
    expect(relogin.body.error).toBe('invalid_grant');
    const [family] = await rows(t, `SELECT revoked_reason FROM families WHERE user_id = $1`, [created.body.id]);
    expect(family).toEqual({ revoked_reason: 'user_disabled' });
    const types = (await rows<{ type: string }>(t, `SELECT type FROM audit_events WHERE user_id = $1 ORDER BY id`, [created.body.id])).map((r) => r.type);
    expect(types).toEqual(expect.arrayContaining(['user_created', 'user_disabled', 'session_revoked', 'login_succeeded']));

    const enabled = await api(t, 'PATCH', `/admin/users/${created.body.id as string}`, { token: admin.token, body: { disabled: false } });
    expect(enabled.body.disabled).toBe(false);
    expect((await login(t, app, erin)).access_token).toBeDefined();
  });

  it('a password change ends every session of the user (reason password_changed)', async () => {
    const created = await api(t, 'POST', '/admin/users', { token: admin.token, body: { username: 'frank', password: 'frank password 1' } });
    const session = await login(t, app, { user: undefined as never, username: 'frank', password: 'frank password 1' });
    const changed = await api(t, 'PATCH', `/admin/users/${created.body.id as string}`, { token: admin.token, body: { password: 'frank password 2' } });
    expect(changed.status).toBe(200);
    expect(await isActive(t, resourceServer, session.access_token)).toBe(false);
    const [family] = await rows(t, `SELECT revoked_reason FROM families WHERE user_id = $1`, [created.body.id]);
    expect(family).toEqual({ revoked_reason: 'password_changed' });
    expect((await token(t, app, { grant_type: 'password', username: 'frank', password: 'frank password 1' })).status).toBe(400);
    expect((await token(t, app, { grant_type: 'password', username: 'frank', password: 'frank password 2' })).status).toBe(200);
  });

  it('a password change also ends the user\'s login sessions: the hosted-login cookie stops working', async () => {
    const password = 'henry password 1';
    const created = await api(t, 'POST', '/admin/users', { token: admin.token, body: { username: 'henry', password } });
    const userId = created.body.id as string;
    const browsers = [new PageAgent(t), new PageAgent(t)];
    for (const browser of browsers) {
      const page = await browser.get('/login?return_to=%2Faccount');
      expect((await browser.submit(page, { username: 'henry', password })).location?.pathname).toBe('/account');
      expect((await browser.get('/account')).status).toBe(200);
    }
    const untouched = await api(t, 'PATCH', `/admin/users/${userId}`, { token: admin.token, body: { name: 'Henry' } });
    expect(untouched.status).toBe(200);
    expect((await browsers[0].get('/account')).status).toBe(200);

    const changed = await api(t, 'PATCH', `/admin/users/${userId}`, { token: admin.token, body: { password: 'henry password 2' } });
    expect(changed.status).toBe(200);
    for (const browser of browsers) expect((await browser.get('/account')).location?.pathname).toBe('/login');
    expect(await rows(t, `SELECT ended_reason FROM login_sessions WHERE user_id = $1`, [userId])).toEqual([
      { ended_reason: 'password_changed' },
      { ended_reason: 'password_changed' },
    ]);
    expect(await rows(t, `SELECT actor, details FROM audit_events WHERE user_id = $1 AND type = 'credential_changed'`, [userId])).toEqual([
      { actor: `user:${admin.user.id}`, details: { credential_type: 'password', change_type: 'update' } },
    ]);
  });

  it('PATCH rejects unknown fields and bad values without changing the user', async () => {
    const created = await api(t, 'POST', '/admin/users', { token: admin.token, body: { username: 'gina', password: 'gina password 1' } });
    const id = created.body.id as string;
    const result = await api(t, 'PATCH', `/admin/users/${id}`, { token: admin.token, body: { disabled: 'true', roles: ['admin'] } });
    expect(result.status).toBe(400);
    expect(result.body.error_description).toContain('disabled: must be true or false');
    expect(result.body.error_description).toContain('roles: unknown field');
    expect((await api(t, 'GET', `/admin/users/${id}`, { token: admin.token })).body).toEqual(created.body);
    const unknown = await api(t, 'PATCH', '/admin/users/00000000-0000-4000-8000-000000000000', { token: admin.token, body: { disabled: true } });
    expect(unknown.status).toBe(404);
  });

  it('lists users newest first, paginated with an opaque cursor', async () => {
    t.clock.advance(1);
    for (const name of ['p1', 'p2', 'p3']) {
      await api(t, 'POST', '/admin/users', { token: admin.token, body: { username: name, password: 'page password 1' } });
      t.clock.advance(1);
    }
    const first = await api(t, 'GET', '/admin/users?limit=2', { token: admin.token });
    expect((first.body.items as Array<{ username: string }>).map((u) => u.username)).toEqual(['p3', 'p2']);
    expect(typeof first.body.next_cursor).toBe('string');
    const second = await api(t, 'GET', `/admin/users?limit=2&cursor=${first.body.next_cursor as string}`, { token: admin.token });
    expect((second.body.items as Array<{ username: string }>)[0].username).toBe('p1');
    const all = await api(t, 'GET', '/admin/users?limit=200', { token: admin.token });
    expect((all.body.items as unknown[]).length).toBe(await userCount());
    expect(all.body.next_cursor).toBeNull();
    expect((await api(t, 'GET', '/admin/users?limit=201', { token: admin.token })).status).toBe(400);
  });
});
