import { createClient, createUser, login, token } from '../factories/index.js';
import { startTestApp, type TestApp } from '../setup/app.js';

describe('token endpoint smoke', () => {
  let t: TestApp;
  beforeAll(async () => { t = await startTestApp(); });
  afterAll(async () => { await t.close(); });

  it('logs in and refreshes', async () => {
    const client = await createClient(t);
    const user = await createUser(t);
    const first = await login(t, client, user);
    const second = await token(t, client, { grant_type: 'refresh_token', refresh_token: first.refresh_token });
    expect(second.status).toBe(200);
    expect(second.body.refresh_token).not.toBe(first.refresh_token);
  });
});
