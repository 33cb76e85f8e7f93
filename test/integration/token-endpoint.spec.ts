import { createClient, createUser, login, postForm, type TestClient, type TestUser, token } from '../factories/index.js';
import { startTestApp, type TestApp } from '../setup/app.js';

/** Every error code of RFC 6749 §5.2 the token endpoint can answer, and the happy paths around them. */
describe('POST /oauth/token', () => {
  let t: TestApp;
  let client: TestClient;
  let publicClient: TestClient;
  let ccOnly: TestClient;
  let user: TestUser;
  let admin: TestUser;

  beforeAll(async () => {
    t = await startTestApp();
    client = await createClient(t);
    publicClient = await createClient(t, { type: 'public', grantTypes: ['password', 'refresh_token'], scopes: ['read'] });
    ccOnly = await createClient(t, { grantTypes: ['client_credentials'], scopes: ['read'] });
    user = await createUser(t);
    admin = await createUser(t, { admin: true });
  });
  afterAll(async () => { await t.close(); });

  describe('happy paths', () => {
    it('password grant issues a Bearer JWT, a refresh token and the default scope, with no-store', async () => {
      const result = await token(t, client, { grant_type: 'password', username: user.username, password: user.password });
      expect(result.status).toBe(200);
      expect(result.headers.get('cache-control')).toBe('no-store');
      expect(result.headers.get('pragma')).toBe('no-cache');
      expect(result.body).toMatchObject({ token_type: 'Bearer', expires_in: 300, scope: 'read write' });
      expect(String(result.body.access_token).split('.')).toHaveLength(3);
      expect(String(result.body.refresh_token)).toMatch(/^[A-Za-z0-9_-]{43,}$/);
    });

    it('client_secret_post authenticates as well as Basic', async () => {
      const result = await postForm(t, '/oauth/token', {
        grant_type: 'client_credentials', client_id: client.id, client_secret: client.secret!,
      });
      expect(result.status).toBe(200);
      expect(result.body.refresh_token).toBeUndefined();
      expect(result.body.scope).toBe('read write');
    });

    it('a public client logs in and refreshes with its client_id alone', async () => {
      const first = await login(t, publicClient, user);
      const second = await token(t, publicClient, { grant_type: 'refresh_token', refresh_token: first.refresh_token });
      expect(second.status).toBe(200);
      expect(second.body.scope).toBe('read');
    });

    it('grants the admin scope only to an admin who asks for it', async () => {
      expect((await login(t, client, admin)).scope).toBe('read write');
      expect((await login(t, client, admin, 'admin read')).scope).toBe('admin read');
    });

    it('withholds the refresh token from a client not registered for refresh_token', async () => {
      const noRefresh = await createClient(t, { grantTypes: ['password'], scopes: ['read'] });
      const result = await token(t, noRefresh, { grant_type: 'password', username: user.username, password: user.password });
      expect(result.status).toBe(200);
      expect(result.body.refresh_token).toBeUndefined();
    });
  });

  describe('errors', () => {
    const cases: Array<[string, () => Promise<{ status: number; body: Record<string, unknown> }>, number, string]> = [
      ['a missing grant_type', () => token(t, client, {}), 400, 'invalid_request'],
      ['an unknown grant_type', () => token(t, client, { grant_type: 'urn:example:magic' }), 400, 'unsupported_grant_type'],
      ['a grant the client is not registered for', () => token(t, ccOnly, { grant_type: 'password', username: 'a', password: 'b' }), 400, 'unauthorized_client'],
      ['no client authentication', () => postForm(t, '/oauth/token', { grant_type: 'client_credentials' }), 401, 'invalid_client'],
      ['an unknown client', () => postForm(t, '/oauth/token', { grant_type: 'client_credentials', client_id: 'nobody', client_secret: 'x'.repeat(40) }), 401, 'invalid_client'],
      ['a confidential client without its secret', () => postForm(t, '/oauth/token', { grant_type: 'client_credentials', client_id: client.id }), 401, 'invalid_client'],
      ['Basic and client_secret together', () => postForm(t, '/oauth/token', { grant_type: 'client_credentials', client_secret: client.secret! }, { authorization: client.basic }), 400, 'invalid_request'],
      ['a missing username', () => token(t, client, { grant_type: 'password', password: 'whatever1' }), 400, 'invalid_request'],
      ['a wrong password', () => token(t, client, { grant_type: 'password', username: user.username, password: 'wrong-password' }), 400, 'invalid_grant'],
      ['an unknown username', () => token(t, client, { grant_type: 'password', username: 'no-such-user', password: 'wrong-password' }), 400, 'invalid_grant'],
      ['a password over 1 KiB', () => token(t, client, { grant_type: 'password', username: user.username, password: 'p'.repeat(1025) }), 400, 'invalid_request'],
      ['a scope the client does not have', () => token(t, client, { grant_type: 'client_credentials', scope: 'delete' }), 400, 'invalid_scope'],
      ['a malformed scope', () => token(t, client, { grant_type: 'client_credentials', scope: 'read "write"' }), 400, 'invalid_scope'],
      ['admin for a user without the role', () => token(t, client, { grant_type: 'password', username: user.username, password: user.password, scope: 'admin' }), 400, 'invalid_scope'],
      ['admin through client_credentials', () => token(t, client, { grant_type: 'client_credentials', scope: 'admin' }), 400, 'invalid_scope'],
      ['a missing refresh_token', () => token(t, client, { grant_type: 'refresh_token' }), 400, 'invalid_request'],
      ['an unknown refresh token', () => token(t, client, { grant_type: 'refresh_token', refresh_token: 'A'.repeat(43) }), 400, 'invalid_grant'],
      ['a repeated parameter', () => postForm(t, '/oauth/token', 'grant_type=client_credentials&grant_type=password', { authorization: client.basic }), 400, 'invalid_request'],
      ['a JSON body', () => fetch(`${t.url}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: client.basic }, body: '{"grant_type":"client_credentials"}' }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> })), 400, 'invalid_request'],
    ];

    it.each(cases)('%s → %i %s', async (_, request, status, error) => {
      const result = await request();
      expect(result.status).toBe(status);
      expect(result.body.error).toBe(error);
      expect(typeof result.body.error_description).toBe('string');
      expect(Object.keys(result.body).sort()).toEqual(['error', 'error_description']);
    });

    it('answers Basic failures with WWW-Authenticate: Basic, and post failures without it', async () => {
      const basic = await postForm(t, '/oauth/token', { grant_type: 'client_credentials' }, {
        authorization: `Basic ${Buffer.from(`${client.id}:wrong-secret`).toString('base64')}`,
      });
      expect(basic.status).toBe(401);
      expect(basic.headers.get('www-authenticate')).toMatch(/^Basic /);
      const post = await postForm(t, '/oauth/token', { grant_type: 'client_credentials', client_id: client.id, client_secret: 'wrong' });
      expect(post.status).toBe(401);
      expect(post.headers.get('www-authenticate')).toBeNull();
    });

    it('gives an unknown user, a wrong password and a disabled user the same answer', async () => {
      const disabled = await createUser(t);
      await t.db.dataSource.query(`UPDATE users SET disabled_at = now() WHERE id = $1`, [disabled.user.id]);
      const answers = await Promise.all([
        token(t, client, { grant_type: 'password', username: 'nobody-at-all', password: 'some-password' }),
        token(t, client, { grant_type: 'password', username: user.username, password: 'some-password' }),
        token(t, client, { grant_type: 'password', username: disabled.username, password: disabled.password }),
      ]);
      expect(new Set(answers.map((a) => a.text)).size).toBe(1);
      expect(answers[0].status).toBe(400);
    });

    it('starts no family and records login_failed when a login fails', async () => {
      const before = await t.db.dataSource.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM families`);
      await token(t, client, { grant_type: 'password', username: user.username, password: 'not-it-at-all' });
      const after = await t.db.dataSource.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM families`);
      expect(after[0].n).toBe(before[0].n);
      const events = await t.db.dataSource.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM audit_events WHERE type = 'login_failed'`);
      expect(events[0].n).toBeGreaterThan(0);
    });
  });
});
