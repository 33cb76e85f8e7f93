import { api, createAdmin, rows } from '../factories/admin.js';
import { PageAgent, type PageResult } from '../factories/authorization.js';
import { createClient, createUser, login, type TestClient, type TestUser, token } from '../factories/index.js';
import { JanitorService } from '../../src/janitor/janitor.service.js';
import { SecondFactorService } from '../../src/second-factor/second-factor.service.js';
import { totpCode } from '../../src/second-factor/totp.js';
import { UsersService } from '../../src/users/users.service.js';
import { startTestApp, type TestApp } from '../setup/app.js';

const ISSUER = 'http://tessera.test';
const CONSOLE_COOKIE = 'tessera-console';

/** The admin console over HTTP, as a browser drives it: its sign-in through Tessera's own code flow, each form, and every refusal. */
describe('the admin console', () => {
  let t: TestApp;
  let app: TestClient;

  beforeAll(async () => {
    t = await startTestApp({ ISSUER });
    app = await createClient(t, { grantTypes: ['password', 'refresh_token'], scopes: ['read', 'admin'] });
  });
  afterAll(async () => {
    await t.close();
  });

  const path = (url: URL) => `${url.pathname}${url.search}`;

  /** scripts: the hosted login page loads the passkey scripts from 'self'; console pages load none. */
  function expectPage(result: PageResult, status: number, options: { scripts?: boolean } = {}) {
    expect(result.status).toBe(status);
    expect(result.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(result.headers.get('cache-control')).toBe('no-store');
    const csp = result.headers.get('content-security-policy');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe-inline/);
    if (options.scripts) expect(csp).toContain("script-src 'self';");
    else expect(csp).not.toMatch(/script-src/);
    expect(result.headers.get('x-frame-options')).toBe('DENY');
  }

  /** /console → /oauth/authorize → the hosted login → the callback; returns the callback's answer. */
  async function signIn(user: TestUser, agent = new PageAgent(t)): Promise<{ agent: PageAgent; done: PageResult }> {
    const started = await agent.get('/console');
    expect(started.status).toBe(302);
    const authorize = started.location!;
    expect(authorize.pathname).toBe('/oauth/authorize');
    expect(Object.fromEntries(authorize.searchParams)).toMatchObject({
      client_id: 'tessera-console',
      redirect_uri: `${ISSUER}/console/callback`,
      response_type: 'code',
      code_challenge_method: 'S256',
    });
    expect(started.setCookies.find((c) => c.name === CONSOLE_COOKIE)?.attributes.get('samesite')).toBe('Lax');
    const page = await agent.get(path(authorize));
    expectPage(page, 200, { scripts: true });
    const callback = await agent.login(page, user);
    expect(callback.status).toBe(303);
    expect(callback.location!.pathname).toBe('/console/callback');
    return { agent, done: await agent.get(path(callback.location!)) };
  }

  async function signInAdmin(): Promise<{ agent: PageAgent; admin: TestUser }> {
    const admin = await createUser(t, { admin: true });
    const { agent, done } = await signIn(admin);
    expect(done.status).toBe(302);
    expect(done.location!.href).toBe(`${ISSUER}/console/users`);
    return { agent, admin };
  }

  async function userPage(agent: PageAgent, user: TestUser): Promise<{ page: PageResult; csrf: string }> {
    const page = await agent.get(`/console/users/${user.user.id}`);
    expectPage(page, 200);
    return { page, csrf: /name="csrf_token" value="([^"]+)"/.exec(page.text)![1] };
  }

  const live = async (familyId: string) => (await rows<{ revoked_at: Date | null }>(t, 'SELECT revoked_at FROM families WHERE id = $1', [familyId]))[0].revoked_at === null;
  const sidOf = (tokens: Record<string, string>) => (JSON.parse(Buffer.from(tokens.access_token.split('.')[1], 'base64url').toString()) as { sid: string }).sid;
  const refresh = (tokens: Record<string, string>) => token(t, app, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token });

  it('signs an admin in through the code flow with PKCE; the cookie is HttpOnly, host-only and SameSite=Lax', async () => {
    const admin = await createUser(t, { admin: true });
    const { agent, done } = await signIn(admin);
    expect(done.status).toBe(302);
    const cookie = done.setCookies.find((c) => c.name === CONSOLE_COOKIE)!;
    expect(cookie.attributes.has('httponly')).toBe(true);
    expect(cookie.attributes.get('samesite')).toBe('Lax');
    expect(cookie.attributes.has('domain')).toBe(false);
    // http issuer: not Secure (a browser would drop it); https issuers get a __Host- cookie.
    expect(cookie.attributes.has('secure')).toBe(false);
    const users = await agent.get('/console/users');
    expectPage(users, 200);
    expect(users.text).toContain(admin.username);
    expect(users.text).not.toMatch(/refresh_token|access_token|eyJ/);
    // The console signed in as any client would: a family of tessera-console, audited as a login.
    const [family] = await rows<{ client_id: string }>(t, 'SELECT client_id FROM families WHERE user_id = $1', [admin.user.id]);
    expect(family.client_id).toBe('tessera-console');
  });

  it('refuses a user who is not an admin with a 403 page, and keeps nothing of the sign-in', async () => {
    const user = await createUser(t);
    const { agent, done } = await signIn(user);
    expectPage(done, 403);
    expect(done.text).toContain('administrators only');
    expect(agent.jar.has(CONSOLE_COOKIE)).toBe(false);
    expect(await rows(t, 'SELECT 1 FROM families WHERE user_id = $1 AND revoked_at IS NULL', [user.user.id])).toHaveLength(0);
    // An admin demoted meanwhile is refused on the next page.
    const { agent: demoted, admin } = await signInAdmin();
    await t.app.get(UsersService).update(admin.user.id, { admin: false }, 'test');
    expectPage(await demoted.get('/console/users'), 403);
  });

  it('refuses a callback it did not start, a wrong state, and a replayed one', async () => {
    const admin = await createUser(t, { admin: true });
    expectPage(await new PageAgent(t).get('/console/callback?code=x&state=y'), 403);
    const agent = new PageAgent(t);
    const started = await agent.get('/console');
    const page = await agent.get(path(started.location!));
    const callback = await agent.login(page, admin);
    const forged = new URL(callback.location!);
    forged.searchParams.set('state', 'not-the-state');
    expectPage(await agent.get(path(forged)), 403);
    // The pending sign-in was spent by the forged callback: the real one cannot use it either.
    expectPage(await agent.get(path(callback.location!)), 403);
    expect(agent.jar.has(CONSOLE_COOKIE)).toBe(true);
    expect((await agent.get('/console/users')).status).toBe(302);
  });

  it('two callbacks racing with the same cookie: exactly one signs in', async () => {
    const admin = await createUser(t, { admin: true });
    const agent = new PageAgent(t);
    const started = await agent.get('/console');
    const callback = await agent.login(await agent.get(path(started.location!)), admin);
    const answers = await Promise.all([agent.get(path(callback.location!)), agent.get(path(callback.location!))]);
    expect(answers.map((a) => a.status).sort()).toEqual([302, 403]);
    expect(await rows(t, 'SELECT 1 FROM console_sessions WHERE user_id = $1', [admin.user.id])).toHaveLength(1);
  });

  it('finds users by username or email, page by page', async () => {
    const { agent } = await signInAdmin();
    const marker = `findme${Date.now()}`;
    const found: TestUser[] = [];
    for (let i = 0; i < 21; i++) found.push(await createUser(t, { username: `${marker}-${i}` }));
    await t.app.get(UsersService).update(found[0].user.id, { email: `someone@${marker}.example` }, 'test');
    const first = await agent.get(`/console/users?q=${marker}`);
    expectPage(first, 200);
    expect(first.text).toContain('<input id="q" name="q" type="search"');
    expect(first.text.match(/class="item"/g)).toHaveLength(20);
    const next = /href="([^"]+)" rel="next"/.exec(first.text)![1].replace(/&amp;/g, '&');
    const second = await agent.get(next);
    expect(second.text.match(/class="item"/g)).toHaveLength(1);
    expect(second.text).not.toContain('rel="next"');
    const byEmail = await agent.get(`/console/users?q=${encodeURIComponent(`SOMEONE@${marker}`)}`);
    expect(byEmail.text.match(/class="item"/g)).toHaveLength(1);
    expect(byEmail.text).toContain(`${marker}-0`);
    // % and _ are literal, not wildcards.
    expect((await agent.get('/console/users?q=%25')).text).toContain('No user found.');
  });

  it('refuses a post without the CSRF token, with another session\'s, or from another site; nothing changes', async () => {
    const { agent } = await signInAdmin();
    const { agent: other } = await signInAdmin();
    const user = await createUser(t);
    const session = await login(t, app, user, 'read');
    const { csrf } = await userPage(agent, user);
    const { csrf: othersCsrf } = await userPage(other, user);
    const target = `/console/users/${user.user.id}/sessions/revoke-all`;
    const refusals: [string, Promise<PageResult>][] = [
      ['no token', agent.post(target, { confirm: 'yes' })],
      ['another console session\'s token', agent.post(target, { confirm: 'yes', csrf_token: othersCsrf })],
      ['another site', agent.post(target, { confirm: 'yes', csrf_token: csrf }, { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' })],
      ['no Origin', agent.post(target, { confirm: 'yes', csrf_token: csrf }, { origin: undefined })],
    ];
    for (const [name, sent] of refusals) {
      const result = await sent;
      expect({ name, status: result.status }).toEqual({ name, status: 403 });
      expectPage(result, 403);
    }
    expect(await live(sidOf(session))).toBe(true);
    // Without a console session the post changes nothing and leads to the sign-in.
    const stranger = await new PageAgent(t).post(target, { confirm: 'yes', csrf_token: csrf });
    expect(stranger.status).toBe(303);
    expect(stranger.location!.pathname).toBe('/console');
    expect(await live(sidOf(session))).toBe(true);
  });

  it('changes nothing until the confirmation box is ticked', async () => {
    const { agent } = await signInAdmin();
    const user = await createUser(t);
    const session = await login(t, app, user, 'read');
    const { csrf } = await userPage(agent, user);
    for (const action of ['sessions/revoke-all', 'disable', 'password']) {
      const result = await agent.post(`/console/users/${user.user.id}/${action}`, { csrf_token: csrf, session: sidOf(session) });
      expect(result.status).toBe(303);
      expect(result.location!.pathname).toBe(`/console/users/${user.user.id}`);
    }
    const after = await userPage(agent, user);
    expect(after.page.text).toContain('Nothing was changed: tick the confirmation box');
    expect(await live(sidOf(session))).toBe(true);
    expect((await refresh(session)).status).toBe(200);
    expect((await rows<{ disabled_at: Date | null }>(t, 'SELECT disabled_at FROM users WHERE id = $1', [user.user.id]))[0].disabled_at).toBeNull();
  });

  it('revokes one session (its refresh token is dead at once), then all, disables and enables; each audited with the admin as actor', async () => {
    const { agent, admin } = await signInAdmin();
    const actor = `user:${admin.user.id}`;
    const user = await createUser(t);
    const phone = await login(t, app, user, 'read');
    const laptop = await login(t, app, user, 'read');
    const { page, csrf } = await userPage(agent, user);
    expect(page.text).toContain(`data-session="${sidOf(phone)}"`);

    const one = await agent.post(`/console/users/${user.user.id}/sessions/revoke`, { csrf_token: csrf, confirm: 'yes', session: sidOf(phone) });
    expect(one.status).toBe(303);
    expect((await refresh(phone)).body.error).toBe('invalid_grant');
    const rotated = await refresh(laptop);
    expect(rotated.status).toBe(200);
    const shown = await userPage(agent, user);
    expect(shown.page.text).toContain('The session was revoked.');
    expect(shown.page.text).toContain('revoked (admin)');
    expect(await rows(t, `SELECT 1 FROM audit_events WHERE type = 'session_revoked' AND family_id = $1 AND actor = $2`, [sidOf(phone), actor])).toHaveLength(1);

    // Another user's session, through this user's page: not found, and it lives on.
    const bystander = await login(t, app, await createUser(t), 'read');
    expectPage(await agent.post(`/console/users/${user.user.id}/sessions/revoke`, { csrf_token: csrf, confirm: 'yes', session: sidOf(bystander) }), 404);
    expect(await live(sidOf(bystander))).toBe(true);

    await agent.post(`/console/users/${user.user.id}/sessions/revoke-all`, { csrf_token: csrf, confirm: 'yes' });
    expect((await refresh(rotated.body as Record<string, string>)).body.error).toBe('invalid_grant');

    const again = await login(t, app, user, 'read');
    await agent.post(`/console/users/${user.user.id}/disable`, { csrf_token: csrf, confirm: 'yes' });
    expect((await refresh(again)).body.error).toBe('invalid_grant');
    expect((await token(t, app, { grant_type: 'password', username: user.username, password: user.password })).status).toBe(400);
    await agent.post(`/console/users/${user.user.id}/enable`, { csrf_token: csrf, confirm: 'yes' });
    expect((await token(t, app, { grant_type: 'password', username: user.username, password: user.password })).status).toBe(200);

    const types = await rows<{ type: string }>(t, `SELECT type FROM audit_events WHERE user_id = $1 AND actor = $2 ORDER BY id`, [user.user.id, actor]);
    expect(new Set(types.map((r) => r.type))).toEqual(new Set(['session_revoked', 'user_disabled', 'user_enabled']));
  });

  it('resets a password to a generated one shown once; the old one and every session stop', async () => {
    const { agent, admin } = await signInAdmin();
    const user = await createUser(t);
    const session = await login(t, app, user, 'read');
    const { csrf } = await userPage(agent, user);
    const result = await agent.post(`/console/users/${user.user.id}/password`, { csrf_token: csrf, confirm: 'yes' });
    expectPage(result, 200);
    const password = /id="generated-password">([^<]+)</.exec(result.text)![1];
    expect(password).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await refresh(session)).body.error).toBe('invalid_grant');
    expect((await token(t, app, { grant_type: 'password', username: user.username, password: user.password })).status).toBe(400);
    expect((await token(t, app, { grant_type: 'password', username: user.username, password })).status).toBe(200);
    expect(await rows(t, `SELECT 1 FROM audit_events WHERE type = 'user_updated' AND user_id = $1 AND actor = $2`, [user.user.id, `user:${admin.user.id}`])).toHaveLength(1);
    expect((await rows<{ n: string }>(t, `SELECT count(*) AS n FROM audit_events WHERE details::text LIKE $1`, [`%${password}%`]))[0].n).toBe('0');
  });

  it('shows a user\'s second factor and resets it, audited with the admin as actor', async () => {
    const { agent, admin } = await signInAdmin();
    const user = await createUser(t);
    const factors = t.app.get(SecondFactorService);
    const enrolment = (await factors.startEnrolment(user.user.id, user.username))!;
    await factors.confirmEnrolment(user.user.id, totpCode(enrolment.secret, t.clock.now()));
    expect(await factors.enrolled(user.user.id)).toBe(true);
    const { page, csrf } = await userPage(agent, user);
    expect(page.text).toContain('authenticator app (10 recovery codes left)');
    const unconfirmed = await agent.post(`/console/users/${user.user.id}/second-factor`, { csrf_token: csrf });
    expect(unconfirmed.status).toBe(303);
    expect(await factors.enrolled(user.user.id)).toBe(true);
    await agent.post(`/console/users/${user.user.id}/second-factor`, { csrf_token: csrf, confirm: 'yes' });
    expect(await factors.enrolled(user.user.id)).toBe(false);
    const after = await userPage(agent, user);
    expect(after.page.text).toContain('The second factor was removed');
    expect(after.page.text).not.toContain('Reset second factor');
    expect(await rows(t, `SELECT 1 FROM audit_events WHERE type = 'second_factor_removed' AND user_id = $1 AND actor = $2`, [user.user.id, `user:${admin.user.id}`])).toHaveLength(1);
  });

  it('signing out ends the console session, its family and the Tessera login session', async () => {
    const { agent, admin } = await signInAdmin();
    const { csrf, page } = await userPage(agent, admin);
    const family = /data-session="([^"]+)"/.exec(page.text)![1];
    const out = await agent.post('/console/sign-out', { csrf_token: csrf });
    expect(out.status).toBe(303);
    expect(agent.jar.has(CONSOLE_COOKIE)).toBe(false);
    expect(await live(family)).toBe(false);
    expect(await rows(t, 'SELECT 1 FROM console_sessions WHERE family_id = $1', [family])).toHaveLength(0);
    expect(agent.jar.has('__Host-tessera-session')).toBe(false);
    // Back at the console, the login page again: no silent sign-in.
    const again = await agent.get(path((await agent.get('/console')).location!));
    expectPage(again, 200, { scripts: true });
    expect(again.text).toContain('name="password"');
  });

  it('revoking the admin\'s own console session (elsewhere) ends the console at once', async () => {
    const { agent, admin } = await signInAdmin();
    const [family] = await rows<{ id: string }>(t, `SELECT id FROM families WHERE user_id = $1 AND client_id = 'tessera-console'`, [admin.user.id]);
    const bearer = await createAdmin(t);
    expect((await api(t, 'DELETE', `/admin/sessions/${family.id}`, { token: bearer.token })).status).toBe(204);
    const after = await agent.get('/console/users');
    expect(after.status).toBe(302);
    expect(after.location!.pathname).toBe('/oauth/authorize');
  });

  it('the janitor removes console sign-ins that never came back once expired (anyone may start one)', async () => {
    const agent = new PageAgent(t);
    await agent.get('/console');
    const count = async () => Number((await rows<{ n: string }>(t, 'SELECT count(*) AS n FROM console_sessions WHERE user_id IS NULL'))[0].n);
    expect(await count()).toBeGreaterThan(0);
    expect((await t.app.get(JanitorService).runOnce())?.console_sessions).toBe(0);
    t.clock.advance(11 * 60 + 60);
    expect((await t.app.get(JanitorService).runOnce())?.console_sessions).toBeGreaterThan(0);
    expect(await count()).toBe(0);
    t.clock.advance(-(11 * 60 + 60));
  });

  it('shows the audit log, reuse detections highlighted with their reason, filtered by type and user', async () => {
    const { agent, admin } = await signInAdmin();
    const user = await createUser(t);
    const first = await login(t, app, user, 'read');
    expect((await refresh(first)).status).toBe(200);
    t.clock.advance(60);
    expect((await refresh(first)).body.error).toBe('invalid_grant');
    const page = await agent.get(`/console/events?type=refresh_token_reuse_detected&user=${user.user.id}`);
    expectPage(page, 200);
    expect(page.text.match(/class="item alert"/g)).toHaveLength(1);
    expect(page.text).toContain('reuse detected');
    expect(page.text).toContain('<dd>a rotated refresh token was presented again after the grace window (<code>after_grace</code>)</dd>');
    expect(page.text).toContain(`href="/console/users/${user.user.id}"`);
    expect(page.text).toContain(`href="/console/users/${user.user.id}#session-${sidOf(first)}"><code>${sidOf(first)}</code></a>`);
    expect(page.text).toContain('<option value="refresh_token_reuse_detected" selected>');
    const all = await agent.get(`/console/events?user=${user.user.id}`);
    expect(all.text).toContain('<strong>login_succeeded</strong>');
    expect(all.text).toContain('<strong>refresh_token_reuse_detected</strong>');
    // The admin's own login is in the whole log, not in this user's.
    expect((await agent.get('/console/events')).text).toContain(`href="/console/users/${admin.user.id}"`);
    expect(all.text).not.toContain(`href="/console/users/${admin.user.id}"`);
    expectPage(await agent.get('/console/events?type=not_a_type'), 400);
    expectPage(await agent.get('/console/events?user=nobody'), 400);
    expectPage(await agent.get('/console/events?cursor=garbage'), 400);
    expectPage(await agent.get('/console/events?client=%3Cb%3E'), 400);
    expectPage(await agent.get('/console/events?from=2026-02-30T10:00'), 400);
    expectPage(await agent.get('/console/events?from=2026-03-01T10:00&to=2026-03-01T09:00'), 400);
    expect((await new PageAgent(t).get('/console/events')).status).toBe(302);
  });

  it('answers bad input with a page, never a 500', async () => {
    const { agent } = await signInAdmin();
    expectPage(await agent.get('/console/users/not-a-uuid'), 404);
    expectPage(await agent.get('/console/users/00000000-0000-4000-8000-000000000000'), 404);
    expectPage(await agent.get('/console/users?cursor=garbage'), 400);
    expectPage(await agent.get('/console/users?q=a&q=b'), 400);
    expectPage(await agent.get(`/console/users?q=${'x'.repeat(5000)}`), 200);
    const { csrf } = await userPage(agent, await createUser(t));
    expectPage(await agent.post('/console/users/not-a-uuid/disable', { csrf_token: csrf, confirm: 'yes' }), 404);
    expectPage(await agent.post('/console/users/not-a-uuid/disable', { csrf_token: csrf }), 404);
  });

  it('the console client: strict redirect URI from ISSUER, and the admin API cannot change or delete it', async () => {
    const bearer = await createAdmin(t);
    const read = await api(t, 'GET', '/admin/clients/tessera-console', { token: bearer.token });
    expect(read.body).toMatchObject({ redirect_uris: [`${ISSUER}/console/callback`], first_party: true, type: 'public', grant_types: ['authorization_code'] });
    const agent = new PageAgent(t);
    const started = await agent.get('/console');
    const elsewhere = new URL(started.location!);
    elsewhere.searchParams.set('redirect_uri', 'https://evil.example/console/callback');
    expectPage(await agent.get(path(elsewhere)), 400);
    const patched = await api(t, 'PATCH', '/admin/clients/tessera-console', { token: bearer.token, body: { redirect_uris: ['https://evil.example/cb'] } });
    expect(patched.status).toBe(400);
    expect((await api(t, 'DELETE', '/admin/clients/tessera-console', { token: bearer.token })).status).toBe(400);
    expect((await api(t, 'POST', '/admin/clients/tessera-console/secret', { token: bearer.token, body: {} })).status).toBe(400);
    expect((await api(t, 'GET', '/admin/clients/tessera-console', { token: bearer.token })).body).toMatchObject({ redirect_uris: [`${ISSUER}/console/callback`] });
  });
});
