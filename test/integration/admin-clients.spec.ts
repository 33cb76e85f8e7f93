import { api, createAdmin, rows, type TestAdmin } from '../factories/admin.js';
import { createClient, createUser, login, type TestClient, token } from '../factories/index.js';
import { isActive, jwtClaims } from '../factories/resource-server.js';
import { startTestApp, type TestApp } from '../setup/app.js';

describe('admin API: clients', () => {
  let t: TestApp;
  let admin: TestAdmin;
  let resourceServer: TestClient;

  beforeAll(async () => {
    t = await startTestApp();
    admin = await createAdmin(t);
    resourceServer = await createClient(t, { grantTypes: ['client_credentials'], scopes: [], introspect: true });
  });
  afterAll(async () => {
    await t.close();
  });

  it('creates a client and shows its secret once; the secret works and is stored only hashed', async () => {
    const created = await api(t, 'POST', '/admin/clients', {
      token: admin.token,
      body: { client_id: 'mobile', type: 'confidential', grant_types: ['password', 'refresh_token'], scopes: ['read'] },
    });
    expect(created.status).toBe(201);
    const secret = created.body.client_secret as string;
    expect(secret.length).toBeGreaterThanOrEqual(43);
    expect(created.body).toMatchObject({ client_id: 'mobile', type: 'confidential', grant_types: ['password', 'refresh_token'], scopes: ['read'] });

    const listed = await api(t, 'GET', '/admin/clients', { token: admin.token });
    const mobile = (listed.body.items as Array<Record<string, unknown>>).find((c) => c.client_id === 'mobile');
    expect(mobile).toBeDefined();
    expect(JSON.stringify(listed.body)).not.toContain(secret);
    expect(mobile!.client_secret).toBeUndefined();

    const basic = `Basic ${Buffer.from(`mobile:${secret}`).toString('base64')}`;
    const user = await createUser(t);
    const session = await token(t, { id: 'mobile', secret, basic, client: undefined as never }, {
      grant_type: 'password', username: user.username, password: user.password,
    });
    expect(session.status).toBe(200);
    const dump = JSON.stringify(await rows(t, `SELECT * FROM clients WHERE id = 'mobile'`));
    expect(dump).not.toContain(secret);
  });

  it('answers 400 naming each bad field and unknown field, and creates nothing', async () => {
    const before = await rows(t, `SELECT count(*) AS n FROM clients`);
    const result = await api(t, 'POST', '/admin/clients', {
      token: admin.token,
      body: { client_id: 'x', type: 'secretive', grant_types: 'password', client_secret: 'chosen' },
    });
    expect(result.status).toBe(400);
    for (const part of ['type: must be one of confidential, public', 'grant_types: must be an array', 'client_secret: unknown field']) {
      expect(result.body.error_description).toContain(part);
    }
    const rule = await api(t, 'POST', '/admin/clients', { token: admin.token, body: { client_id: 'y', type: 'public', grant_types: ['client_credentials'] } });
    expect(rule.status).toBe(400);
    expect(rule.body.error_description).toMatch(/^grants: /);
    expect(await rows(t, `SELECT count(*) AS n FROM clients`)).toEqual(before);
  });

  it('deleting a client ends its families: refresh tokens fail and access tokens introspect inactive', async () => {
    const doomed = await createClient(t);
    const opaque = await createClient(t, { accessTokenFormat: 'opaque' });
    const kept = await createClient(t);
    const user = await createUser(t);
    const sessions = [await login(t, doomed, user), await login(t, doomed, user)];
    const opaqueSession = await login(t, opaque, user);
    const keptSession = await login(t, kept, user);

    const result = await api(t, 'DELETE', `/admin/clients/${doomed.id}`, { token: admin.token });
    expect(result.status).toBe(204);
    expect((await api(t, 'DELETE', `/admin/clients/${opaque.id}`, { token: admin.token })).status).toBe(204);

    for (const s of [...sessions, opaqueSession]) {
      expect(await isActive(t, resourceServer, s.access_token)).toBe(false);
      expect(await isActive(t, resourceServer, s.refresh_token)).toBe(false);
    }
    expect((await token(t, doomed, { grant_type: 'refresh_token', refresh_token: sessions[0].refresh_token })).status).toBe(401);
    expect(await isActive(t, resourceServer, keptSession.access_token)).toBe(true);

    const sids = sessions.map((s) => jwtClaims(s.access_token).sid);
    const events = await rows<{ family_id: string; reason: string; actor: string }>(
      t, `SELECT family_id, reason, actor FROM audit_events WHERE type = 'session_revoked' AND client_id = $1`, [doomed.id]);
    expect(events.map((e) => e.family_id).sort()).toEqual([...sids].sort());
    for (const event of events) expect(event).toMatchObject({ reason: 'client_deleted', actor: `user:${admin.user.id}` });
    expect(await rows(t, `SELECT type FROM audit_events WHERE type = 'client_deleted' AND client_id = $1`, [doomed.id])).toHaveLength(1);

    expect((await api(t, 'DELETE', `/admin/clients/${doomed.id}`, { token: admin.token })).status).toBe(404);
  });

  it('shows one client by id, never its secret; 404 for an unknown one', async () => {
    const client = await createClient(t, { scopes: ['read'], origins: ['https://app.example.com'], audience: 'https://api.example.com' });
    const shown = await api(t, 'GET', `/admin/clients/${client.id}`, { token: admin.token });
    expect(shown.status).toBe(200);
    expect(shown.headers.get('cache-control')).toBe('no-store');
    expect(shown.body).toEqual({
      client_id: client.id,
      type: 'confidential',
      grant_types: ['password', 'refresh_token', 'client_credentials'],
      scopes: ['read'],
      introspect: false,
      origins: ['https://app.example.com'],
      access_token_format: 'jwt',
      audience: 'https://api.example.com',
      redirect_uris: [],
      post_logout_redirect_uris: [],
      first_party: false,
      require_par: false,
      client_name: null,
      dpop_bound_access_tokens: false,
      require_mfa: false,
      backchannel_logout_uri: null,
      backchannel_logout_session_required: true,
      created_at: client.client.createdAt.toISOString(),
    });
    expect(shown.text).not.toContain(client.secret!);
    expect((await api(t, 'GET', '/admin/clients/no-such-client', { token: admin.token })).status).toBe(404);
  });

  it('PATCH changes only what the body names, at once, and records client_updated', async () => {
    const client = await createClient(t, { scopes: ['read', 'write'], audience: 'https://api.example.com' });
    expect((await token(t, client, { grant_type: 'client_credentials', scope: 'write' })).status).toBe(200);

    const patched = await api(t, 'PATCH', `/admin/clients/${client.id}`, {
      token: admin.token,
      body: { grant_types: ['password', 'refresh_token'], scopes: ['read'], introspect: true, audience: null },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ grant_types: ['password', 'refresh_token'], scopes: ['read'], introspect: true, audience: null, origins: [] });
    expect((await api(t, 'GET', `/admin/clients/${client.id}`, { token: admin.token })).body).toEqual(patched.body);

    const refused = await token(t, client, { grant_type: 'client_credentials' });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('unauthorized_client');
    const user = await createUser(t);
    expect((await token(t, client, { grant_type: 'password', username: user.username, password: user.password, scope: 'write' })).body.error).toBe('invalid_scope');

    const format = await api(t, 'PATCH', `/admin/clients/${client.id}`, { token: admin.token, body: { access_token_format: 'opaque' } });
    expect(format.body).toMatchObject({ access_token_format: 'opaque', scopes: ['read'], introspect: true });
    const events = await rows(t, `SELECT actor, details FROM audit_events WHERE type = 'client_updated' AND client_id = $1 ORDER BY id`, [client.id]);
    expect(events).toEqual([
      { actor: `user:${admin.user.id}`, details: { fields: 'grant_types,scopes,introspect,audience' } },
      { actor: `user:${admin.user.id}`, details: { fields: 'access_token_format' } },
    ]);
  });

  it('registers redirect URIs, first_party and require_par for the code flow, and refuses URIs that could redirect anywhere', async () => {
    const body = {
      client_id: 'web-shop',
      type: 'confidential',
      grant_types: ['authorization_code', 'refresh_token'],
      redirect_uris: ['https://shop.example.com/callback', 'http://127.0.0.1:4000/cb'],
      first_party: true,
      require_par: true,
    };
    const created = await api(t, 'POST', '/admin/clients', { token: admin.token, body });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ grant_types: body.grant_types, redirect_uris: body.redirect_uris, first_party: true, require_par: true });
    const stored = await rows(t, `SELECT redirect_uris, first_party, require_par FROM clients WHERE id = 'web-shop'`);
    expect(stored).toEqual([{ redirect_uris: body.redirect_uris, first_party: true, require_par: true }]);

    const before = await rows(t, `SELECT * FROM clients ORDER BY id`);
    for (const [uris, why] of [
      [[], /^redirect_uris: the authorization_code grant needs at least one redirect URI$/],
      [['https://shop.example.com/cb#top'], /fragment/],
      [['https://shop.example.com@evil.example/cb'], /userinfo/],
      [['/callback'], /not an absolute URI/],
      [['javascript:alert(1)'], /private-use scheme/],
    ] as const) {
      const refused = await api(t, 'POST', '/admin/clients', { token: admin.token, body: { ...body, client_id: 'refused', redirect_uris: uris } });
      expect(refused.status).toBe(400);
      expect(refused.body.error_description).toMatch(why);
    }
    const patched = await api(t, 'PATCH', '/admin/clients/web-shop', { token: admin.token, body: { redirect_uris: ['https://shop.example.com/cb#x'] } });
    expect(patched.status).toBe(400);
    expect(await rows(t, `SELECT * FROM clients ORDER BY id`)).toEqual(before);

    const off = await api(t, 'PATCH', '/admin/clients/web-shop', { token: admin.token, body: { first_party: false, require_par: false } });
    expect(off.body).toMatchObject({ first_party: false, require_par: false, redirect_uris: body.redirect_uris });
  });

  it('registers post_logout_redirect_uris on create, shows them, replaces them with PATCH, and refuses one with a fragment', async () => {
    const body = {
      client_id: 'notes',
      type: 'public',
      grant_types: ['authorization_code', 'refresh_token'],
      redirect_uris: ['https://notes.example.com/cb'],
      post_logout_redirect_uris: ['https://notes.example.com/bye', 'com.example.notes:/logout'],
    };
    const created = await api(t, 'POST', '/admin/clients', { token: admin.token, body });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ redirect_uris: body.redirect_uris, post_logout_redirect_uris: body.post_logout_redirect_uris });
    expect((await api(t, 'GET', '/admin/clients/notes', { token: admin.token })).body).toMatchObject({ post_logout_redirect_uris: body.post_logout_redirect_uris });
    expect(await rows(t, `SELECT post_logout_redirect_uris FROM clients WHERE id = 'notes'`)).toEqual([{ post_logout_redirect_uris: body.post_logout_redirect_uris }]);

    const before = await rows(t, `SELECT * FROM clients ORDER BY id`);
    for (const [uris, why] of [
      [['https://notes.example.com/bye#x'], /^post_logout_redirect_uris: .*fragment/],
      [['javascript:alert(1)'], /^post_logout_redirect_uris: .*private-use scheme/],
      [['/bye'], /^post_logout_redirect_uris: .*not an absolute URI/],
    ] as const) {
      const refused = await api(t, 'PATCH', '/admin/clients/notes', { token: admin.token, body: { post_logout_redirect_uris: uris } });
      expect(refused.status).toBe(400);
      expect(refused.body.error_description).toMatch(why);
    }
    expect(await rows(t, `SELECT * FROM clients ORDER BY id`)).toEqual(before);

    const patched = await api(t, 'PATCH', '/admin/clients/notes', { token: admin.token, body: { post_logout_redirect_uris: ['https://notes.example.com/signed-out'] } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ redirect_uris: body.redirect_uris, post_logout_redirect_uris: ['https://notes.example.com/signed-out'] });
    const events = await rows(t, `SELECT details FROM audit_events WHERE type = 'client_updated' AND client_id = 'notes'`);
    expect(events).toEqual([{ details: { fields: 'post_logout_redirect_uris' } }]);
  });

  it('registers dpop_bound_access_tokens (RFC 9449 §5.2), stores it as require_dpop, and turns it off', async () => {
    const body = { client_id: 'dpop-spa', type: 'public', grant_types: ['password', 'refresh_token'], dpop_bound_access_tokens: true };
    const created = await api(t, 'POST', '/admin/clients', { token: admin.token, body });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ dpop_bound_access_tokens: true });
    expect(await rows(t, `SELECT require_dpop FROM clients WHERE id = 'dpop-spa'`)).toEqual([{ require_dpop: true }]);
    const refused = await api(t, 'PATCH', '/admin/clients/dpop-spa', { token: admin.token, body: { dpop_bound_access_tokens: 'yes' } });
    expect(refused.status).toBe(400);
    const off = await api(t, 'PATCH', '/admin/clients/dpop-spa', { token: admin.token, body: { dpop_bound_access_tokens: false } });
    expect(off.body).toMatchObject({ dpop_bound_access_tokens: false });
    expect(await rows(t, `SELECT require_dpop FROM clients WHERE id = 'dpop-spa'`)).toEqual([{ require_dpop: false }]);
  });

  it('PATCH answers 400 naming bad, unknown and rule-breaking fields, 404 for an unknown client, and changes nothing', async () => {
    const spa = await createClient(t, { type: 'public', grantTypes: ['password', 'refresh_token'] });
    const before = await rows(t, `SELECT * FROM clients WHERE id = $1`, [spa.id]);
    const bad = await api(t, 'PATCH', `/admin/clients/${spa.id}`, {
      token: admin.token,
      body: { grant_types: 'password', type: 'confidential', access_token_format: 'saml' },
    });
    expect(bad.status).toBe(400);
    for (const part of ['grant_types: must be an array', 'type: unknown field', 'access_token_format: must be one of jwt, opaque']) {
      expect(bad.body.error_description).toContain(part);
    }
    const rule = await api(t, 'PATCH', `/admin/clients/${spa.id}`, { token: admin.token, body: { introspect: true } });
    expect(rule.status).toBe(400);
    expect(rule.body.error_description).toMatch(/^introspect: /);
    const grants = await api(t, 'PATCH', `/admin/clients/${spa.id}`, { token: admin.token, body: { grant_types: ['client_credentials'] } });
    expect(grants.body.error_description).toMatch(/^grants: client_credentials needs a confidential client/);
    expect(await rows(t, `SELECT * FROM clients WHERE id = $1`, [spa.id])).toEqual(before);
    expect((await api(t, 'PATCH', '/admin/clients/no-such-client', { token: admin.token, body: { scopes: [] } })).status).toBe(404);
  });

  it('a client deleted by another process: a login or opaque token it still asks for there is invalid_client, never a 500', async () => {
    // The token endpoint authenticates from a client record up to REVOCATION_MAX_STALENESS_MS
    // old: the other process still has the deleted client in that cache.
    const other = await startTestApp({}, { db: t.db, clock: t.clock });
    try {
      const doomed = await createClient(t, { accessTokenFormat: 'opaque', grantTypes: ['password', 'refresh_token', 'client_credentials'] });
      const user = await createUser(t);
      const there = { url: other.url };
      expect((await token(there, doomed, { grant_type: 'client_credentials' })).status).toBe(200);
      expect((await api(t, 'DELETE', `/admin/clients/${doomed.id}`, { token: admin.token })).status).toBe(204);

      const loginThere = await token(there, doomed, { grant_type: 'password', username: user.username, password: user.password });
      expect(loginThere.status).toBe(401);
      expect(loginThere.body.error).toBe('invalid_client');
      const opaqueThere = await token(there, doomed, { grant_type: 'client_credentials' });
      expect(opaqueThere.status).toBe(401);
      expect(opaqueThere.body.error).toBe('invalid_client');
      expect(await rows(t, `SELECT id FROM families WHERE client_id = $1`, [doomed.id])).toHaveLength(0);
    } finally {
      await other.close();
    }
  });
});
