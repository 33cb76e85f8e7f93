import { api, createAdmin, rows, type TestAdmin } from '../factories/admin.js';
import { createClient, postForm, type TestClient, token } from '../factories/index.js';
import { startTestApp, type TestApp } from '../setup/app.js';

/** The client as it authenticates with a given secret (client_secret_basic). */
function withSecret(client: TestClient, secret: string): TestClient {
  return { ...client, secret, basic: `Basic ${Buffer.from(`${client.id}:${secret}`).toString('base64')}` };
}

describe('admin API: client secret rotation', () => {
  let t: TestApp;
  let admin: TestAdmin;

  beforeAll(async () => {
    t = await startTestApp();
    admin = await createAdmin(t);
  });
  afterAll(async () => {
    await t.close();
  });

  const rotate = (client: TestClient, body?: unknown) => api(t, 'POST', `/admin/clients/${client.id}/secret`, { token: admin.token, body });
  const authenticates = async (client: TestClient, secret: string) => {
    const result = await token(t, withSecret(client, secret), { grant_type: 'client_credentials' });
    if (result.status !== 200) expect(result.body.error).toBe('invalid_client');
    return result.status === 200;
  };
  /** client_secret_post, through the cached client record introspection uses. */
  const introspects = async (client: TestClient, secret: string) => {
    const result = await postForm(t, '/oauth/introspect', { token: 'anything', client_id: client.id, client_secret: secret });
    return result.status === 200;
  };

  it('keeps the old secret working for the grace period only, and the new one from the start', async () => {
    const client = await createClient(t, { introspect: true });
    const old = client.secret!;
    expect(await introspects(client, old)).toBe(true);

    const rotated = await rotate(client, { grace_seconds: 60 });
    expect(rotated.status).toBe(200);
    expect(rotated.headers.get('cache-control')).toBe('no-store');
    const fresh = rotated.body.client_secret as string;
    expect(fresh.length).toBeGreaterThanOrEqual(43);
    expect(fresh).not.toBe(old);
    expect(rotated.body).toEqual({
      client_id: client.id,
      client_secret: fresh,
      previous_secret_expires_at: new Date(t.clock.now() + 60_000).toISOString(),
    });

    t.clock.advance(59);
    expect(await authenticates(client, old)).toBe(true);
    expect(await authenticates(client, fresh)).toBe(true);
    expect(await introspects(client, old)).toBe(true);
    expect(await introspects(client, fresh)).toBe(true);

    t.clock.advance(1);
    expect(await authenticates(client, old)).toBe(false);
    expect(await introspects(client, old)).toBe(false);
    expect(await authenticates(client, fresh)).toBe(true);
    expect(await introspects(client, fresh)).toBe(true);

    const dump = JSON.stringify(await rows(t, `SELECT * FROM clients WHERE id = $1`, [client.id]));
    expect(dump).not.toContain(old);
    expect(dump).not.toContain(fresh);
  });

  it('with grace 0 (the default) the old secret stops at once', async () => {
    const client = await createClient(t, { introspect: true });
    const old = client.secret!;
    expect(await introspects(client, old)).toBe(true);

    const rotated = await rotate(client);
    expect(rotated.status).toBe(200);
    expect(rotated.body.previous_secret_expires_at).toBeNull();
    expect(await authenticates(client, old)).toBe(false);
    expect(await introspects(client, old)).toBe(false);
    expect(await authenticates(client, rotated.body.client_secret as string)).toBe(true);
    const [row] = await rows(t, `SELECT previous_secret_hash, previous_secret_expires_at FROM clients WHERE id = $1`, [client.id]);
    expect(row).toEqual({ previous_secret_hash: null, previous_secret_expires_at: null });
  });

  it('a second rotation drops the secret the first one kept', async () => {
    const client = await createClient(t);
    const first = client.secret!;
    const second = (await rotate(client, { grace_seconds: 3600 })).body.client_secret as string;
    const third = (await rotate(client, { grace_seconds: 3600 })).body.client_secret as string;
    expect(await authenticates(client, first)).toBe(false);
    expect(await authenticates(client, second)).toBe(true);
    expect(await authenticates(client, third)).toBe(true);
  });

  it('records client_secret_rotated with the admin as actor and the grace period', async () => {
    const client = await createClient(t);
    expect((await rotate(client, { grace_seconds: 30 })).status).toBe(200);
    const events = await rows(t, `SELECT actor, details FROM audit_events WHERE type = 'client_secret_rotated' AND client_id = $1`, [client.id]);
    expect(events).toEqual([{ actor: `user:${admin.user.id}`, details: { grace_seconds: 30 } }]);
  });

  it('refuses a bad grace period, a public client and an unknown client, and changes nothing', async () => {
    const client = await createClient(t);
    const before = await rows(t, `SELECT * FROM clients WHERE id = $1`, [client.id]);
    for (const grace of [-1, 1.5, '60', 604_801, null]) {
      const result = await rotate(client, { grace_seconds: grace });
      expect(result.status).toBe(400);
      expect(result.body.error).toBe('invalid_request');
      expect(result.body.error_description).toContain('grace_seconds: must be an integer from 0 to 604800');
    }
    expect((await rotate(client, { grace: 60 })).body.error_description).toContain('grace: unknown field');
    const spa = await createClient(t, { type: 'public', grantTypes: ['password'] });
    const publicClient = await rotate(spa, {});
    expect(publicClient.status).toBe(400);
    expect(publicClient.body.error_description).toMatch(/^client_id: /);
    expect((await rotate({ ...client, id: 'no-such-client' }, {})).status).toBe(404);
    expect(await rows(t, `SELECT * FROM clients WHERE id = $1`, [client.id])).toEqual(before);
    expect(await authenticates(client, client.secret!)).toBe(true);
  });
});
