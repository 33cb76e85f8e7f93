import { CsrfTokens } from '../../src/browser/csrf-tokens.js';
import { generateKeyPair, JwsSigner } from '../../src/oauth/keys/jws.js';
import { KeysService } from '../../src/oauth/keys/keys.service.js';
import { IdTokenSigner } from '../../src/oauth/oidc/id-token.js';
import { rows } from '../factories/admin.js';
import { authorizationParams, PageAgent, type PageResult, pkce } from '../factories/authorization.js';
import { createClient, createUser, type HttpResult, postForm, type TestClient, type TestUser, token } from '../factories/index.js';
import { jwtClaims } from '../factories/resource-server.js';
import { startTestApp, type TestApp } from '../setup/app.js';

const BYE = 'https://notes.example.com/bye';
const SESSION_COOKIE = '__Host-tessera-session';

interface Signed {
  readonly tokens: Record<string, string>;
  /** the family the code started */
  readonly familyId: string;
  /** the login session the ID token names */
  readonly sid: string;
}

/** OpenID Connect RP-Initiated Logout 1.0 at GET|POST /oauth/logout, with the hosted confirmation page. */
describe('RP-Initiated Logout', () => {
  let t: TestApp;
  let notes: TestClient;
  let calendar: TestClient;
  let user: TestUser;

  beforeAll(async () => {
    t = await startTestApp();
    const codeFlow = { type: 'public' as const, grantTypes: ['authorization_code', 'refresh_token'], scopes: ['read'], firstParty: true };
    notes = await createClient(t, { ...codeFlow, redirectUris: ['https://notes.example.com/cb'], postLogoutRedirectUris: [BYE, 'https://notes.example.com/bye?from=tessera'] });
    calendar = await createClient(t, { ...codeFlow, redirectUris: ['https://calendar.example.com/cb'], postLogoutRedirectUris: ['https://calendar.example.com/bye'] });
    user = await createUser(t);
  });
  afterAll(async () => {
    await t.close();
  });

  /** Signs in on Tessera's pages (or reuses the agent's session) and redeems the code. */
  async function signIn(agent: PageAgent, client: TestClient, as: TestUser = user): Promise<Signed> {
    const { verifier, challenge } = pkce();
    const params = authorizationParams(client, challenge, { scope: 'openid read' });
    let answer = await agent.authorize(params);
    if (answer.status === 200) answer = await agent.login(answer, as);
    expect(answer.status).toBeGreaterThanOrEqual(302);
    const code = answer.location!.searchParams.get('code')!;
    const result = await token(t, client, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: params.redirect_uri });
    expect(result.status).toBe(200);
    const tokens = result.body as Record<string, string>;
    return { tokens, familyId: jwtClaims(tokens.access_token).sid as string, sid: jwtClaims(tokens.id_token).sid as string };
  }

  const logout = (agent: PageAgent, params: Record<string, string>) => agent.visit(`/oauth/logout?${new URLSearchParams(params).toString()}`);
  const refresh = (client: TestClient, signed: Signed): Promise<HttpResult> => token(t, client, { grant_type: 'refresh_token', refresh_token: signed.tokens.refresh_token });
  const revokedReason = async (familyId: string) => (await rows<{ revoked_reason: string | null }>(t, `SELECT revoked_reason FROM families WHERE id = $1`, [familyId]))[0].revoked_reason;
  const sessionEnd = async (sid: string) => (await rows(t, `SELECT ended_reason FROM login_sessions WHERE id = $1`, [sid]))[0];

  function expectPage(result: PageResult, status: number): void {
    expect(result.status).toBe(status);
    expect(result.location).toBeUndefined();
    expect(result.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(result.headers.get('cache-control')).toBe('no-store');
    expect(result.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(result.headers.get('content-security-policy')).not.toMatch(/script-src|unsafe-inline/);
  }

  function expectSessionCleared(result: PageResult, agent: PageAgent): void {
    const cleared = result.setCookies.find((cookie) => cookie.name === SESSION_COOKIE);
    expect(cleared?.attributes.get('max-age')).toBe('0');
    expect(agent.jar.has(SESSION_COOKIE)).toBe(false);
  }

  it('with an id_token_hint of the current session: ends the session and every family it started, then redirects with state', async () => {
    const agent = new PageAgent(t);
    const first = await signIn(agent, notes);
    const second = await signIn(agent, calendar);
    expect(second.sid).toBe(first.sid);
    const elsewhere = await signIn(new PageAgent(t), notes);

    const result = await logout(agent, { id_token_hint: first.tokens.id_token, post_logout_redirect_uri: BYE, state: 'st/ate 1' });
    expect(result.status).toBe(302);
    expect(result.location!.href).toBe(`${BYE}?state=st%2Fate+1`);
    expect(result.headers.get('cache-control')).toBe('no-store');
    expectSessionCleared(result, agent);

    for (const [client, signed] of [[notes, first], [calendar, second]] as const) {
      expect(await revokedReason(signed.familyId)).toBe('logout');
      const refused = await refresh(client, signed);
      expect(refused.status).toBe(400);
      expect(refused.body.error).toBe('invalid_grant');
    }
    expect(await sessionEnd(first.sid)).toEqual({ ended_reason: 'logout' });
    // Another browser's session of the same user is not this logout's.
    expect(await revokedReason(elsewhere.familyId)).toBeNull();
    expect((await refresh(notes, elsewhere)).status).toBe(200);

    const events = await rows(t, `SELECT type, actor, client_id, family_id, reason, details FROM audit_events WHERE type IN ('logged_out', 'session_revoked') AND user_id = $1 ORDER BY id`, [user.user.id]);
    expect(events).toEqual(
      expect.arrayContaining([
        { type: 'session_revoked', actor: `user:${user.user.id}`, client_id: notes.id, family_id: first.familyId, reason: 'logout', details: {} },
        { type: 'session_revoked', actor: `user:${user.user.id}`, client_id: calendar.id, family_id: second.familyId, reason: 'logout', details: {} },
        { type: 'logged_out', actor: `user:${user.user.id}`, client_id: notes.id, family_id: null, reason: null, details: { login_session_id: first.sid, sessions_revoked: 2 } },
      ]),
    );

    // The browser is signed out: the next authorization asks for the password again.
    const again = await agent.authorize(authorizationParams(notes, pkce().challenge));
    expect(again.status).toBe(200);
    expect(again.text).toContain('name="password"');
  });

  it('accepts an expired ID token as the hint (§4), keeps a query the client registered, and shows the signed-out page without a URI', async () => {
    const agent = new PageAgent(t);
    const signed = await signIn(agent, notes);
    t.clock.advance(t.config.accessTokenTtl + 60);
    const result = await logout(agent, { id_token_hint: signed.tokens.id_token, post_logout_redirect_uri: 'https://notes.example.com/bye?from=tessera', state: 'x' });
    expect(result.location!.href).toBe('https://notes.example.com/bye?from=tessera&state=x');
    expect(await revokedReason(signed.familyId)).toBe('logout');

    const other = new PageAgent(t);
    const mine = await signIn(other, calendar);
    const page = await logout(other, { id_token_hint: mine.tokens.id_token });
    expectPage(page, 200);
    expect(page.text).toContain('You are signed out of Tessera.');
    expectSessionCleared(page, other);
    expect(await revokedReason(mine.familyId)).toBe('logout');
  });

  it('without a hint: asks on a hosted page, changes nothing until the user confirms, then redirects with state', async () => {
    const agent = new PageAgent(t);
    const signed = await signIn(agent, notes);
    const page = await logout(agent, { client_id: notes.id, post_logout_redirect_uri: BYE, state: 'abc', logout_hint: 'someone', ui_locales: 'fr' });
    expectPage(page, 200);
    expect(page.text).toContain('<button type="submit" name="logout" value="yes">');
    expect(page.text).toContain('<form method="post" action="/interaction/logout">');
    expect(page.text).toContain(user.username);
    // The form's answer redirects to the client, so CSP form-action names its origin.
    expect(page.headers.get('content-security-policy')).toContain("form-action 'self' https://notes.example.com");
    expect(await revokedReason(signed.familyId)).toBeNull();
    expect((await refresh(notes, signed)).status).toBe(200);

    const confirmed = await agent.submit(page, { logout: 'yes' });
    expect(confirmed.status).toBe(303);
    expect(confirmed.location!.href).toBe(`${BYE}?state=abc`);
    expectSessionCleared(confirmed, agent);
    expect(await revokedReason(signed.familyId)).toBe('logout');
    expect(await sessionEnd(signed.sid)).toEqual({ ended_reason: 'logout' });
  });

  it('asks too when the hint names another session than this browser\'s', async () => {
    const mine = new PageAgent(t);
    const signed = await signIn(mine, notes);
    const stranger = await signIn(new PageAgent(t), notes);
    const page = await logout(mine, { id_token_hint: stranger.tokens.id_token, post_logout_redirect_uri: BYE });
    expectPage(page, 200);
    expect(page.text).toContain('name="logout" value="yes"');
    expect(await revokedReason(signed.familyId)).toBeNull();
    expect(await revokedReason(stranger.familyId)).toBeNull();
  });

  it('refuses a confirmation without the page\'s CSRF token, from another origin, or with another session\'s token', async () => {
    const agent = new PageAgent(t);
    const signed = await signIn(agent, notes);
    const page = await logout(agent, { client_id: notes.id, post_logout_redirect_uri: BYE });
    const other = new PageAgent(t);
    await signIn(other, notes);
    const othersPage = await logout(other, { client_id: notes.id });
    const othersToken = /name="csrf_token" value="([^"]+)"/.exec(othersPage.text)![1];
    // A consent form's token is bound to the same session, but for consent only.
    const consentToken = t.app.get(CsrfTokens).issue({ kind: 'login-session', sessionId: signed.sid });

    for (const [fields, headers] of [
      [{ csrf_token: '' }, {}],
      [{ csrf_token: othersToken }, {}],
      [{ csrf_token: consentToken }, {}],
      [{}, { origin: 'https://evil.example' }],
      [{}, { 'sec-fetch-site': 'cross-site' }],
    ] as Array<[Record<string, string>, Record<string, string>]>) {
      const refused = await agent.submit(page, { logout: 'yes', ...fields }, headers);
      expectPage(refused, 403);
    }
    const declined = await agent.submit(page, { logout: 'no' });
    expectPage(declined, 400);
    expect(await revokedReason(signed.familyId)).toBeNull();
    expect(await sessionEnd(signed.sid)).toEqual({ ended_reason: null });
    expect((await refresh(notes, signed)).status).toBe(200);
  });

  it('refuses, on a page and never by a redirect, a hint it did not issue: another key, another issuer, an access token, or garbage', async () => {
    const agent = new PageAgent(t);
    const signed = await signIn(agent, notes);
    const claims = jwtClaims(signed.tokens.id_token);
    const active = t.app.get(KeysService).accessTokenSigner();
    const foreign = generateKeyPair('ES256');
    const forgeries = {
      'a foreign key under the server\'s kid': new JwsSigner(active.kid, 'ES256', foreign.privateKey, 'JWT').sign(claims),
      'another issuer': t.app.get(IdTokenSigner).sign({ ...claims, iss: 'https://evil.example' }),
      'an access token': signed.tokens.access_token,
      'a tampered payload': [signed.tokens.id_token.split('.')[0], Buffer.from(JSON.stringify({ ...claims, sub: 'someone' })).toString('base64url'), signed.tokens.id_token.split('.')[2]].join('.'),
      garbage: 'not.a.token',
    };
    const refused: Record<string, boolean> = {};
    for (const [name, hint] of Object.entries(forgeries)) {
      const result = await logout(agent, { id_token_hint: hint, post_logout_redirect_uri: BYE, state: 's' });
      expectPage(result, 400);
      refused[name] = result.text.includes('id_token_hint is not an ID token issued by this server');
    }
    expect(refused).toEqual(Object.fromEntries(Object.keys(forgeries).map((name) => [name, true])));
    expect(await revokedReason(signed.familyId)).toBeNull();
    expect(agent.jar.has(SESSION_COOKIE)).toBe(true);
  });

  it('never follows a post_logout_redirect_uri that is not registered for the client the request names', async () => {
    const agent = new PageAgent(t);
    const signed = await signIn(agent, notes);
    const hint = signed.tokens.id_token;
    const requests: Array<Record<string, string>> = [
      { id_token_hint: hint, post_logout_redirect_uri: 'https://evil.example/bye' },
      { id_token_hint: hint, post_logout_redirect_uri: 'https://calendar.example.com/bye' },
      { id_token_hint: hint, post_logout_redirect_uri: `${BYE}/` },
      { client_id: notes.id, post_logout_redirect_uri: 'https://evil.example/bye' },
      { post_logout_redirect_uri: BYE },
      { id_token_hint: hint, client_id: calendar.id, post_logout_redirect_uri: 'https://calendar.example.com/bye' },
      { client_id: 'no-such-client', post_logout_redirect_uri: BYE },
    ];
    for (const params of requests) {
      const result = await logout(agent, { ...params, state: 'evil.example' });
      expectPage(result, 400);
      expect(result.text).not.toContain('evil.example');
    }
    expect(await revokedReason(signed.familyId)).toBeNull();
  });

  it('answers a repeated parameter, in the query or in a posted form, with an error page', async () => {
    const agent = new PageAgent(t);
    const signed = await signIn(agent, notes);
    const query = `${new URLSearchParams({ id_token_hint: signed.tokens.id_token, post_logout_redirect_uri: BYE }).toString()}&post_logout_redirect_uri=https%3A%2F%2Fevil.example%2F`;
    const result = await agent.visit(`/oauth/logout?${query}`);
    expectPage(result, 400);
    expect(result.text).toContain('repeated');
    const posted = await postForm(t, '/oauth/logout', `${query}`);
    expect(posted.status).toBe(400);
    expect(posted.headers.get('location')).toBeNull();
    expect(posted.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(posted.text).toContain('repeated');
    expect(await revokedReason(signed.familyId)).toBeNull();
  });

  it('in a browser without a session: nothing to end, straight back to the client', async () => {
    const signed = await signIn(new PageAgent(t), notes);
    const result = await logout(new PageAgent(t), { id_token_hint: signed.tokens.id_token, post_logout_redirect_uri: BYE, state: 'q' });
    expect(result.status).toBe(302);
    expect(result.location!.href).toBe(`${BYE}?state=q`);
    expect(await revokedReason(signed.familyId)).toBeNull();
  });

  it('by POST: a cross-site form post, which carries no SameSite=Lax cookie, goes on as a GET; a same-site one logs out at once', async () => {
    const agent = new PageAgent(t);
    const signed = await signIn(agent, notes);
    const params = { id_token_hint: signed.tokens.id_token, post_logout_redirect_uri: BYE, state: 'p', ui_locales: 'de' };
    const crossSite = await fetch(`${t.url}/oauth/logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://notes.example.com', 'sec-fetch-site': 'cross-site' },
      body: new URLSearchParams(params).toString(),
      redirect: 'manual',
    });
    expect(crossSite.status).toBe(303);
    const location = new URL(crossSite.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(`${t.config.issuer}/oauth/logout`);
    expect(Object.fromEntries(location.searchParams)).toEqual({ id_token_hint: params.id_token_hint, post_logout_redirect_uri: BYE, state: 'p' });
    expect(await revokedReason(signed.familyId)).toBeNull();

    const sameSite = await agent.post('/oauth/logout', params);
    expect(sameSite.status).toBe(303);
    expect(sameSite.location!.href).toBe(`${BYE}?state=p`);
    expect(await revokedReason(signed.familyId)).toBe('logout');
  });

  it('two logouts of one session at once end each family once and record one logout', async () => {
    const agent = new PageAgent(t);
    const first = await signIn(agent, notes);
    const second = await signIn(agent, calendar);
    const results = await Promise.all(Array.from({ length: 4 }, () => logout(agent, { id_token_hint: first.tokens.id_token, post_logout_redirect_uri: BYE })));
    expect(results.map((result) => result.status)).toEqual([302, 302, 302, 302]);
    const events = await rows<{ type: string; family_id: string | null }>(
      t,
      `SELECT type, family_id FROM audit_events WHERE (type = 'session_revoked' AND family_id = ANY($1)) OR (type = 'logged_out' AND details->>'login_session_id' = $2)`,
      [[first.familyId, second.familyId], first.sid],
    );
    expect(events.filter((event) => event.type === 'logged_out')).toHaveLength(1);
    expect(events.filter((event) => event.type === 'session_revoked').map((event) => event.family_id).sort()).toEqual([first.familyId, second.familyId].sort());
  });

  it('a code issued in the session before the logout starts no family after it', async () => {
    const agent = new PageAgent(t);
    const signed = await signIn(agent, notes);
    const { verifier, challenge } = pkce();
    const params = authorizationParams(calendar, challenge, { scope: 'openid' });
    const code = (await agent.authorize(params)).location!.searchParams.get('code')!;
    await logout(agent, { id_token_hint: signed.tokens.id_token });
    const late = await token(t, calendar, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: params.redirect_uri });
    expect(late.status).toBe(400);
    expect(late.body.error).toBe('invalid_grant');
    expect(await rows(t, `SELECT count(*)::int AS n FROM families WHERE login_session_id = $1 AND revoked_at IS NULL`, [signed.sid])).toEqual([{ n: 0 }]);
  });
});
