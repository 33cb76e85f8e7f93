import { rows } from '../factories/admin.js';
import { createClient, createUser, postForm } from '../factories/index.js';
import { jwtClaims } from '../factories/resource-server.js';
import { startTestApp, type TestApp } from '../setup/app.js';

// The test's requests come from 127.0.0.1; the client wrote the first entry, a proxy the second.
const FORWARDED = '198.51.100.9, 203.0.113.7';

/** README "Client IPs": the address the session records and the throttles count, per TRUST_PROXY. */
describe('TRUST_PROXY: which address is the client', () => {
  async function withApp<T>(env: Record<string, string>, use: (t: TestApp) => Promise<T>): Promise<T> {
    const t = await startTestApp(env);
    try {
      return await use(t);
    } finally {
      await t.close();
    }
  }

  async function recordedIp(t: TestApp): Promise<string> {
    const app = await createClient(t);
    const user = await createUser(t);
    const result = await postForm(
      t,
      '/oauth/token',
      { grant_type: 'password', username: user.username, password: user.password },
      { authorization: app.basic, 'x-forwarded-for': FORWARDED },
    );
    expect(result.status).toBe(200);
    const [family] = await rows<{ ip: string }>(t, 'SELECT ip FROM families WHERE id = $1', [jwtClaims(String(result.body.access_token)).sid]);
    return family.ip;
  }

  it.each([
    ['unset: the socket peer', {}, '127.0.0.1'],
    ['1 hop: what the nearest proxy saw', { TRUST_PROXY: '1' }, '203.0.113.7'],
    ['2 hops', { TRUST_PROXY: '2' }, '198.51.100.9'],
    ['the peer listed: the entry before it', { TRUST_PROXY: '127.0.0.1' }, '203.0.113.7'],
    ['peer and proxy listed by CIDR', { TRUST_PROXY: 'loopback, 203.0.113.0/24' }, '198.51.100.9'],
    ['an untrusted peer: X-Forwarded-For is ignored', { TRUST_PROXY: '10.0.0.0/8, fd00::/8' }, '127.0.0.1'],
  ])('%s', async (_what, env, ip) => {
    expect(await withApp(env, recordedIp)).toBe(ip);
  });

  it('a peer that is not a trusted proxy gains nothing by rotating X-Forwarded-For: its failures share one budget', async () => {
    await withApp({ TRUST_PROXY: '10.0.0.0/8', CLIENT_AUTH_MAX_FAILURES: '3' }, async (t) => {
      const target = await createClient(t);
      const wrong = (i: number) =>
        postForm(t, '/oauth/token', { grant_type: 'client_credentials', client_id: target.id, client_secret: `wrong-${i}` }, {
          'x-forwarded-for': `192.0.2.${i}`,
        });
      for (let i = 1; i <= 3; i++) expect((await wrong(i)).status).toBe(401);
      const refused = await wrong(4);
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    });
  });
});
