import fc from 'fast-check';
import { createClient, createUser, login, postForm, type TestClient } from '../factories/index.js';
import { startTestApp, type TestApp } from '../setup/app.js';
import { expectClientError, hostileValue } from '../setup/hostile.js';

/**
 * Property (issue 19): an attacker behind the same IP as a resource server (a NAT, a shared
 * egress), sending whatever credentials for that resource server's client_id, with or
 * without a forged X-Forwarded-For, never gets in and never locks it out: the resource
 * server's right secret is answered 200 between any of the attacker's attempts.
 */
describe('hostile input: client authentication from a shared IP', () => {
  let t: TestApp;
  let rs: TestClient;
  let accessToken: string;

  beforeAll(async () => {
    // No TRUST_PROXY: everyone here is 127.0.0.1, and X-Forwarded-For must change nothing.
    t = await startTestApp({ CLIENT_AUTH_MAX_FAILURES: '3' });
    rs = await createClient(t, { grantTypes: ['client_credentials'], scopes: [], introspect: true });
    ({ access_token: accessToken } = await login(t, await createClient(t), await createUser(t)));
  });
  afterAll(async () => { await t.close(); });

  const attempt = fc.record({
    secret: hostileValue,
    how: fc.constantFrom('basic', 'post', 'none'),
    forwardedFor: fc.option(fc.constantFrom('203.0.113.9', '10.0.0.1', '127.0.0.2, 198.51.100.1', '::1'), { nil: undefined }),
  });

  function send(secret: string, how: string, forwardedFor: string | undefined) {
    const headers: Record<string, string> = forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor };
    const params: Record<string, string> = { token: accessToken };
    if (how === 'basic') headers.authorization = `Basic ${Buffer.from(`${rs.id}:${secret}`).toString('base64')}`;
    else params.client_id = rs.id;
    if (how === 'post') params.client_secret = secret;
    return postForm(t, '/oauth/introspect', params, headers);
  }

  it('refuses every wrong credential (401, then 429) and never the right one', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(attempt, { minLength: 1, maxLength: 8 }), async (attempts) => {
        for (const { secret, how, forwardedFor } of attempts) {
          if (secret === rs.secret) continue;
          const result = await send(secret, how, forwardedFor);
          expectClientError(result);
          expect([400, 401, 429]).toContain(result.status);
          const answer = await postForm(t, '/oauth/introspect', { token: accessToken }, { authorization: rs.basic, ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}) });
          expect({ status: answer.status, active: answer.body.active }).toEqual({ status: 200, active: true });
        }
      }),
      { numRuns: 25 },
    );
    // The attacker did run over its budget: the property was not vacuous.
    const over = await send('still-wrong', 'basic', '198.51.100.77');
    expect(over.status).toBe(429);
  });
});
