import { rows } from '../factories/admin.js';
import { api, createAdmin } from '../factories/admin.js';
import { authorizationParams, PageAgent, type PageResult, pkce } from '../factories/authorization.js';
import { createClient, createUser, type TestClient, type TestUser, token } from '../factories/index.js';
import { jwtClaims } from '../factories/resource-server.js';
import { BrowserAgent } from '../factories/browser.js';
import { startTestApp, type TestApp } from '../setup/app.js';
import { JanitorService } from '../../src/janitor/janitor.service.js';
import { totpCode } from '../../src/second-factor/totp.js';

const ISSUER = 'http://tessera.test';
const SESSION_COOKIE = '__Host-tessera-session';
const SECOND_FACTOR_COOKIE = '__Host-tessera-second-factor';
const SPA_ORIGIN = 'https://spa.example.com';

interface Enrolled {
  readonly secret: string;
  readonly recoveryCodes: string[];
}

/** TOTP over HTTP as a browser drives it: enrolment on the account page, the login's second step, and the policy. */
describe('the TOTP second factor', () => {
  let t: TestApp;
  let portal: TestClient;
  let strict: TestClient;
  let legacy: TestClient;
  let spa: TestClient;

  beforeAll(async () => {
    t = await startTestApp({ ISSUER });
    const grantTypes = ['authorization_code', 'refresh_token'];
    portal = await createClient(t, { grantTypes, redirectUris: ['https://portal.example.com/cb'], scopes: ['read'], firstParty: true });
    strict = await createClient(t, { grantTypes, redirectUris: ['https://bank.example.com/cb'], scopes: ['read'], firstParty: true, requireMfa: true });
    legacy = await createClient(t, { grantTypes: ['password', 'refresh_token'], scopes: ['read'] });
    spa = await createClient(t, { type: 'public', grantTypes: ['password', 'refresh_token'], scopes: ['read'], origins: [SPA_ORIGIN] });
  });
  afterAll(async () => {
    await t.close();
  });

  const csrfOf = (page: PageResult) => /name="csrf_token" value="([^"]+)"/.exec(page.text)![1];
  /** The next 30-second step: the code just used is not accepted twice. */
  const nextStep = () => t.clock.advance(30);

  async function signIn(user: TestUser, agent = new PageAgent(t)): Promise<PageAgent> {
    const page = await agent.get('/login?return_to=%2Faccount');
    const done = await agent.submit(page, { username: user.username, password: user.password });
    expect(done.location!.pathname).toBe('/account');
    return agent;
  }

  async function enrol(user: TestUser): Promise<Enrolled> {
    const agent = await signIn(user);
    const account = await agent.get('/account');
    const shown = await agent.post('/account/totp', { csrf_token: csrfOf(account) });
    expect(shown.status).toBe(200);
    const secret = /id="totp-secret">([A-Z2-7]+)</.exec(shown.text)![1];
    const confirmed = await agent.submit(shown, { code: totpCode(secret, t.clock.now()) });
    expect(confirmed.status).toBe(200);
    const recoveryCodes = [...confirmed.text.matchAll(/<li><code>([a-z2-9-]+)<\/code><\/li>/g)].map((m) => m[1]);
    nextStep();
    return { secret, recoveryCodes };
  }

  /** The code flow up to the page after the password. */
  async function passwordStep(client: TestClient, user: TestUser, agent = new PageAgent(t)) {
    const { verifier, challenge } = pkce();
    const login = await agent.authorize(authorizationParams(client, challenge, { scope: 'openid read', nonce: 'n-1' }));
    expect(login.text).toContain('name="password"');
    return { agent, verifier, page: await agent.login(login, user) };
  }

  async function redeem(client: TestClient, result: PageResult, verifier: string): Promise<Record<string, string>> {
    expect(result.status).toBe(303);
    const code = result.location!.searchParams.get('code')!;
    const redirect = `${result.location!.origin}${result.location!.pathname}`;
    const exchanged = await token(t, client, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: redirect });
    expect(exchanged.status).toBe(200);
    return exchanged.body as Record<string, string>;
  }

  it('enrols on the account page: a QR code and the otpauth URI, a wrong first code refused, then ten recovery codes', async () => {
    const user = await createUser(t);
    const agent = await signIn(user);
    let account = await agent.get('/account');
    expect(account.text).toContain('Set up an authenticator app');
    const shown = await agent.post('/account/totp', { csrf_token: csrfOf(account) });
    expect(shown.status).toBe(200);
    expect(shown.headers.get('content-security-policy')).not.toMatch(/script-src|unsafe-inline/);
    expect(shown.text).toMatch(/<svg[^>]*>/);
    expect(shown.text).not.toContain('<script');
    const secret = /id="totp-secret">([A-Z2-7]{32})</.exec(shown.text)![1];
    const uri = new URL(/id="totp-uri" class="agent">([^<]+)</.exec(shown.text)![1].replace(/&amp;/g, '&'));
    expect(`${uri.protocol}//${uri.host}`).toBe('otpauth://totp');
    expect(uri.searchParams.get('secret')).toBe(secret);
    expect(decodeURIComponent(uri.pathname)).toBe(`/tessera.test:${user.username}`);
    expect(shown.text).toContain('<input id="code" name="code"');

    const wrong = await agent.submit(shown, { code: totpCode(secret, t.clock.now() + 5 * 60_000) });
    expect(wrong.status).toBe(400);
    expect(wrong.text).toContain('That code is not right');
    expect(wrong.text).toContain(secret);
    const confirmed = await agent.submit(shown, { code: totpCode(secret, t.clock.now()) });
    expect(confirmed.status).toBe(200);
    const codes = [...confirmed.text.matchAll(/<li><code>([a-z2-9]{5}-[a-z2-9]{5})<\/code><\/li>/g)].map((m) => m[1]);
    expect(new Set(codes).size).toBe(10);

    // At rest: the secret sealed, the recovery codes only as keyed hashes.
    const [factor] = await rows<{ secret_sealed: Buffer; confirmed_at: Date | null }>(t, 'SELECT secret_sealed, confirmed_at FROM totp_factors WHERE user_id = $1', [user.user.id]);
    expect(factor.confirmed_at).toBeInstanceOf(Date);
    expect(factor.secret_sealed.toString('latin1')).not.toContain(secret);
    const stored = await rows<{ code_hash: Buffer }>(t, 'SELECT code_hash FROM recovery_codes WHERE user_id = $1', [user.user.id]);
    expect(stored).toHaveLength(10);
    for (const row of stored) expect(row.code_hash).toHaveLength(32);
    expect(JSON.stringify(stored)).not.toContain(codes[0]);
    const audit = await rows(t, `SELECT actor FROM audit_events WHERE type = 'second_factor_enrolled' AND user_id = $1`, [user.user.id]);
    expect(audit).toEqual([{ actor: `user:${user.user.id}` }]);

    account = await agent.get('/account');
    expect(account.text).toContain('10 recovery code(s) left');
    // A second enrolment does not replace the confirmed factor.
    const again = await agent.post('/account/totp', { csrf_token: csrfOf(account) });
    expect(again.status).toBe(303);
    expect((await agent.get('/account')).text).toContain('already on');
  });

  it('asks for the code after the password, logs nothing in before it, and puts pwd otp mfa in the ID token', async () => {
    const user = await createUser(t);
    const { secret } = await enrol(user);
    const { agent, verifier, page } = await passwordStep(portal, user);
    expect(page.status).toBe(200);
    expect(page.text).toContain('<input id="code" name="code"');
    expect(agent.jar.has(SESSION_COOKIE)).toBe(false);
    expect(agent.jar.has(SECOND_FACTOR_COOKIE)).toBe(true);
    // The pending state opens nothing: /authorize still wants a login.
    const { challenge } = pkce();
    expect((await agent.authorize(authorizationParams(portal, challenge, { prompt: 'none' }))).location!.searchParams.get('error')).toBe('login_required');

    const wrong = await agent.submit(page, { code: '000000' === totpCode(secret, t.clock.now()) ? '111111' : '000000' });
    expect(wrong.status).toBe(400);
    expect(wrong.text).toContain('That code is not right');
    const done = await agent.submit(page, { code: totpCode(secret, t.clock.now()) });
    expect(agent.jar.has(SESSION_COOKIE)).toBe(true);
    expect(agent.jar.has(SECOND_FACTOR_COOKIE)).toBe(false);
    const tokens = await redeem(portal, done, verifier);
    expect(jwtClaims(tokens.id_token).amr).toEqual(['pwd', 'otp', 'mfa']);
    const [session] = await rows<{ amr: string[] }>(
      t,
      'SELECT s.amr FROM login_sessions s JOIN families f ON f.login_session_id = s.id WHERE f.id = $1',
      [jwtClaims(tokens.access_token).sid],
    );
    expect(session.amr).toEqual(['pwd', 'otp', 'mfa']);

    // On refresh the ID token repeats the methods (OIDC Core §12.2).
    const refreshed = await token(t, portal, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
    expect(jwtClaims((refreshed.body as Record<string, string>).id_token).amr).toEqual(['pwd', 'otp', 'mfa']);
  });

  it('refuses a code used once already, even in another login (replay, RFC 6238 §5.2)', async () => {
    const user = await createUser(t);
    const { secret } = await enrol(user);
    const code = totpCode(secret, t.clock.now());
    const first = await passwordStep(portal, user);
    expect((await first.agent.submit(first.page, { code })).status).toBe(303);
    const second = await passwordStep(portal, user);
    const replayed = await second.agent.submit(second.page, { code });
    expect(replayed.status).toBe(400);
    expect(second.agent.jar.has(SESSION_COOKIE)).toBe(false);
    // An earlier step's code is not accepted after a later one either.
    nextStep();
    expect((await second.agent.submit(second.page, { code: totpCode(secret, t.clock.now() - 60_000) })).status).toBe(400);
    expect((await second.agent.submit(second.page, { code: totpCode(secret, t.clock.now()) })).status).toBe(303);
  });

  it('accepts one TOTP code once when two logins post it at the same moment', async () => {
    const user = await createUser(t);
    const { secret } = await enrol(user);
    const logins = await Promise.all([passwordStep(portal, user), passwordStep(portal, user)]);
    const code = totpCode(secret, t.clock.now());
    const results = await Promise.all(logins.map(({ agent, page }) => agent.submit(page, { code })));
    expect(results.map((r) => r.status).sort()).toEqual([303, 400]);
  });

  it('throttles the second step: after five codes the sixth, right or wrong, is 429', async () => {
    const user = await createUser(t);
    const { secret } = await enrol(user);
    const { agent, page } = await passwordStep(portal, user);
    for (let i = 0; i < 5; i++) expect((await agent.submit(page, { code: '12345a' })).status).toBe(400);
    const throttled = await agent.submit(page, { code: totpCode(secret, t.clock.now()) });
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(throttled.text).toContain('Too many codes were tried');
    expect(agent.jar.has(SESSION_COOKIE)).toBe(false);
    const failures = await rows(t, `SELECT 1 FROM audit_events WHERE type = 'second_factor_failed' AND user_id = $1`, [user.user.id]);
    expect(failures).toHaveLength(5);
    t.clock.advance(15 * 60);
    const fresh = await passwordStep(portal, user, agent);
    expect((await agent.submit(fresh.page, { code: totpCode(secret, t.clock.now()) })).status).toBe(303);
  });

  it('sends the browser back to the password when the second step waited too long', async () => {
    const user = await createUser(t);
    const { secret } = await enrol(user);
    const { agent, page } = await passwordStep(portal, user);
    t.clock.advance(6 * 60);
    const late = await agent.submit(page, { code: totpCode(secret, t.clock.now()) });
    expect(late.status).toBe(400);
    expect(late.text).toContain('name="password"');
    expect(late.text).toContain('took too long');
  });

  it('lets the janitor delete second-step challenges once they expire, used or not', async () => {
    const user = await createUser(t);
    const { secret } = await enrol(user);
    const used = await passwordStep(portal, user);
    expect((await used.agent.submit(used.page, { code: totpCode(secret, t.clock.now()) })).status).toBe(303);
    await passwordStep(portal, user);
    const challenges = async () => rows(t, 'SELECT used_at FROM second_factor_challenges WHERE user_id = $1', [user.user.id]);
    expect((await challenges()).length).toBeGreaterThanOrEqual(2);
    // The janitor allows for clock skew past an expiry: an hour is past both.
    t.clock.advance(3600);
    const counts = await t.app.get(JanitorService).runOnce({ wait: true });
    expect(counts!.second_factor_challenges).toBeGreaterThanOrEqual(2);
    expect(await challenges()).toEqual([]);
  });

  it('accepts a recovery code once, also when two logins post it at the same moment', async () => {
    const user = await createUser(t);
    const { recoveryCodes } = await enrol(user);
    const logins = await Promise.all([passwordStep(portal, user), passwordStep(portal, user), passwordStep(portal, user)]);
    const results = await Promise.all(logins.map(({ agent, page }) => agent.submit(page, { code: recoveryCodes[0].toUpperCase() })));
    expect(results.map((r) => r.status).sort()).toEqual([303, 400, 400]);
    const used = await rows(t, 'SELECT 1 FROM recovery_codes WHERE user_id = $1 AND used_at IS NOT NULL', [user.user.id]);
    expect(used).toHaveLength(1);
    const again = await passwordStep(portal, user);
    expect((await again.agent.submit(again.page, { code: recoveryCodes[0] })).status).toBe(400);
    expect((await again.agent.submit(again.page, { code: recoveryCodes[1] })).status).toBe(303);
  });

  it('signs in to the account page with the code too', async () => {
    const user = await createUser(t);
    const { secret } = await enrol(user);
    const agent = new PageAgent(t);
    const page = await agent.get('/login?return_to=%2Faccount');
    const step = await agent.submit(page, { username: user.username, password: user.password });
    expect(step.status).toBe(200);
    expect(step.text).toContain('action="/login/second-factor"');
    expect(agent.jar.has(SESSION_COOKIE)).toBe(false);
    expect((await agent.submit(step, { code: '999999' === totpCode(secret, t.clock.now()) ? '888888' : '999999' })).status).toBe(400);
    const done = await agent.submit(step, { code: totpCode(secret, t.clock.now()) });
    expect(done.status).toBe(303);
    expect(done.location!.pathname).toBe('/account');
    expect((await agent.get('/account')).text).toContain('Turn off two-step verification');
  });

  it('a --require-mfa client: interaction_required without a second factor, a step-up with one', async () => {
    const plain = await createUser(t);
    const { verifier: unused, page } = await passwordStep(strict, plain);
    expect(unused).toBeDefined();
    expect(page.status).toBe(303);
    expect(page.location!.origin).toBe('https://bank.example.com');
    expect(page.location!.searchParams.get('error')).toBe('interaction_required');

    // Signed in with a password only (enrolled after this login): asked for the code, then let through.
    const user = await createUser(t);
    const agent = await signIn(user);
    const { secret } = await enrol(user);
    const { verifier, challenge } = pkce();
    // acr_values (OIDC Core §3.1.2.1) is voluntary: accepted and left to amr, which says what happened.
    const params = authorizationParams(strict, challenge, { scope: 'openid read', acr_values: 'mfa' });
    const none = await agent.authorize({ ...params, prompt: 'none' });
    expect(none.location!.searchParams.get('error')).toBe('interaction_required');
    const step = await agent.authorize(params);
    expect(step.status).toBe(200);
    expect(step.text).toContain('<input id="code" name="code"');
    const done = await agent.submit(step, { code: totpCode(secret, t.clock.now()) });
    const tokens = await redeem(strict, done, verifier);
    expect(jwtClaims(tokens.id_token).amr).toEqual(['pwd', 'otp', 'mfa']);
  });

  it('refuses the password grant and cookie-mode login for users with a second factor, pointing at the code flow', async () => {
    const user = await createUser(t);
    await enrol(user);
    const refused = await token(t, legacy, { grant_type: 'password', username: user.username, password: user.password, scope: 'read' });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: 'invalid_grant' });
    expect(refused.body.error_description).toContain('authorization code flow');
    const plain = await createUser(t);
    expect((await token(t, legacy, { grant_type: 'password', username: plain.username, password: plain.password, scope: 'read' })).status).toBe(200);

    const browser = new BrowserAgent(t, SPA_ORIGIN);
    await browser.fetchCsrf();
    const cookieMode = await browser.request('POST', '/auth/login', { form: { username: user.username, password: user.password, client_id: spa.id } });
    expect(cookieMode.status).toBe(400);
    expect(cookieMode.body).toMatchObject({ error: 'invalid_grant' });
    expect(String(cookieMode.body.error_description)).toContain('authorization code flow');
    expect(cookieMode.setCookies.map((c) => c.name)).not.toContain('__Secure-tessera-refresh');
    await expect(new BrowserAgent(t, SPA_ORIGIN).login(spa, plain)).resolves.toMatchObject({ status: 200 });
    const refusals = await rows(t, `SELECT 1 FROM audit_events WHERE type = 'login_failed' AND user_id = $1 AND details->>'reason' = 'second_factor_required'`, [user.user.id]);
    expect(refusals).toHaveLength(2);
  });

  it('turns TOTP off on the account page only with the current password', async () => {
    const user = await createUser(t);
    const { secret } = await enrol(user);
    const agent = new PageAgent(t);
    const login = await agent.get('/login?return_to=%2Faccount');
    const step = await agent.submit(login, { username: user.username, password: user.password });
    expect((await agent.submit(step, { code: totpCode(secret, t.clock.now()) })).status).toBe(303);
    let account = await agent.get('/account');
    await agent.post('/account/totp/remove', { csrf_token: csrfOf(account), current_password: 'wrong' });
    account = await agent.get('/account');
    expect(account.text).toContain('The current password is wrong.');
    expect(await rows(t, 'SELECT 1 FROM totp_factors WHERE user_id = $1', [user.user.id])).toHaveLength(1);
    await agent.post('/account/totp/remove', { csrf_token: csrfOf(account), current_password: user.password });
    expect((await agent.get('/account')).text).toContain('Two-step verification is off.');
    expect(await rows(t, 'SELECT 1 FROM recovery_codes WHERE user_id = $1', [user.user.id])).toHaveLength(0);
    expect((await token(t, legacy, { grant_type: 'password', username: user.username, password: user.password, scope: 'read' })).status).toBe(200);
  });

  it('lets an admin reset a user\'s second factor, audited', async () => {
    const admin = await createAdmin(t);
    const user = await createUser(t);
    await enrol(user);
    const reset = await api(t, 'DELETE', `/admin/users/${user.user.id}/second-factor`, { token: admin.token });
    expect(reset.status).toBe(204);
    const audit = await rows<{ actor: string }>(t, `SELECT actor FROM audit_events WHERE type = 'second_factor_removed' AND user_id = $1`, [user.user.id]);
    expect(audit).toEqual([{ actor: `user:${admin.user.id}` }]);
    expect((await api(t, 'DELETE', `/admin/users/${user.user.id}/second-factor`, { token: admin.token })).status).toBe(404);
    const { page } = await passwordStep(portal, user);
    expect(page.status).toBe(303);
  });
});
