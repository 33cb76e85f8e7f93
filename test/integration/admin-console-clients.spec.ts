import { rows } from '../factories/admin.js';
import { PageAgent, type PageResult } from '../factories/authorization.js';
import { createClient, createUser, postForm, type TestUser, token } from '../factories/index.js';
import { startTestApp, type TestApp } from '../setup/app.js';

const ISSUER = 'http://tessera.test';

/** The console's client and key forms over HTTP: what each refuses changes nothing, and what each does is audited with the admin as actor. */
describe('clients and keys in the admin console', () => {
  let t: TestApp;
  let admin: TestUser;
  let agent: PageAgent;
  let csrf: string;

  beforeAll(async () => {
    t = await startTestApp({ ISSUER });
    admin = await createUser(t, { admin: true });
    agent = new PageAgent(t);
    const started = await agent.get('/console');
    const login = await agent.get(`${started.location!.pathname}${started.location!.search}`);
    const callback = await agent.login(login, admin);
    expect((await agent.get(`${callback.location!.pathname}${callback.location!.search}`)).location!.pathname).toBe('/console/users');
    csrf = /name="csrf_token" value="([^"]+)"/.exec((await agent.get('/console/clients')).text)![1];
  });
  afterAll(async () => {
    await t.close();
  });

  const post = (path: string, fields: Record<string, string>) => agent.post(path, { csrf_token: csrf, confirm: 'yes', ...fields });
  const clientRow = async (id: string) => (await rows<Record<string, unknown>>(t, 'SELECT scopes, secret_hash, previous_secret_hash FROM clients WHERE id = $1', [id]))[0];
  const expectErrorPage = (result: PageResult, status: number, words: string) => {
    expect(result.status).toBe(status);
    expect(result.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(result.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(result.text).toContain(words);
  };

  it('refuses a bad registration with the admin API\'s words, and registers nothing', async () => {
    const taken = await createClient(t);
    const cases: Array<[Record<string, string>, number, string]> = [
      [{ client_id: 'web', type: 'public', grant_authorization_code: 'yes', redirect_uris: 'ftp://web.example/cb' }, 400, 'redirect_uris'],
      [{ client_id: 'web', type: 'public', grant_authorization_code: 'yes' }, 400, 'the authorization_code grant needs at least one redirect URI'],
      [{ client_id: 'web', type: 'confidential', grant_client_credentials: 'yes', introspect: 'on' }, 400, 'introspect: must be true or false'],
      [{ client_id: 'web', type: 'public', grant_client_credentials: 'yes' }, 400, 'client_credentials needs a confidential client'],
      [{ client_id: 'bad id', type: 'confidential', grant_client_credentials: 'yes' }, 400, 'client_id: must be 1-128 characters'],
      [{ client_id: 'web', type: 'both', grant_client_credentials: 'yes' }, 400, 'type: must be one of confidential, public'],
      [{ client_id: taken.id, type: 'confidential', grant_client_credentials: 'yes' }, 409, 'already exists'],
    ];
    for (const [fields, status, words] of cases) expectErrorPage(await post('/console/clients', fields), status, words);
    expect(await clientRow('web')).toBeUndefined();
    expect(await clientRow('bad id')).toBeUndefined();
    // Without the box ticked: back to the form with the message, nothing registered.
    const unconfirmed = await agent.post('/console/clients', { csrf_token: csrf, client_id: 'web', type: 'confidential', grant_client_credentials: 'yes' });
    expect(unconfirmed.status).toBe(303);
    expect(unconfirmed.location!.pathname).toBe('/console/new-client');
    expect((await agent.get('/console/new-client')).text).toContain('Nothing was changed');
    expect(await clientRow('web')).toBeUndefined();
  });

  it('refuses an unknown client, a bad grace and a bad change, and changes nothing', async () => {
    const client = await createClient(t, { grantTypes: ['client_credentials'], scopes: ['read'] });
    const before = await clientRow(client.id);
    expectErrorPage(await agent.get('/console/clients/no-such-client'), 404, 'no such client');
    expectErrorPage(await agent.get('/console/clients/bad%20id'), 404, 'no such client');
    expectErrorPage(await agent.get('/console/clients?cursor=junk'), 400, 'cursor');
    expectErrorPage(await post('/console/clients/no-such-client', { grant_client_credentials: 'yes' }), 404, 'no such client');
    expectErrorPage(await post('/console/clients/no-such-client/secret', { grace_seconds: '60' }), 404, 'no such client');
    expectErrorPage(await post('/console/clients/no-such-client/delete', {}), 404, 'no such client');
    expectErrorPage(await agent.post('/console/clients/bad%20id/delete', { csrf_token: csrf }), 404, 'no such client');
    for (const grace of ['1h', '-1', '604801', '']) {
      expectErrorPage(await post(`/console/clients/${client.id}/secret`, { grace_seconds: grace }), 400, 'grace_seconds');
    }
    expectErrorPage(await post(`/console/clients/${client.id}`, { grant_authorization_code: 'yes', redirect_uris: 'https://app.example/cb#fragment' }), 400, 'redirect_uris');
    expectErrorPage(await post(`/console/clients/${client.id}`, { grant_client_credentials: 'yes', scopes: 'read "quoted"' }), 400, 'scopes');
    expect(await clientRow(client.id)).toEqual(before);
    expect((await token(t, client, { grant_type: 'client_credentials', scope: 'read' })).status).toBe(200);

    const spa = await createClient(t, { type: 'public', grantTypes: ['authorization_code'], redirectUris: ['https://spa.example/cb'] });
    expectErrorPage(await post(`/console/clients/${spa.id}/secret`, { grace_seconds: '0' }), 400, 'public client');
  });

  it('refuses every change to the console\'s own client with the service\'s words', async () => {
    const before = await clientRow('tessera-console');
    const page = await agent.get('/console/clients/tessera-console');
    expect(page.status).toBe(200);
    expect(page.text).toContain('Protected.');
    expect(page.text).not.toMatch(/console\/clients\/tessera-console\/(secret|delete)|<form method="post" action="[^"]*\/console\/clients\/tessera-console"/);
    for (const path of ['', '/secret', '/delete']) {
      expectErrorPage(await post(`/console/clients/tessera-console${path}`, { grant_authorization_code: 'yes', grace_seconds: '0' }), 400, 'Tessera&#39;s own console client');
    }
    expect(await clientRow('tessera-console')).toEqual(before);
  });

  it('audits each change with the admin as actor, as the admin API does', async () => {
    const created = await post('/console/clients', { client_id: 'audited', type: 'confidential', grant_client_credentials: 'yes', scopes: 'read write' });
    expect(created.status).toBe(200);
    expect(created.headers.get('cache-control')).toBe('no-store');
    const secret = /id="client-secret">([^<]+)</.exec(created.text)![1];
    const basic = `Basic ${Buffer.from(`audited:${secret}`).toString('base64')}`;
    expect((await postForm(t, '/oauth/token', { grant_type: 'client_credentials', scope: 'write' }, { authorization: basic })).status).toBe(200);
    expect((await post('/console/clients/audited', { grant_client_credentials: 'yes', scopes: 'read' })).status).toBe(303);
    expect(await clientRow('audited')).toMatchObject({ scopes: ['read'] });
    expect((await post('/console/clients/audited/secret', { grace_seconds: '60' })).status).toBe(200);
    expect((await post('/console/clients/audited/delete', {})).location!.pathname).toBe('/console/clients');
    expect((await post('/console/keys/rotate', {})).location!.pathname).toBe('/console/keys');
    expectErrorPage(await post('/console/keys/rotate', {}), 409, 'already pending');

    const events = await rows<{ type: string; actor: string; details: Record<string, unknown> }>(
      t,
      `SELECT type, actor, details FROM audit_events WHERE client_id = 'audited' OR (type = 'key_rotated' AND actor <> 'system') ORDER BY id`,
    );
    expect(events.map((e) => e.type)).toEqual(['client_created', 'client_updated', 'client_secret_rotated', 'client_deleted', 'key_rotated']);
    expect(new Set(events.map((e) => e.actor))).toEqual(new Set([`user:${admin.user.id}`]));
    expect(events[2].details).toEqual({ grace_seconds: 60 });
  });
});
