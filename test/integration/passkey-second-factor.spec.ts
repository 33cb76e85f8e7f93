import { rows } from '../factories/admin.js';
import { authorizationParams, hiddenFieldsOf, PageAgent, type PageResult, pkce } from '../factories/authorization.js';
import { createClient, createUser, type TestClient, type TestUser, token } from '../factories/index.js';
import { SoftAuthenticator } from '../factories/passkey.js';
import { jwtClaims } from '../factories/resource-server.js';
import { startTestApp, type TestApp } from '../setup/app.js';

const ISSUER = 'http://tessera.test';
const RP = { origin: ISSUER, rpId: 'tessera.test' };
const SESSION_COOKIE = '__Host-tessera-session';
const SECOND_FACTOR_COOKIE = '__Host-tessera-second-factor';
const REFUSED = 'That passkey could not confirm this sign-in.';

/**
 * A passkey as the second factor after the password, over HTTP on real Postgres with a
 * software authenticator: offered only the user's own credentials, bound to the pending
 * login, spent once, throttled like codes, and never a login with someone else's key.
 */
describe('a passkey as the second factor', () => {
  let t: TestApp;
  let portal: TestClient;
  let legacy: TestClient;

  beforeAll(async () => {
    t = await startTestApp({ ISSUER });
    portal = await createClient(t, { grantTypes: ['authorization_code'], redirectUris: ['https://portal.example.com/cb'], scopes: ['read'], firstParty: true });
    legacy = await createClient(t, { grantTypes: ['password'], scopes: ['read'] });
  });
  afterAll(async () => {
    await t.close();
  });

  async function userWithKey(): Promise<{ user: TestUser; key: SoftAuthenticator }> {
    const user = await createUser(t);
    const key = new SoftAuthenticator();
    await key.register(t, user.user.id);
    return { user, key };
  }

  /** The code flow up to the second step, with the step's hidden fields. */
  async function passwordStep(user: TestUser, agent = new PageAgent(t)) {
    const { verifier, challenge } = pkce();
    const login = await agent.authorize(authorizationParams(portal, challenge, { scope: 'openid read', nonce: 'n-1' }));
    const page = await agent.login(login, user);
    expect(page.status).toBe(200);
    return { agent, verifier, page, fields: hiddenFieldsOf(page.text) };
  }

  async function optionsFor(agent: PageAgent, fields: Record<string, string>): Promise<{ challenge: string; allowCredentials: { id: string }[]; userVerification: string }> {
    const answer = await agent.post('/interaction/second-factor/passkey-options', { csrf_token: fields.csrf_token });
    expect(answer.status).toBe(200);
    return JSON.parse(answer.text) as { challenge: string; allowCredentials: { id: string }[]; userVerification: string };
  }

  const answer = (agent: PageAgent, fields: Record<string, string>, credential: string) => agent.post('/interaction/second-factor', { ...fields, credential });

  function expectRefused(result: PageResult, agent: PageAgent): void {
    expect(result.status).toBe(400);
    expect(result.text).toContain(REFUSED);
    expect(result.text).toContain('Use your passkey');
    expect(agent.jar.has(SESSION_COOKIE)).toBe(false);
  }

  it('asks for the passkey after the password, offers only the user\'s credentials, and puts pwd hwk mfa in the ID token', async () => {
    const { user, key } = await userWithKey();
    const other = new SoftAuthenticator();
    await other.register(t, (await createUser(t)).user.id);
    const { agent, verifier, page, fields } = await passwordStep(user);
    expect(page.text).toContain('Use your passkey');
    expect(page.text).not.toContain('name="code"');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(agent.jar.has(SESSION_COOKIE)).toBe(false);
    expect(agent.jar.has(SECOND_FACTOR_COOKIE)).toBe(true);

    const options = await optionsFor(agent, fields);
    expect(options.allowCredentials.map((c) => c.id)).toEqual([key.credentialId]);
    expect(options.userVerification).toBe('preferred');
    // User verification is not needed after the password: user presence alone (flags 0x01) will do.
    const done = await answer(agent, fields, key.assertion(options.challenge, { ...RP, signCount: 3, flags: 0x01 }));
    expect(done.status).toBe(303);
    expect(agent.jar.has(SESSION_COOKIE)).toBe(true);
    expect(agent.jar.has(SECOND_FACTOR_COOKIE)).toBe(false);
    const code = done.location!.searchParams.get('code')!;
    const exchanged = await token(t, portal, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: 'https://portal.example.com/cb' });
    expect(exchanged.status).toBe(200);
    expect(jwtClaims((exchanged.body as Record<string, string>).id_token).amr).toEqual(['pwd', 'hwk', 'mfa']);
    const [stored] = await rows<{ sign_count: string }>(t, 'SELECT sign_count FROM webauthn_credentials WHERE credential_id = $1', [key.credentialId]);
    expect(stored.sign_count).toBe('3');
  });

  it('refuses another user\'s credential, and a malformed one, with the step again; then throttles', async () => {
    const { user, key } = await userWithKey();
    const stranger = await userWithKey();
    const { agent, fields } = await passwordStep(user);
    expectRefused(await answer(agent, fields, stranger.key.assertion((await optionsFor(agent, fields)).challenge, { ...RP, signCount: 1 })), agent);
    expectRefused(await answer(agent, fields, '{not json'), agent);
    expectRefused(await answer(agent, fields, key.assertion((await optionsFor(agent, fields)).challenge, { ...RP, origin: 'https://evil.example', signCount: 1 })), agent);
    const failures = await rows(t, `SELECT 1 FROM audit_events WHERE type = 'second_factor_failed' AND user_id = $1`, [user.user.id]);
    expect(failures).toHaveLength(3);
    // Then the login throttle of this account and IP, as for a passwordless passkey: a 429 comes, and a right answer waits too.
    let status = 400;
    for (let i = 0; i < 30 && status === 400; i++) status = (await answer(agent, fields, '{}')).status;
    expect(status).toBe(429);
    const throttled = await answer(agent, fields, key.assertion((await optionsFor(agent, fields)).challenge, { ...RP, signCount: 1 }));
    expect(throttled.status).toBe(429);
    expect(throttled.text).toContain('Too many');
    expect(throttled.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(agent.jar.has(SESSION_COOKIE)).toBe(false);
  });

  it('spends a challenge once: a replay fails, and a challenge of another pending login does not verify this one', async () => {
    const { user, key } = await userWithKey();
    const first = await passwordStep(user);
    const { challenge } = await optionsFor(first.agent, first.fields);
    expect((await answer(first.agent, first.fields, key.assertion(challenge, { ...RP, signCount: 1 }))).status).toBe(303);

    const second = await passwordStep(user);
    expectRefused(await answer(second.agent, second.fields, key.assertion(challenge, { ...RP, signCount: 2 })), second.agent);
    const third = await passwordStep(user);
    const theirs = await optionsFor(third.agent, third.fields);
    expectRefused(await answer(second.agent, second.fields, key.assertion(theirs.challenge, { ...RP, signCount: 3 })), second.agent);
    // Of two racing answers to one challenge, one logs in.
    const raced = await optionsFor(second.agent, second.fields);
    const results = await Promise.all([4, 5].map((n) => answer(second.agent, second.fields, key.assertion(raced.challenge, { ...RP, signCount: n }))));
    expect(results.map((r) => r.status).sort()).toEqual([303, 400]);
  });

  it('answers options only for a pending login of this browser', async () => {
    const { user } = await userWithKey();
    const { fields } = await passwordStep(user);
    const stranger = new PageAgent(t);
    const login = await stranger.authorize(authorizationParams(portal, pkce().challenge, { scope: 'read' }));
    const csrf = hiddenFieldsOf(login.text).csrf_token;
    const none = await stranger.post('/interaction/second-factor/passkey-options', { csrf_token: csrf });
    expect(none.status).toBe(400);
    expect(none.text).toContain('<code>invalid_request</code>');
    expect((await stranger.post('/interaction/second-factor/passkey-options', { csrf_token: fields.csrf_token })).status).toBe(403);
  });

  it('refuses the password grant for a user whose second factor is a passkey', async () => {
    const { user } = await userWithKey();
    const refused = await token(t, legacy, { grant_type: 'password', username: user.username, password: user.password, scope: 'read' });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: 'invalid_grant' });
    expect(refused.body.error_description).toContain('authorization code flow');
  });

  it('is the second step of the account page\'s login too', async () => {
    const { user, key } = await userWithKey();
    const agent = new PageAgent(t);
    const login = await agent.get('/login?return_to=%2Faccount');
    const step = await agent.submit(login, { username: user.username, password: user.password });
    expect(step.status).toBe(200);
    expect(step.text).toContain('Use your passkey');
    const fields = hiddenFieldsOf(step.text);
    const options = await agent.post('/login/second-factor/passkey-options', { csrf_token: fields.csrf_token });
    const { challenge } = JSON.parse(options.text) as { challenge: string };
    const done = await agent.post('/login/second-factor', { ...fields, credential: key.assertion(challenge, { ...RP, signCount: 1 }) });
    expect(done.status).toBe(303);
    expect(done.location!.pathname).toBe('/account');
    const [session] = await rows<{ amr: string[] }>(t, 'SELECT amr FROM login_sessions WHERE user_id = $1', [user.user.id]);
    expect(session.amr).toEqual(['pwd', 'hwk', 'mfa']);
  });
});
