import { api, createAdmin, rows, type TestAdmin } from '../factories/admin.js';
import { createClient, createUser, type HttpResult, login, type TestClient, token } from '../factories/index.js';
import { introspect, jwtClaims } from '../factories/resource-server.js';
import { RevocationEventStore } from '../../src/sessions/revocation-event.js';
import { startTestApp, type TestApp } from '../setup/app.js';

/**
 * Issue 19, defect 1: deleting a client ends every token it holds at once, those of no
 * family (client_credentials) included, and its id cannot be taken over by a new client
 * while any of them could still be alive.
 */
describe('deleting a client', () => {
  let t: TestApp;
  let admin: TestAdmin;
  let resourceServer: TestClient;

  const register = (clientId: string, extra: Record<string, unknown> = {}) =>
    api(t, 'POST', '/admin/clients', {
      token: admin.token,
      body: { client_id: clientId, type: 'confidential', grant_types: ['client_credentials', 'password', 'refresh_token'], scopes: ['read'], ...extra },
    });
  const asClient = (created: HttpResult): TestClient => {
    const id = created.body.client_id as string;
    const secret = created.body.client_secret as string;
    return { id, secret, basic: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`, client: undefined as never };
  };
  const clientCredentials = async (client: TestClient): Promise<string> => {
    const result = await token(t, client, { grant_type: 'client_credentials', scope: 'read' });
    expect(result.status).toBe(200);
    return result.body.access_token as string;
  };

  beforeAll(async () => {
    t = await startTestApp();
    admin = await createAdmin(t);
    resourceServer = await createClient(t, { grantTypes: ['client_credentials'], scopes: [], introspect: true });
  });
  afterAll(async () => {
    await t.close();
  });

  it('the repro: a client_credentials JWT is inactive as soon as DELETE answers 204', async () => {
    const client = asClient(await register('deleted-cc'));
    const accessToken = await clientCredentials(client);
    expect((await introspect(t, resourceServer, accessToken)).body).toMatchObject({ active: true, client_id: 'deleted-cc' });

    expect((await api(t, 'DELETE', '/admin/clients/deleted-cc', { token: admin.token })).status).toBe(204);

    expect((await introspect(t, resourceServer, accessToken)).body).toEqual({ active: false });
    // Six seconds later (the repro's wait) and with the view past its staleness limit, still dead.
    t.clock.advance(6);
    expect((await introspect(t, resourceServer, accessToken)).body).toEqual({ active: false });
  });

  it('ends its user sessions and its opaque access tokens as well', async () => {
    const client = asClient(await register('deleted-opaque', { access_token_format: 'opaque' }));
    const user = await createUser(t);
    const opaque = await clientCredentials(client);
    const session = await login(t, client, user);
    for (const live of [opaque, session.access_token, session.refresh_token]) {
      expect((await introspect(t, resourceServer, live)).body.active).toBe(true);
    }

    expect((await api(t, 'DELETE', '/admin/clients/deleted-opaque', { token: admin.token })).status).toBe(204);

    for (const dead of [opaque, session.access_token, session.refresh_token]) {
      expect((await introspect(t, resourceServer, dead)).body).toEqual({ active: false });
    }
  });

  it('refuses the id with 409 until every token of the deleted client has expired, and a later client inherits nothing', async () => {
    const client = asClient(await register('reused-id'));
    const oldToken = await clientCredentials(client);
    expect((await api(t, 'DELETE', '/admin/clients/reused-id', { token: admin.token })).status).toBe(204);

    const refused = await register('reused-id');
    expect(refused.status).toBe(409);
    expect(refused.body.error).toBe('invalid_request');
    expect(refused.body.error_description).toMatch(/^client reused-id was deleted and can be registered again after \d{4}-\d\d-\d\dT/);
    expect(await rows(t, `SELECT id FROM clients WHERE id = 'reused-id'`)).toEqual([]);

    // The tombstone lasts ACCESS_TOKEN_TTL + REVOCATION_MAX_STALENESS_MS + the 60 s margin.
    const tombstone = (t.config.accessTokenTtl + 60) * 1000 + t.config.revocationMaxStalenessMs;
    t.clock.advance(tombstone / 1000 - 1);
    admin = await createAdmin(t);
    expect((await register('reused-id')).status).toBe(409);
    t.clock.advance(2);
    admin = await createAdmin(t);
    const again = asClient(await register('reused-id'));
    expect(again.secret).toBeDefined();
    // The old token has expired by now; a token of the new client is its own.
    expect((await introspect(t, resourceServer, oldToken)).body).toEqual({ active: false });
    const newToken = await clientCredentials(again);
    expect((await introspect(t, resourceServer, newToken)).body).toMatchObject({ active: true, client_id: 'reused-id' });
    expect(jwtClaims(newToken).jti).not.toBe(jwtClaims(oldToken).jti);
  });

  it('the feed table alone answers for a deleted client (a view that overflowed asks it)', async () => {
    const client = asClient(await register('asked-of-the-table'));
    const claims = jwtClaims(await clientCredentials(client)) as { jti: string; sub: string; iat: number; client_id: string };
    const store = t.app.get(RevocationEventStore);
    const now = new Date(t.clock.now());
    expect(await store.concerns(claims, now)).toBe(false);
    expect((await api(t, 'DELETE', '/admin/clients/asked-of-the-table', { token: admin.token })).status).toBe(204);
    expect(await store.concerns(claims, now)).toBe(true);
    expect(await store.concerns({ ...claims, client_id: 'another-client' }, now)).toBe(false);
  });
});
