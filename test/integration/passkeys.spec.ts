import { randomUUID } from 'node:crypto';
import { JanitorService } from '../../src/janitor/janitor.service.js';
import { UsersService } from '../../src/users/users.service.js';
import { rows } from '../factories/admin.js';
import { authorizationParams, formOf, hiddenFieldsOf, PageAgent, type PageResult, pkce } from '../factories/authorization.js';
import { createClient, createUser, type TestClient, type TestUser } from '../factories/index.js';
import { SoftAuthenticator } from '../factories/passkey.js';
import { startTestApp, type TestApp } from '../setup/app.js';

const ISSUER = 'http://tessera.test';
const RP = { origin: ISSUER, rpId: 'tessera.test' };
const SESSION_COOKIE = '__Host-tessera-session';
const REFUSED = 'This passkey could not sign you in. Try again, or sign in with your password.';

/**
 * The passkey endpoints over HTTP on real Postgres, with a software authenticator: every
 * kind of bad input is the login page again with one message (never a 500, never a
 * session), and a challenge is spent exactly once, by this browser only.
 */
describe('passkey sign-in and registration endpoints', () => {
  let t: TestApp;
  let portal: TestClient;

  beforeAll(async () => {
    t = await startTestApp({ ISSUER });
    portal = await createClient(t, { grantTypes: ['authorization_code'], redirectUris: ['https://portal.example.com/cb'], scopes: ['read'], firstParty: true });
  });
  afterAll(async () => {
    await t.close();
  });

  /** A browser on the portal's login page. */
  async function loginPage(agent = new PageAgent(t)): Promise<{ agent: PageAgent; page: PageResult; fields: Record<string, string> }> {
    const page = await agent.authorize(authorizationParams(portal, pkce().challenge, { scope: 'read' }));
    expect(page.status).toBe(200);
    expect(page.text).toContain('Sign in with a passkey');
    return { agent, page, fields: formOf(page.text).fields };
  }

  async function challengeFor(agent: PageAgent, csrf: string): Promise<string> {
    const answer = await agent.post('/interaction/passkey/options', { csrf_token: csrf });
    expect(answer.status).toBe(200);
    return (JSON.parse(answer.text) as { challenge: string }).challenge;
  }

  const signIn = (agent: PageAgent, fields: Record<string, string>, credential: string) => agent.post('/interaction/passkey', { ...fields, credential });
  const lastRefusal = async () =>
    (await rows<{ details: { reason?: string } }>(t, `SELECT details FROM audit_events WHERE type = 'login_failed' ORDER BY id DESC LIMIT 1`))[0].details.reason;

  function expectRefused(result: PageResult, agent: PageAgent): void {
    expect(result.status).toBe(400);
    expect(result.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(result.text).toContain(REFUSED);
    expect(agent.jar.has(SESSION_COOKIE)).toBe(false);
  }

  async function userWithKey(signCount = 0): Promise<{ user: TestUser; key: SoftAuthenticator }> {
    const user = await createUser(t);
    const key = new SoftAuthenticator();
    await key.register(t, user.user.id, signCount);
    return { user, key };
  }

  it('answers options with a new challenge for this RP ID, requiring user verification, and only to Tessera\'s own page', async () => {
    const { agent, fields } = await loginPage();
    const answer = await agent.post('/interaction/passkey/options', { csrf_token: fields.csrf_token });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    const options = JSON.parse(answer.text) as Record<string, unknown>;
    expect(options).toMatchObject({ rpId: 'tessera.test', userVerification: 'required', challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    expect(options.allowCredentials ?? []).toEqual([]);
    expect((await agent.post('/interaction/passkey/options', { csrf_token: 'forged' })).status).toBe(403);
    expect((await agent.post('/interaction/passkey/options', { csrf_token: fields.csrf_token }, { origin: 'https://evil.example' })).status).toBe(403);
    expect((await new PageAgent(t).post('/interaction/passkey/options', { csrf_token: fields.csrf_token })).status).toBe(403);
  });

  it('signs in with a valid assertion: a login session, a code for the client, the counter and last use recorded', async () => {
    const { user, key } = await userWithKey();
    const { agent, fields } = await loginPage();
    const challenge = await challengeFor(agent, fields.csrf_token);
    const done = await signIn(agent, fields, key.assertion(challenge, { ...RP, signCount: 7, userHandle: user.user.id }));
    expect(done.status).toBe(303);
    expect(done.location!.origin).toBe('https://portal.example.com');
    expect(done.location!.searchParams.get('code')).toBeTruthy();
    expect(agent.jar.has(SESSION_COOKIE)).toBe(true);
    const [stored] = await rows<{ sign_count: string; last_used_at: Date | null }>(t, 'SELECT sign_count, last_used_at FROM webauthn_credentials WHERE credential_id = $1', [key.credentialId]);
    expect(stored.sign_count).toBe('7');
    expect(stored.last_used_at).not.toBeNull();
  });

  it('refuses malformed credentials with the login page, never a 500', async () => {
    const { key } = await userWithKey();
    const { agent, fields } = await loginPage();
    const challenge = await challengeFor(agent, fields.csrf_token);
    const valid = JSON.parse(key.assertion(challenge, { ...RP, signCount: 1 })) as Record<string, Record<string, string>>;
    const bad = [
      '{not json',
      '[]',
      'null',
      JSON.stringify({ ...valid, type: 'password' }),
      JSON.stringify({ ...valid, response: { ...valid.response, clientDataJSON: 'not base64url!' } }),
      JSON.stringify({ ...valid, response: { ...valid.response, clientDataJSON: Buffer.from('{"challenge": 42}').toString('base64url') } }),
      JSON.stringify({ ...valid, response: { ...valid.response, signature: undefined } }),
      `"${'a'.repeat(40_000)}"`,
    ];
    for (const credential of bad) {
      expectRefused(await signIn(agent, fields, credential), agent);
      expect(await lastRefusal()).toBe('malformed');
    }
    expectRefused(await agent.post('/interaction/passkey', fields), agent);
    // Not a form at all: the error page, not a server error.
    const json = await agent.post('/interaction/passkey', fields, { 'content-type': 'application/json' });
    expect(json.status).toBe(400);
    expect(json.text).toContain('<code>invalid_request</code>');
    // The malformed posts did not spend the challenge: the real answer to it still works.
    expect((await signIn(agent, fields, JSON.stringify(valid))).status).toBe(303);
  });

  it('spends a challenge exactly once: a replay fails, and of two racing posts one wins', async () => {
    const { key } = await userWithKey();
    const { agent, fields } = await loginPage();
    const challenge = await challengeFor(agent, fields.csrf_token);
    expect((await signIn(agent, fields, key.assertion(challenge, { ...RP, signCount: 1 }))).status).toBe(303);
    agent.jar.delete(SESSION_COOKIE);
    expectRefused(await signIn(agent, fields, key.assertion(challenge, { ...RP, signCount: 2 })), agent);
    expect(await lastRefusal()).toBe('challenge');

    const raced = await challengeFor(agent, fields.csrf_token);
    const results = await Promise.all([3, 4, 5, 6].map((n) => signIn(agent, fields, key.assertion(raced, { ...RP, signCount: n }))));
    expect(results.map((result) => result.status).sort()).toEqual([303, 400, 400, 400]);
  });

  it('refuses a challenge issued to another browser, and an expired one', async () => {
    const { key } = await userWithKey();
    const mine = await loginPage();
    const theirs = await loginPage();
    const theirChallenge = await challengeFor(theirs.agent, theirs.fields.csrf_token);
    expectRefused(await signIn(mine.agent, mine.fields, key.assertion(theirChallenge, { ...RP, signCount: 1 })), mine.agent);
    expect(await lastRefusal()).toBe('challenge');
    // Not spent by the other browser's attempt: its own browser can still use it.
    expect((await signIn(theirs.agent, theirs.fields, key.assertion(theirChallenge, { ...RP, signCount: 1 }))).status).toBe(303);

    const late = await challengeFor(mine.agent, mine.fields.csrf_token);
    t.clock.advance(601);
    expectRefused(await signIn(mine.agent, mine.fields, key.assertion(late, { ...RP, signCount: 2 })), mine.agent);
    expect(await lastRefusal()).toBe('challenge');
  });

  it('refuses an unknown credential, another RP ID, a wrong origin, no user verification, a foreign user handle and a disabled user', async () => {
    const { user, key } = await userWithKey();
    const stranger = new SoftAuthenticator();
    const cases: Array<[string, (challenge: string) => string]> = [
      ['unknown_credential', (c) => stranger.assertion(c, { ...RP, signCount: 1 })],
      ['verification', (c) => key.assertion(c, { ...RP, rpId: 'evil.example', signCount: 1 })],
      ['verification', (c) => key.assertion(c, { ...RP, origin: 'https://tessera.test.evil.example', signCount: 1 })],
      ['verification', (c) => key.assertion(c, { ...RP, signCount: 1, flags: 0x01 })],
      ['user_handle', (c) => key.assertion(c, { ...RP, signCount: 1, userHandle: randomUUID() })],
    ];
    const { agent, fields } = await loginPage();
    for (const [reason, assertion] of cases) {
      expectRefused(await signIn(agent, fields, assertion(await challengeFor(agent, fields.csrf_token))), agent);
      expect(await lastRefusal()).toBe(reason);
    }
    await t.app.get(UsersService).disable(user.user.id, 'test');
    expectRefused(await signIn(agent, fields, key.assertion(await challengeFor(agent, fields.csrf_token), { ...RP, signCount: 1 })), agent);
    expect(await lastRefusal()).toBe('user_disabled');
  });

  it('refuses a signature counter that did not grow, and keeps the stored one', async () => {
    const { key } = await userWithKey(10);
    const { agent, fields } = await loginPage();
    for (const count of [10, 3, 0]) {
      expectRefused(await signIn(agent, fields, key.assertion(await challengeFor(agent, fields.csrf_token), { ...RP, signCount: count })), agent);
      expect(await lastRefusal()).toBe('sign_count');
    }
    const [stored] = await rows<{ sign_count: string }>(t, 'SELECT sign_count FROM webauthn_credentials WHERE credential_id = $1', [key.credentialId]);
    expect(stored.sign_count).toBe('10');
    expect((await signIn(agent, fields, key.assertion(await challengeFor(agent, fields.csrf_token), { ...RP, signCount: 11 }))).status).toBe(303);
  });

  it('lets the janitor delete challenges nobody presented once they expire', async () => {
    const { agent, fields } = await loginPage();
    await challengeFor(agent, fields.csrf_token);
    const count = async () => Number((await rows<{ n: string }>(t, 'SELECT count(*) AS n FROM webauthn_challenges WHERE expires_at > $1', [new Date(t.clock.now())]))[0].n);
    expect(await count()).toBeGreaterThan(0);
    // The janitor allows for clock skew past an expiry: an hour is past both.
    t.clock.advance(3600);
    const counts = await t.app.get(JanitorService).runOnce({ wait: true });
    expect(counts!.webauthn_challenges).toBeGreaterThan(0);
    expect(Number((await rows<{ n: string }>(t, 'SELECT count(*) AS n FROM webauthn_challenges'))[0].n)).toBe(0);
  });

  describe('on the account page', () => {
    async function signedIn(user: TestUser, key?: SoftAuthenticator): Promise<{ agent: PageAgent; csrf: string }> {
      const agent = new PageAgent(t);
      const login = await agent.get('/login?return_to=%2Faccount');
      const loggedIn = await agent.submit(login, { username: user.username, password: user.password });
      if (key) {
        // A user with a passkey has a second step after the password: the passkey again.
        expect(loggedIn.text).toContain('Use your passkey');
        const fields = hiddenFieldsOf(loggedIn.text);
        const options = await agent.post('/login/second-factor/passkey-options', { csrf_token: fields.csrf_token });
        const { challenge } = JSON.parse(options.text) as { challenge: string };
        expect((await agent.post('/login/second-factor', { ...fields, credential: key.assertion(challenge, { ...RP, signCount: 1 }) })).status).toBe(303);
      } else {
        expect(loggedIn.status).toBe(303);
      }
      const page = await agent.get('/account');
      expect(page.text).toContain('id="passkeys-title"');
      return { agent, csrf: /name="csrf_token" value="([^"]+)"/.exec(page.text)![1] };
    }
    const flashOf = async (agent: PageAgent, result: PageResult) => {
      expect(result.status).toBe(303);
      const page = await agent.get(`${result.location!.pathname}${result.location!.search}`);
      return /role="(?:status|alert)">([^<]*)</.exec(page.text)?.[1];
    };

    it('answers registration options only in a login session, bound to it, for a resident key with user verification', async () => {
      const user = await createUser(t);
      const { agent, csrf } = await signedIn(user);
      const answer = await agent.post('/account/passkeys/options', { csrf_token: csrf });
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.text)).toMatchObject({
        rp: { id: 'tessera.test' },
        user: { name: user.username, id: Buffer.from(user.user.id).toString('base64url') },
        authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
        attestation: 'none',
      });
      expect((await agent.post('/account/passkeys/options', { csrf_token: 'forged' })).status).toBe(403);
      const anonymous = await new PageAgent(t).post('/account/passkeys/options', { csrf_token: csrf });
      expect(anonymous.status).toBe(303);
      expect(anonymous.location!.pathname).toBe('/login');
    });

    it('refuses a registration with a wrong password or a malformed credential; nothing is stored', async () => {
      const user = await createUser(t);
      const { agent, csrf } = await signedIn(user);
      const register = (fields: Record<string, string>) => agent.post('/account/passkeys', { csrf_token: csrf, name: 'Laptop', ...fields });
      expect(await flashOf(agent, await register({ current_password: 'wrong', credential: '{}' }))).toBe('The current password is wrong.');
      for (const credential of ['{not json', '{}', JSON.stringify({ id: 'x'.repeat(20), rawId: 'x'.repeat(20), type: 'public-key', response: { clientDataJSON: '', attestationObject: '' }, clientExtensionResults: {} })]) {
        expect(await flashOf(agent, await register({ current_password: user.password, credential }))).toBe('The passkey could not be added. Try again.');
      }
      expect((await rows(t, 'SELECT 1 FROM webauthn_credentials WHERE user_id = $1', [user.user.id])).length).toBe(0);
    });

    it('signs in at /login with a passkey and goes back to return_to; a refused one shows the form again', async () => {
      const { key } = await userWithKey();
      const agent = new PageAgent(t);
      const login = await agent.get('/login?return_to=%2Faccount');
      expect(login.text).toContain('action="/login/passkey"');
      const { fields } = formOf(login.text);
      const refused = await agent.post('/login/passkey', { ...fields, credential: key.assertion(await challengeFor(agent, fields.csrf_token), { ...RP, rpId: 'evil.example', signCount: 1 }) });
      expectRefused(refused, agent);
      const done = await agent.post('/login/passkey', { ...fields, credential: key.assertion(await challengeFor(agent, fields.csrf_token), { ...RP, signCount: 1 }) });
      expect(done.status).toBe(303);
      expect(done.location!.pathname).toBe('/account');
      expect((await agent.get('/account')).status).toBe(200);
    });

    it('lists a passkey and removes it; another user\'s cannot be removed', async () => {
      const { user, key } = await userWithKey();
      const owner = await signedIn(user, key);
      const page = await owner.agent.get('/account');
      expect(page.text).toContain('soft key');
      expect(page.text).toContain('this device only');
      const [stored] = await rows<{ id: string }>(t, 'SELECT id FROM webauthn_credentials WHERE credential_id = $1', [key.credentialId]);

      const intruder = await signedIn(await createUser(t));
      expect(await flashOf(intruder.agent, await intruder.agent.post('/account/passkeys/delete', { csrf_token: intruder.csrf, delete_passkey: stored.id }))).toBe('No such passkey.');
      expect((await owner.agent.post('/account/passkeys/delete', { csrf_token: 'forged', delete_passkey: stored.id })).status).toBe(403);
      expect(await flashOf(owner.agent, await owner.agent.post('/account/passkeys/delete', { csrf_token: owner.csrf, delete_passkey: stored.id }))).toBe('The passkey was removed.');
      expect((await rows(t, 'SELECT 1 FROM webauthn_credentials WHERE id = $1', [stored.id])).length).toBe(0);
    });
  });
});
