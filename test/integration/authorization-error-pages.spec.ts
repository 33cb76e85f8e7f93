import { rows } from '../factories/admin.js';
import { authorizationParams, PageAgent, type PageResult, pkce } from '../factories/authorization.js';
import { createClient, createUser, type TestClient, type TestUser } from '../factories/index.js';
import { startTestApp, type TestApp } from '../setup/app.js';

const ISSUER = 'http://tessera.test';
const SESSION_COOKIE = '__Host-tessera-session';
// What must never reach a person: a stack frame, SQL, the database's or a driver's words.
const LEAK = /\bat .+:\d+:\d+|\b(SELECT|INSERT|UPDATE|DELETE)\b|relation|postgres|QueryFailed|injected|trigger|Error:/i;

/**
 * The hosted pages' errors are pages for a person, never JSON: an error in the form body
 * itself (which fails before the page's own handler runs) and a server error alike.
 */
describe('error pages of the authorization endpoint and the hosted pages', () => {
  let t: TestApp;
  let portal: TestClient;
  let shop: TestClient;
  let user: TestUser;

  beforeAll(async () => {
    t = await startTestApp({ ISSUER });
    portal = await createClient(t, { grantTypes: ['authorization_code'], redirectUris: ['https://portal.example.com/cb'], scopes: ['read'], firstParty: true });
    shop = await createClient(t, { type: 'public', grantTypes: ['authorization_code'], redirectUris: ['https://shop.example.com/cb'], scopes: ['read'] });
    user = await createUser(t);
    // A real database error on demand: the trigger whileInsertsFail puts on a table.
    await rows(
      t,
      `CREATE FUNCTION injected_fault() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'injected fault in %', TG_TABLE_NAME; END $$`,
    );
  });
  afterAll(async () => {
    await t.close();
  });

  function expectErrorPage(result: PageResult, status: number, code: string) {
    expect(result.status).toBe(status);
    expect(result.location).toBeUndefined();
    expect(result.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(result.headers.get('cache-control')).toBe('no-store');
    expect(result.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(result.text).toContain(`Error code: <code>${code}</code>`);
    expect(result.text).not.toMatch(LEAK);
  }

  async function pageOf(response: Response): Promise<PageResult> {
    return { status: response.status, headers: response.headers, text: await response.text(), setCookies: [], location: undefined };
  }

  const count = async (table: string) => (await rows<{ n: string }>(t, `SELECT count(*) AS n FROM ${table}`))[0].n;

  /** Runs `step` while every insert into `table` fails in the database, as a broken disk or a bug would make it. */
  async function whileInsertsFail<T>(table: string, step: () => Promise<T>): Promise<T> {
    await rows(t, `CREATE TRIGGER injected_fault BEFORE INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION injected_fault()`);
    try {
      return await step();
    } finally {
      await rows(t, `DROP TRIGGER injected_fault ON ${table}`);
    }
  }

  describe('POST /oauth/authorize with a form that cannot be read: the 400 page, never JSON or a redirect', () => {
    it.each<[string, (form: string) => string]>([
      ['a repeated parameter', (form) => `${form}&redirect_uri=${encodeURIComponent('https://evil.example/cb')}`],
      ['a repeated scope', (form) => `${form}&scope=read&scope=write`],
      ['a bracketed name', (form) => `${form}&scope[]=read`],
      ['bytes that are not UTF-8', (form) => `${form}&state=%FF%FE`],
    ])('%s', async (_case, change) => {
      const before = await count('authorization_codes');
      const form = new URLSearchParams(authorizationParams(portal, pkce().challenge)).toString();
      const posted = await fetch(`${t.url}/oauth/authorize`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: change(form),
        redirect: 'manual',
      });
      const page = await pageOf(posted);
      expectErrorPage(page, 400, 'invalid_request');
      expect(page.text).not.toContain('evil.example');
      expect(await count('authorization_codes')).toBe(before);
    });

    it('the same form read correctly is the login page', async () => {
      const result = await new PageAgent(t).post('/oauth/authorize', authorizationParams(portal, pkce().challenge));
      expect(result.status).toBe(200);
      expect(result.text).toContain('name="password"');
    });
  });

  it('a login post with a repeated field is the 400 page and logs no one in', async () => {
    const form = new URLSearchParams({ username: user.username, password: user.password }).toString();
    const repeated = await fetch(`${t.url}/interaction/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(ISSUER).origin, 'sec-fetch-site': 'same-origin' },
      body: `${form}&password=${encodeURIComponent(user.password)}`,
      redirect: 'manual',
    });
    expectErrorPage(await pageOf(repeated), 400, 'invalid_request');
    expect(repeated.headers.getSetCookie().join()).not.toContain(SESSION_COOKIE);
  });

  describe('a server error is the 500 page, with no detail', () => {
    it('on the login post', async () => {
      const agent = new PageAgent(t);
      const login = await agent.authorize(authorizationParams(portal, pkce().challenge));
      const before = await count('login_sessions');
      const result = await whileInsertsFail('login_sessions', () => agent.login(login, user));
      expectErrorPage(result, 500, 'server_error');
      expect(agent.jar.has(SESSION_COOKIE)).toBe(false);
      expect(await count('login_sessions')).toBe(before);
    });

    it('on the consent post', async () => {
      const agent = new PageAgent(t);
      const consent = await agent.login(await agent.authorize(authorizationParams(shop, pkce().challenge)), user);
      expect(consent.status).toBe(200);
      const result = await whileInsertsFail('consents', () => agent.submit(consent, { decision: 'allow' }));
      expectErrorPage(result, 500, 'server_error');
      expect(await rows(t, `SELECT * FROM consents WHERE client_id = $1`, [shop.id])).toEqual([]);
    });

    it('on GET /oauth/authorize with a login session', async () => {
      const agent = new PageAgent(t);
      const first = await agent.login(await agent.authorize(authorizationParams(portal, pkce().challenge)), user);
      expect(first.status).toBe(303);
      const before = await count('authorization_codes');
      const result = await whileInsertsFail('authorization_codes', () => agent.authorize(authorizationParams(portal, pkce().challenge)));
      expectErrorPage(result, 500, 'server_error');
      expect(await count('authorization_codes')).toBe(before);
      // The session survives the failure: the next authorization needs no password.
      expect((await agent.authorize(authorizationParams(portal, pkce().challenge))).status).toBe(302);
    });
  });
});
