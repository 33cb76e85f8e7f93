import { rows } from '../factories/admin.js';
import { authorizationParams, formOf, PageAgent, type PageResult, pkce } from '../factories/authorization.js';
import { createClient, createUser, login, type TestClient, type TestUser, token } from '../factories/index.js';
import { startTestApp, type TestApp } from '../setup/app.js';
import { eventually } from '../setup/faults.js';
import { LogoutReceiver, verifyLogoutToken } from '../setup/logout-receiver.js';

const ISSUER = 'http://tessera.test';
const SESSION_COOKIE = '__Host-tessera-session';

/** The account page over HTTP, as a browser drives it: its login, each form, and every refusal. */
describe('the account page', () => {
  let t: TestApp;
  let portal: TestClient;
  let shop: TestClient;
  let legacy: TestClient;

  beforeAll(async () => {
    t = await startTestApp({ ISSUER });
    const grantTypes = ['authorization_code', 'refresh_token'];
    portal = await createClient(t, { grantTypes, redirectUris: ['https://portal.example.com/cb'], scopes: ['read'], firstParty: true });
    shop = await createClient(t, { type: 'public', grantTypes, redirectUris: ['https://shop.example.com/cb'], scopes: ['read', 'write'] });
    legacy = await createClient(t, { grantTypes: ['password', 'refresh_token'], scopes: ['read'] });
  });
  afterAll(async () => {
    await t.close();
  });

  function expectPage(result: PageResult, status: number) {
    expect(result.status).toBe(status);
    expect(result.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(result.headers.get('cache-control')).toBe('no-store');
    expect(result.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    // Scripts (the passkey scripts) from Tessera itself only, never inline.
    expect(result.headers.get('content-security-policy')).not.toMatch(/unsafe-|script-src (?!'self';)/);
  }

  /** Signs in on /login as a browser coming from the unauthenticated /account. */
  async function signIn(user: TestUser, agent = new PageAgent(t)): Promise<PageAgent> {
    const bounced = await agent.get('/account');
    expect(bounced.status).toBe(303);
    expect(`${bounced.location!.pathname}${bounced.location!.search}`).toBe('/login?return_to=%2Faccount');
    const page = await agent.get(`${bounced.location!.pathname}${bounced.location!.search}`);
    expectPage(page, 200);
    const done = await agent.submit(page, { username: user.username, password: user.password });
    expect(done.status).toBe(303);
    expect(done.location!.pathname).toBe('/account');
    expect(agent.jar.has(SESSION_COOKIE)).toBe(true);
    return agent;
  }

  /** The authorization code flow in the agent's login session: a family linked to it. */
  async function authorizeIn(agent: PageAgent, client: TestClient, user: TestUser): Promise<Record<string, string>> {
    const { verifier, challenge } = pkce();
    let result = await agent.authorize(authorizationParams(client, challenge, { scope: 'read' }));
    if (result.status === 200 && result.text.includes('name="password"')) result = await agent.login(result, user);
    if (result.status === 200) result = await agent.submit(result, { decision: 'allow' });
    const code = result.location!.searchParams.get('code')!;
    const redirect = `${result.location!.origin}${result.location!.pathname}`;
    const exchanged = await token(t, client, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: redirect });
    expect(exchanged.status).toBe(200);
    return exchanged.body as Record<string, string>;
  }

  async function account(agent: PageAgent): Promise<{ page: PageResult; csrf: string }> {
    const page = await agent.get('/account');
    expectPage(page, 200);
    return { page, csrf: /name="csrf_token" value="([^"]+)"/.exec(page.text)![1] };
  }

  const refresh = (client: TestClient, tokens: Record<string, string>) => token(t, client, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
  const sidOf = (tokens: Record<string, string>) => jwtSid(tokens.access_token);
  const live = async (familyId: string) => (await rows<{ revoked_at: Date | null }>(t, 'SELECT revoked_at FROM families WHERE id = $1', [familyId]))[0].revoked_at === null;
  const end = (agent: PageAgent, csrf: string, id: string, headers: Record<string, string | undefined> = {}) =>
    agent.post('/account/sessions', { csrf_token: csrf, end_session: id }, headers);

  it('sends a browser without a login session to the login page, and refuses to return anywhere but here', async () => {
    const agent = new PageAgent(t);
    for (const path of ['/login?return_to=https%3A%2F%2Fevil.example%2F', '/login?return_to=%2F%2Fevil.example', '/login']) {
      const page = await agent.get(path);
      expectPage(page, 200);
      expect(formOf(page.text)).toMatchObject({ action: '/login', fields: { return_to: '/account' } });
    }
    const user = await createUser(t);
    const page = await agent.get('/login?return_to=%2Faccount%3Ftab%3D1');
    const wrong = await agent.submit(page, { username: user.username, password: 'not the password' });
    expectPage(wrong, 400);
    expect(wrong.text).toContain('Wrong username or password.');
    expect(agent.jar.has(SESSION_COOKIE)).toBe(false);
    const done = await agent.submit(page, { username: user.username, password: user.password });
    expect(`${done.location!.pathname}${done.location!.search}`).toBe('/account?tab=1');
    // Signed in, the login page goes straight back.
    expect((await agent.get('/login?return_to=%2Faccount')).location!.pathname).toBe('/account');
  });

  it('the login form: its CSRF token and origin are required, and a changed return_to still cannot leave', async () => {
    const user = await createUser(t);
    const agent = new PageAgent(t);
    const page = await agent.get('/login');
    const credentials = { username: user.username, password: user.password };
    const { fields } = formOf(page.text);
    const refusals: [string, Promise<PageResult>][] = [
      ['no token', agent.post('/login', { ...credentials, return_to: '/account' })],
      ['a token not equal to its cookie', agent.post('/login', { ...fields, ...credentials, csrf_token: `${'A'.repeat(22)}.${'B'.repeat(43)}` })],
      ['another site', agent.submit(page, credentials, { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' })],
    ];
    for (const [name, sent] of refusals) expect({ name, status: (await sent).status }).toEqual({ name, status: 403 });
    expect(agent.jar.has(SESSION_COOKIE)).toBe(false);
    const done = await agent.submit(page, { ...credentials, return_to: 'https://evil.example/account' });
    expect(done.location!.href).toBe(`${ISSUER}/account`);
  });

  it('answers bad input with a page of its own, never a 500', async () => {
    const agent = await signIn(await createUser(t));
    const { csrf } = await account(agent);
    const origin = { origin: ISSUER, 'sec-fetch-site': 'same-origin' };
    const consent = await agent.post('/account/consents', { csrf_token: csrf, revoke_consent: '<script>' });
    expectPage(consent, 404);
    expect(consent.text).not.toContain('<script>');
    const sent: { status: number }[] = [
      await agent.get('/login?return_to=%ZZ'),
      await agent.get('/login?return_to=a&return_to=b'),
      await agent.post('/account/sessions', { csrf_token: csrf, end_session: 'x'.repeat(5000) }),
      await agent.post('/account/password', { csrf_token: csrf, current_password: 'p'.repeat(2000), new_password: 'q'.repeat(2000), confirm_password: 'q'.repeat(2000) }),
      await fetch(`${t.url}/account/password`, { method: 'POST', headers: { ...origin, 'content-type': 'application/json', cookie: [...agent.jar].map(([n, v]) => `${n}=${v}`).join('; ') }, body: '{}' }),
      await fetch(`${t.url}/account/sessions`, { method: 'POST', headers: { ...origin, 'content-type': 'application/x-www-form-urlencoded' }, body: 'end_session=a&end_session=b' }),
    ];
    for (const result of sent) {
      expect(result.status).toBeGreaterThanOrEqual(300);
      expect(result.status).toBeLessThan(500);
    }
  });

  it('the login throttle covers the account login and the password change\'s re-authentication', async () => {
    const user = await createUser(t);
    const agent = await signIn(user);
    const { csrf } = await account(agent);
    const guesses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const guessed = await agent.post('/account/password', { csrf_token: csrf, current_password: `guess ${i}`, new_password: 'new password 1', confirm_password: 'new password 1' });
      guesses.push(guessed.status);
    }
    expect(guesses.slice(0, 5)).toEqual([303, 303, 303, 303, 303]);
    expect(guesses[5]).toBe(429);
    const stranger = new PageAgent(t);
    const page = await stranger.get('/login');
    const throttled = await stranger.submit(page, { username: user.username, password: user.password });
    expectPage(throttled, 429);
    expect(throttled.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(formOf(throttled.text).action).toBe('/login');
  });

  it('lists the sessions, marks this browser\'s, and ends one: its refresh token is refused', async () => {
    const user = await createUser(t);
    const agent = await signIn(user);
    const mine = await authorizeIn(agent, portal, user);
    const phone = await login(t, legacy, user, 'read');
    const { page, csrf } = await account(agent);
    expect(page.text).toContain(user.username);
    for (const tokens of [mine, phone]) expect(page.text).toContain(`name="end_session" value="${sidOf(tokens)}"`);
    const badge = page.text.indexOf('this browser');
    expect(page.text.lastIndexOf(portal.id, badge)).toBeGreaterThan(page.text.lastIndexOf(legacy.id, badge));

    const ended = await end(agent, csrf, sidOf(phone));
    expect(ended.status).toBe(303);
    expect(ended.location!.pathname).toBe('/account');
    expect(await live(sidOf(phone))).toBe(false);
    expect((await refresh(legacy, phone)).body.error).toBe('invalid_grant');
    expect((await refresh(portal, mine)).status).toBe(200);
    const after = await account(agent);
    expect(after.page.text).toContain('The session was ended.');
    expect(after.page.text).not.toContain(sidOf(phone));
    // The message is shown once (post/redirect/get).
    expect((await account(agent)).page.text).not.toContain('The session was ended.');
    const audit = await rows(t, `SELECT actor, reason FROM audit_events WHERE type = 'session_revoked' AND family_id = $1`, [sidOf(phone)]);
    expect(audit).toEqual([{ actor: `user:${user.user.id}`, reason: 'logout' }]);
  });

  it('ending a session of a client with a back-channel logout URI tells that client', async () => {
    const receiver = new LogoutReceiver();
    try {
      const news = await createClient(t, { grantTypes: ['password', 'refresh_token'], scopes: ['read'], backchannelLogoutUri: await receiver.listen() });
      const user = await createUser(t);
      const agent = await signIn(user);
      const tablet = await login(t, news, user, 'read');
      const { csrf } = await account(agent);
      expect((await end(agent, csrf, sidOf(tablet))).status).toBe(303);

      const [told] = await eventually('a logout token at the client', async () => (receiver.received.length > 0 ? [...receiver.received] : undefined));
      const claims = await verifyLogoutToken(t.url, told.logoutToken, t.config.issuer, news.id, new Date(t.clock.now()));
      expect(claims).toMatchObject({ sub: user.user.id, sid: sidOf(tablet) });
      expect((await refresh(news, tablet)).body.error).toBe('invalid_grant');
    } finally {
      await receiver.close();
    }
  });

  it('refuses a post without the page\'s CSRF token or from another origin, and changes nothing', async () => {
    const user = await createUser(t);
    const agent = await signIn(user);
    const other = await signIn(await createUser(t));
    const phone = await login(t, legacy, user, 'read');
    const { csrf } = await account(agent);
    const { csrf: othersToken } = await account(other);
    const refusals: [string, Promise<PageResult>][] = [
      ['no token', agent.post('/account/sessions', { end_session: sidOf(phone) })],
      ['a forged token', end(agent, `${'A'.repeat(22)}.${'B'.repeat(43)}`, sidOf(phone))],
      ['another session\'s token', end(agent, othersToken, sidOf(phone))],
      ['another origin', end(agent, csrf, sidOf(phone), { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' })],
      ['a cross-site fetch', end(agent, csrf, sidOf(phone), { 'sec-fetch-site': 'cross-site' })],
      ['no Origin', end(agent, csrf, sidOf(phone), { origin: undefined })],
    ];
    for (const [name, sent] of refusals) expect({ name, status: (await sent).status }).toEqual({ name, status: 403 });
    for (const path of ['/account/sessions/others', '/account/password', '/account/consents', '/account/sign-out']) {
      expect({ path, status: (await agent.post(path, {})).status }).toEqual({ path, status: 403 });
    }
    expect(await live(sidOf(phone))).toBe(true);
    expect((await account(agent)).page.text).toContain(sidOf(phone));
  });

  it('answers another user\'s session id, or none, as not found, and ends nothing', async () => {
    const user = await createUser(t);
    const agent = await signIn(user);
    const someoneElses = await login(t, legacy, await createUser(t), 'read');
    const { csrf } = await account(agent);
    for (const id of [sidOf(someoneElses), '00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      const refused = await end(agent, csrf, id);
      expectPage(refused, 404);
    }
    expectPage(await agent.post('/account/sessions', { csrf_token: csrf }), 404);
    expect(await live(sidOf(someoneElses))).toBe(true);
  });

  it('a post without a login session goes to the login page and changes nothing', async () => {
    const user = await createUser(t);
    const phone = await login(t, legacy, user, 'read');
    const stranger = new PageAgent(t);
    const bounced = await stranger.post('/account/sessions', { end_session: sidOf(phone) });
    expect(bounced.status).toBe(303);
    expect(bounced.location!.pathname).toBe('/login');
    expect(await live(sidOf(phone))).toBe(true);
  });

  it('logs out everywhere else: every other family and login session ends, this browser\'s stay', async () => {
    const user = await createUser(t);
    const agent = await signIn(user);
    const laptop = await signIn(user);
    const mine = await authorizeIn(agent, portal, user);
    const theirs = await authorizeIn(laptop, portal, user);
    const phone = await login(t, legacy, user, 'read');
    const { csrf } = await account(agent);
    const done = await agent.post('/account/sessions/others', { csrf_token: csrf });
    expect(done.location!.pathname).toBe('/account');
    expect(await live(sidOf(mine))).toBe(true);
    expect(await live(sidOf(theirs))).toBe(false);
    expect(await live(sidOf(phone))).toBe(false);
    expect((await refresh(portal, theirs)).body.error).toBe('invalid_grant');
    expect((await laptop.get('/account')).status).toBe(303);
    expect((await account(agent)).page.text).toContain('Every other session was ended.');
  });

  it('revokes a remembered consent: the client asks again', async () => {
    const user = await createUser(t);
    const agent = await signIn(user);
    await authorizeIn(agent, shop, user);
    const { page, csrf } = await account(agent);
    expect(page.text).toContain(`name="revoke_consent" value="${shop.id}"`);
    expectPage(await agent.post('/account/consents', { csrf_token: csrf, revoke_consent: portal.id }), 404);
    const done = await agent.post('/account/consents', { csrf_token: csrf, revoke_consent: shop.id });
    expect(done.status).toBe(303);
    expect(await rows(t, 'SELECT 1 FROM consents WHERE user_id = $1', [user.user.id])).toEqual([]);
    const asked = await agent.authorize(authorizationParams(shop, pkce().challenge, { scope: 'read' }));
    expect(asked.text).toContain('value="allow"');
  });

  it('changes the password after the current one is proven; every other session ends and a credential change is recorded', async () => {
    const user = await createUser(t);
    const agent = await signIn(user);
    const mine = await authorizeIn(agent, portal, user);
    const phone = await login(t, legacy, user, 'read');
    const laptop = await signIn(user);
    const { csrf } = await account(agent);
    const change = (fields: Record<string, string>) => agent.post('/account/password', { csrf_token: csrf, ...fields });
    const next = 'a brand new passphrase';
    const failures: [Record<string, string>, string][] = [
      [{ current_password: 'wrong password', new_password: next, confirm_password: next }, 'The current password is wrong.'],
      [{ current_password: user.password, new_password: next, confirm_password: `${next}!` }, 'confirmation differ'],
      [{ current_password: user.password, new_password: 'short', confirm_password: 'short' }, 'at least 8 characters'],
    ];
    for (const [fields, message] of failures) {
      expect((await change(fields)).location!.pathname).toBe('/account');
      expect((await account(agent)).page.text).toContain(message);
    }
    expect(await live(sidOf(phone))).toBe(true);
    const oldCookie = agent.jar.get(SESSION_COOKIE);

    expect((await change({ current_password: user.password, new_password: next, confirm_password: next })).status).toBe(303);
    expect(agent.jar.get(SESSION_COOKIE)).not.toBe(oldCookie);
    expect((await account(agent)).page.text).toContain('Your password was changed.');
    expect(await live(sidOf(mine))).toBe(true);
    expect(await live(sidOf(phone))).toBe(false);
    expect((await laptop.get('/account')).status).toBe(303);
    expect((await token(t, legacy, { grant_type: 'password', username: user.username, password: user.password })).status).toBe(400);
    expect((await token(t, legacy, { grant_type: 'password', username: user.username, password: next })).status).toBe(200);
    const events = await rows(t, `SELECT type, actor, details FROM audit_events WHERE user_id = $1 AND type IN ('credential_changed', 'session_revoked') ORDER BY id`, [user.user.id]);
    expect(events).toEqual(expect.arrayContaining([
      { type: 'credential_changed', actor: `user:${user.user.id}`, details: { credential_type: 'password', change_type: 'update' } },
      expect.objectContaining({ type: 'session_revoked' }),
    ]));
  });

  it('signs out: this login session and its families end, the cookie is cleared', async () => {
    const user = await createUser(t);
    const agent = await signIn(user);
    const mine = await authorizeIn(agent, portal, user);
    const phone = await login(t, legacy, user, 'read');
    const { csrf } = await account(agent);
    const done = await agent.post('/account/sign-out', { csrf_token: csrf });
    expect(done.location!.pathname).toBe('/login');
    expect(agent.jar.has(SESSION_COOKIE)).toBe(false);
    expect(await live(sidOf(mine))).toBe(false);
    expect(await live(sidOf(phone))).toBe(true);
    expect((await rows(t, 'SELECT ended_reason FROM login_sessions WHERE user_id = $1', [user.user.id]))).toEqual([{ ended_reason: 'logout' }]);
    // The same logout as the end_session_endpoint's: recorded once, for this login session.
    expect(await rows(t, `SELECT details FROM audit_events WHERE type = 'logged_out' AND user_id = $1`, [user.user.id])).toEqual([
      { details: { login_session_id: expect.any(String) as string, sessions_revoked: 1 } },
    ]);
    expect((await agent.get(`${done.location!.pathname}${done.location!.search}`)).text).toContain('You are signed out.');
  });
});

function jwtSid(jwt: string): string {
  return (JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString()) as { sid: string }).sid;
}
