import { api, createAdmin, rows, type TestAdmin } from '../factories/admin.js';
import { PageAgent, pkce } from '../factories/authorization.js';
import { createClient, createUser, type TestUser } from '../factories/index.js';
import { startTestApp, type TestApp } from '../setup/app.js';

const ISSUER = 'http://tessera.test';
const REDIRECT = 'https://photos.example.com/cb';

/** A client's display name (RFC 7591 client_name): registered through the admin API, shown to users on the hosted pages. */
describe('client names', () => {
  let t: TestApp;
  let admin: TestAdmin;
  let user: TestUser;

  beforeAll(async () => {
    t = await startTestApp({ ISSUER });
    admin = await createAdmin(t);
    user = await createUser(t);
  });
  afterAll(async () => {
    await t.close();
  });

  const register = (clientId: string, extra: Record<string, unknown> = {}) =>
    api(t, 'POST', '/admin/clients', {
      token: admin.token,
      body: { client_id: clientId, type: 'public', grant_types: ['authorization_code'], redirect_uris: [REDIRECT], scopes: ['read'], ...extra },
    });

  /** The login page, then (after the password) the consent page, for `clientId`. */
  async function pages(clientId: string): Promise<{ login: string; consent: string }> {
    const agent = new PageAgent(t);
    const { challenge } = pkce();
    const login = await agent.authorize({ response_type: 'code', client_id: clientId, redirect_uri: REDIRECT, scope: 'read', state: 's', code_challenge: challenge, code_challenge_method: 'S256' });
    expect(login.status).toBe(200);
    const consent = await agent.login(login, user);
    expect(consent.status).toBe(200);
    return { login: login.text, consent: consent.text };
  }

  it('is stored, shown by the admin API and on the login and consent pages instead of the id, escaped', async () => {
    const created = await register('photo-app', { client_name: '  Photos <b>& Co</b>  ' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ client_id: 'photo-app', client_name: 'Photos <b>& Co</b>' });
    expect(await rows(t, `SELECT client_name FROM clients WHERE id = 'photo-app'`)).toEqual([{ client_name: 'Photos <b>& Co</b>' }]);

    const { login, consent } = await pages('photo-app');
    for (const html of [login, consent]) {
      expect(html).toContain('<strong>Photos &lt;b&gt;&amp; Co&lt;/b&gt;</strong>');
      expect(html).not.toContain('<b>');
      expect(html).not.toContain('<strong>photo-app</strong>');
    }
  });

  it('PATCH changes it and null removes it: the pages show the id again; client_updated names it', async () => {
    await register('album', { client_name: 'Album' });
    const renamed = await api(t, 'PATCH', '/admin/clients/album', { token: admin.token, body: { client_name: 'Album Pro' } });
    expect(renamed.body).toMatchObject({ client_name: 'Album Pro', redirect_uris: [REDIRECT] });
    expect((await pages('album')).consent).toContain('<strong>Album Pro</strong>');

    const removed = await api(t, 'PATCH', '/admin/clients/album', { token: admin.token, body: { client_name: null } });
    expect(removed.body).toMatchObject({ client_name: null });
    expect((await pages('album')).login).toContain('<strong>album</strong>');
    const events = await rows(t, `SELECT details FROM audit_events WHERE type = 'client_updated' AND client_id = 'album' ORDER BY id`);
    expect(events).toEqual([{ details: { fields: 'client_name' } }, { details: { fields: 'client_name' } }]);
  });

  it('refuses an empty, too long or multi-line name with 400 naming client_name, and changes nothing', async () => {
    const client = await createClient(t, { grantTypes: ['authorization_code'], redirectUris: [REDIRECT], name: 'Kept' });
    const before = await rows(t, `SELECT * FROM clients ORDER BY id`);
    for (const name of ['   ', 'x'.repeat(101), 'line\nbreak', 'tab\there']) {
      const created = await register('refused', { client_name: name });
      expect(created.status).toBe(400);
      expect(created.body.error_description).toMatch(/client_name: /);
      const patched = await api(t, 'PATCH', `/admin/clients/${client.id}`, { token: admin.token, body: { client_name: name } });
      expect(patched.status).toBe(400);
      expect(patched.body.error_description).toMatch(/client_name: /);
    }
    expect(await rows(t, `SELECT * FROM clients ORDER BY id`)).toEqual(before);
  });
});
