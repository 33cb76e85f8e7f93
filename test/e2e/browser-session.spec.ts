import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createClient, createUser, type TestClient, type TestUser } from '../factories/index.js';
import { launchChromium } from '../setup/chromium.js';
import { freePort, startTestApp, type TestApp } from '../setup/app.js';
import { FakeClock } from '../setup/clock.js';

/**
 * The cookie transport in a real browser (Debian's Chromium, headless). Three origins:
 * Tessera on http://localhost:P1, the SPA on http://localhost:P2 (another origin of the
 * same site, registered for the client) with a small resource server of its own, and
 * another site on http://127.0.0.1:P3. Chromium treats loopback http as a secure
 * context, so the Secure, __Secure- and __Host- cookies behave as they do over https.
 */

const REFRESH_COOKIE = '__Secure-tessera-refresh';
const asset = (name: string) => readFileSync(new URL(`./browser/${name}`, import.meta.url), 'utf8');

type Routes = Record<string, (request: IncomingMessage, response: ServerResponse) => void | Promise<void>>;

async function serve(routes: Routes): Promise<{ server: Server; port: number }> {
  const server = createServer((request, response) => {
    const handler = routes[new URL(request.url ?? '/', 'http://x').pathname];
    if (!handler) {
      response.writeHead(404).end();
      return;
    }
    Promise.resolve(handler(request, response)).catch(() => response.writeHead(500).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

function send(response: ServerResponse, status: number, type: string, body: string): void {
  response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
}

/** Tessera with ISSUER set to http://localhost:<the port it listens on>, retried if the port is taken meanwhile. */
async function startTessera(): Promise<{ t: TestApp; origin: string }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const origin = `http://localhost:${port}`;
    try {
      // The resource server checks exp against the real clock: Tessera's starts at real time.
      return { t: await startTestApp({ ISSUER: origin }, { port, clock: new FakeClock(Date.now()) }), origin };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 3) throw error;
    }
  }
}

interface Outcome {
  status: number;
  json?: Record<string, unknown>;
  error?: string;
}

describe('browser sessions in Chromium', () => {
  let t: TestApp;
  let tessera: string;
  let app: { server: Server; port: number };
  let elsewhere: { server: Server; port: number };
  let appOrigin: string;
  let client: TestClient;
  let user: TestUser;
  let browser: Browser;
  let context: BrowserContext;
  /** every refresh token the browser ever held, read from its cookie store */
  const refreshTokens = new Set<string>();
  /** every body the pages received from Tessera */
  const bodies: string[] = [];

  beforeAll(async () => {
    ({ t, origin: tessera } = await startTessera());
    const jwks = createRemoteJWKSet(new URL(`${t.url}/oauth/jwks`));
    app = await serve({
      '/': (_request, response) =>
        send(response, 200, 'text/html; charset=utf-8', asset('spa.html').replace('{{TESSERA}}', tessera).replace('{{CLIENT_ID}}', client.id)),
      '/spa.js': (_request, response) => send(response, 200, 'text/javascript; charset=utf-8', asset('spa.js')),
      // The page's own API, verifying access tokens offline as any resource server would.
      '/api/me': async (request, response) => {
        const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
        try {
          if (!bearer) throw new Error('no token');
          const { payload } = await jwtVerify(bearer, jwks, { issuer: t.config.issuer, audience: t.config.accessTokenAudience, typ: 'at+jwt' });
          send(response, 200, 'application/json', JSON.stringify({ sub: payload.sub, sid: payload.sid, scope: payload.scope }));
        } catch {
          send(response, 401, 'application/json', JSON.stringify({ error: 'invalid_token' }));
        }
      },
    });
    elsewhere = await serve({
      '/forge.html': (_request, response) => send(response, 200, 'text/html; charset=utf-8', asset('forge.html').replace('{{TESSERA}}', tessera)),
    });
    appOrigin = `http://localhost:${app.port}`;
    client = await createClient(t, { type: 'public', grantTypes: ['password', 'refresh_token'], scopes: ['read'], origins: [appOrigin] });
    user = await createUser(t);
    browser = await launchChromium();
    context = await browser.newContext();
    context.on('response', (response) => {
      if (response.url().startsWith(`${tessera}/`)) {
        response.text().then((text) => bodies.push(text), () => undefined);
      }
    });
  });

  afterAll(async () => {
    await browser?.close();
    for (const server of [app?.server, elsewhere?.server]) await new Promise((resolve) => server?.close(resolve));
    await t?.close();
  });

  async function openTab(): Promise<Page> {
    const page = await context.newPage();
    await page.goto(`${appOrigin}/`);
    await page.waitForFunction('"spa" in window');
    return page;
  }

  /** The refresh cookie in the browser's store (HttpOnly cookies included), remembered. */
  async function refreshCookie() {
    const cookies = await context.cookies(`${tessera}/auth/refresh`);
    const cookie = cookies.find((c) => c.name === REFRESH_COOKIE);
    if (cookie) refreshTokens.add(cookie.value);
    return cookie;
  }

  /** What the page's JavaScript can see of cookies never shows a refresh token. */
  async function expectHiddenFromScript(...pages: Page[]): Promise<void> {
    await refreshCookie();
    for (const page of pages) {
      const visible = await page.evaluate<string>('document.cookie');
      expect(visible).not.toContain(REFRESH_COOKIE);
      for (const token of refreshTokens) expect(visible).not.toContain(token);
    }
  }

  async function generations(sid: string): Promise<number[]> {
    const rows = await t.db.dataSource.query<Array<{ generation: number }>>(`SELECT generation FROM refresh_tokens WHERE family_id = $1 ORDER BY generation`, [sid]);
    return rows.map((row) => row.generation);
  }

  /** Calls a test hook of the page's SPA (window.spa, see browser/spa.js). */
  const call = <T = Outcome>(page: Page, hook: string, ...args: unknown[]): Promise<T> =>
    page.evaluate(
      ([name, rest]) => (globalThis as unknown as { spa: Record<string, (...a: unknown[]) => unknown> }).spa[name](...rest),
      [hook, args] as [string, unknown[]],
    ) as Promise<T>;

  it('logs in, refreshes from two tabs at once, calls an API, refuses another site, and logs out', async () => {
    const tabA = await openTab();
    expect(await call(tabA, 'start')).toMatchObject({ json: { loggedIn: false } });

    // Log in: the session lives in an HttpOnly cookie the page's script never sees.
    const login = await call(tabA, 'login', user.username, user.password);
    expect(login.status).toBe(200);
    expect(Object.keys(login.json!).sort()).toEqual(['access_token', 'expires_in', 'scope', 'token_type']);
    const cookie = await refreshCookie();
    expect(cookie).toMatchObject({ domain: 'localhost', path: '/auth', httpOnly: true, secure: true, sameSite: 'Strict' });
    expect(cookie!.expires - Date.now() / 1000).toBeGreaterThan(t.config.refreshIdleTtl - 60);
    expect(cookie!.expires - Date.now() / 1000).toBeLessThanOrEqual(t.config.refreshIdleTtl + 1);
    await expectHiddenFromScript(tabA);

    // The access token works at a resource server.
    const me = await call<{ status: number; json: Record<string, unknown> }>(tabA, 'api');
    expect(me).toMatchObject({ status: 200, json: { sub: user.user.id, scope: 'read' } });
    const sid = String(me.json.sid);

    // A second tab resumes the session from the cookie.
    const tabB = await openTab();
    expect(await call(tabB, 'start')).toMatchObject({ json: { loggedIn: true } });
    expect(await generations(sid)).toEqual([0, 1]);
    const shared = (await refreshCookie())!.value;

    // Both tabs refresh at the same instant, sending the same cookie: one rotates, the
    // other gets the same successor inside the grace window; neither is logged out. Two
    // requests that did not overlap after all (a busy machine) rotate twice: try again.
    let overlapped = false;
    for (let attempt = 1; attempt <= 3 && !overlapped; attempt++) {
      const before = (await generations(sid)).length;
      const at = Date.now() + 300;
      const [a, b] = await Promise.all([call(tabA, 'refreshAt', at), call(tabB, 'refreshAt', at)]);
      expect([a.status, b.status]).toEqual([200, 200]);
      overlapped = (await generations(sid)).length - before === 1;
    }
    expect(overlapped).toBe(true);
    const successor = (await refreshCookie())!.value;
    expect(successor).not.toBe(shared);
    for (const tab of [tabA, tabB]) {
      expect(await call(tab, 'api')).toMatchObject({ status: 200 });
      expect(await call(tab, 'loggedIn')).toBe(true);
    }
    const [stillA, stillB] = [await call(tabA, 'refresh'), await call(tabB, 'refresh')];
    expect([stillA.status, stillB.status]).toEqual([200, 200]);
    const [family] = await t.db.dataSource.query<Array<{ revoked_at: Date | null }>>(`SELECT revoked_at FROM families WHERE id = $1`, [sid]);
    expect(family.revoked_at).toBeNull();
    await expectHiddenFromScript(tabA, tabB);

    // Another site: its form POST reaches Tessera without the cookie and is refused; its
    // script cannot even send a credentialed request with the CSRF header.
    const before = (await refreshCookie())!.value;
    const forger = await context.newPage();
    await forger.goto(`http://127.0.0.1:${elsewhere.port}/forge.html`);
    const [forged] = await Promise.all([
      forger.waitForResponse((response) => response.url() === `${tessera}/auth/refresh`),
      forger.evaluate('document.forms[0].submit()'),
    ]);
    expect(forged.status()).toBe(403);
    const forgedHeaders = await forged.request().allHeaders();
    expect(forgedHeaders['sec-fetch-site']).toBe('cross-site');
    expect(forgedHeaders.cookie ?? '').not.toContain(REFRESH_COOKIE);
    const script = await context.newPage();
    await script.goto(`http://127.0.0.1:${elsewhere.port}/forge.html`);
    const scripted = await script.evaluate(async (target) => {
      try {
        const response = await fetch(`${target}/auth/refresh`, { method: 'POST', credentials: 'include', headers: { 'X-CSRF-Token': 'guess' } });
        return `answered ${response.status}`;
      } catch (error) {
        return `blocked: ${(error as Error).name}`;
      }
    }, tessera);
    expect(scripted).toBe('blocked: TypeError');
    expect((await refreshCookie())!.value).toBe(before);
    expect((await call(tabA, 'refresh')).status).toBe(200);

    // Log out from one tab: the family is revoked, the cookie gone, the other tab out too.
    expect((await call(tabA, 'logout')).status).toBe(204);
    expect(await refreshCookie()).toBeUndefined();
    const [ended] = await t.db.dataSource.query<Array<{ revoked_reason: string | null }>>(`SELECT revoked_reason FROM families WHERE id = $1`, [sid]);
    expect(ended.revoked_reason).toBe('logout');
    expect(await call(tabB, 'refresh')).toMatchObject({ status: 400, error: 'invalid_grant' });
    expect(await call(tabB, 'start')).toMatchObject({ json: { loggedIn: false } });
    await expectHiddenFromScript(tabA, tabB);

    // No body the pages received ever carried a refresh token.
    expect(refreshTokens.size).toBeGreaterThanOrEqual(4);
    for (const body of bodies) for (const token of refreshTokens) expect(body).not.toContain(token);
    expect(bodies.length).toBeGreaterThan(5);
  });

  it("the SPA's api() refreshes once when the access token has expired", async () => {
    const tab = await openTab();
    // Tokens issued 400 s ago are past their 300 s lifetime.
    t.clock.advance(-400);
    expect((await call(tab, 'login', user.username, user.password)).status).toBe(200);
    t.clock.advance(400);
    const before = (await refreshCookie())!.value;
    expect(await call(tab, 'api')).toMatchObject({ status: 200, json: { sub: user.user.id } });
    expect((await refreshCookie())!.value).not.toBe(before);
    expect((await call(tab, 'logout')).status).toBe(204);
  });
});
