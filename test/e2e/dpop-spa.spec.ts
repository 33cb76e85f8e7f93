import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { tesseraMiddleware, type RequestWithPrincipal } from '../../packages/resource-server/src/express.js';
import { ResourceServer } from '../../packages/resource-server/src/resource-server.js';
import { createClient, createUser, type TestClient, type TestUser } from '../factories/index.js';
import { jwtClaims } from '../factories/resource-server.js';
import { startAtOwnIssuer, type TestApp } from '../setup/app.js';
import { launchChromium } from '../setup/chromium.js';
import { ROOT } from '../setup/processes.js';

const AUDIENCE = 'https://orders.example';
const GUIDE_HEADING = '### A SPA with DPoP: the code flow, tokens bound to a non-extractable key';

/** The README's SPA code, as published: the first ```js block under its heading. */
function guideCode(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf(GUIDE_HEADING));
  const code = /```js\n([\s\S]*?)```/.exec(section)?.[1];
  if (!code) throw new Error('the README has no SPA DPoP code block');
  return code;
}

/** The test's hooks around the guide's module: each returns plain data to assert on. */
const HOOKS = `
import { api, callback, keyPair, login, refresh, thumbprint } from '/dpop-spa.js';
const outcome = (promise) => promise.then((json) => ({ ok: true, json }), (error) => ({ ok: false, status: error.status ?? 0, error: error.message }));
const kv = (mode, act) => new Promise((resolve, reject) => {
  const open = indexedDB.open('tessera-dpop', 1);
  open.onupgradeneeded = () => open.result.createObjectStore('kv');
  open.onsuccess = () => { const request = act(open.result.transaction('kv', mode).objectStore('kv')); request.onsuccess = () => resolve(request.result); request.onerror = () => reject(request.error); };
  open.onerror = () => reject(open.error);
});
window.spa = {
  login: () => login(),
  refresh: () => outcome(refresh()),
  api: async () => { const response = await api('/api/me'); return { status: response.status, json: await response.json() }; },
  thumbprint: () => thumbprint(),
  privateKey: async () => {
    const { privateKey } = await keyPair();
    const exported = await crypto.subtle.exportKey('jwk', privateKey).then(() => 'exported', (error) => error.name);
    return { extractable: privateKey.extractable, type: privateKey.type, algorithm: privateKey.algorithm, exported };
  },
  refreshToken: () => kv('readonly', (store) => store.get('refresh')),
  plantRefreshToken: (token) => kv('readwrite', (store) => store.put(token, 'refresh')),
};
window.loginResult = location.pathname === '/callback' ? outcome(callback()) : undefined;
`;

const PAGE = '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>SPA</title><script type="module" src="/app.js"></script></head><body><p>SPA</p></body></html>';

type Hooks = Record<string, (argument?: string) => Promise<unknown>>;

/** Calls one of the page's test hooks (window.spa) and resolves to what it returned. */
function hook<T>(page: Page, name: string, argument?: string): Promise<T> {
  return page.evaluate(([hookName, value]) => (globalThis as unknown as { spa: Hooks }).spa[hookName](value), [name, argument] as const) as Promise<T>;
}

type TokenOutcome = { ok: boolean; json: Record<string, string> };

/**
 * The README's DPoP SPA in Chromium: a page on a registered origin makes a non-extractable
 * ES256 key, keeps it in IndexedDB, runs the code flow with DPoP (the nonce retry
 * included), reloads, refreshes with the same key, and calls an API that verifies proofs
 * with @tessera/resource-server; the refresh token copied into another browser is refused.
 */
describe('the DPoP SPA of the README, in Chromium', () => {
  let t: TestApp;
  let spaServer: Server;
  let origin: string;
  let spa: TestClient;
  let user: TestUser;
  let browser: Browser;
  /** statuses of POST /oauth/token, in order, per page */
  const tokenStatuses = new Map<Page, number[]>();

  /** The server's clock is a fake one started at real time: the browser's proofs use the real one. */
  const catchUp = () => t.clock.advance((Date.now() - t.clock.now()) / 1000);

  beforeAll(async () => {
    t = await startAtOwnIssuer({});
    const api = new ResourceServer({ issuer: t.config.issuer, audience: AUDIENCE });
    const guard = tesseraMiddleware(api, { scopes: ['read'] });
    let module = '';
    spaServer = createServer((request: RequestWithPrincipal, response) => {
      const path = new URL(request.url ?? '/', 'http://spa').pathname;
      if (path === '/api/me') {
        return guard(request, response, () => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ client: request.principal?.clientId, boundKey: request.principal?.boundKey })));
      }
      const [type, body] = path === '/dpop-spa.js' ? ['text/javascript', module] : path === '/app.js' ? ['text/javascript', HOOKS] : ['text/html; charset=utf-8', PAGE];
      response.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
    });
    await new Promise<void>((resolve) => spaServer.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(spaServer.address() as AddressInfo).port}`;
    spa = await createClient(t, {
      type: 'public',
      grantTypes: ['authorization_code', 'refresh_token'],
      scopes: ['read'],
      redirectUris: [`${origin}/callback`],
      origins: [origin],
      audience: AUDIENCE,
      requireDpop: true,
      firstParty: true,
    });
    // Only the two values a reader would change; the rest runs as published.
    const code = guideCode();
    module = code.replace("'https://login.example.com'", JSON.stringify(t.config.issuer)).replace("CLIENT_ID = 'spa'", `CLIENT_ID = ${JSON.stringify(spa.id)}`);
    expect(module).not.toContain('login.example.com');
    expect(module).toContain(`CLIENT_ID = ${JSON.stringify(spa.id)}`);
    user = await createUser(t);
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => spaServer?.close(resolve));
    await t?.close();
  });

  async function openPage(context: Awaited<ReturnType<Browser['newContext']>>): Promise<Page> {
    const page = await context.newPage();
    const statuses: number[] = [];
    tokenStatuses.set(page, statuses);
    page.on('response', (response) => {
      if (response.url() === `${t.config.issuer}/oauth/token` && response.request().method() === 'POST') statuses.push(response.status());
    });
    await page.goto(`${origin}/`);
    await page.waitForFunction('"spa" in window');
    return page;
  }

  /** The statuses of the token requests since the last call. */
  function takeStatuses(page: Page): number[] {
    const statuses = tokenStatuses.get(page)!;
    return statuses.splice(0, statuses.length);
  }

  it('code flow, reload, refresh and API call with one non-extractable key from IndexedDB; a stolen refresh token is refused', async () => {
    catchUp();
    const context = await browser.newContext();
    const page = await openPage(context);

    const jkt = await hook<string>(page, 'thumbprint');
    const key = await hook(page, 'privateKey');
    expect(key).toEqual({ extractable: false, type: 'private', algorithm: { name: 'ECDSA', namedCurve: 'P-256' }, exported: 'InvalidAccessError' });

    // Login: Tessera's page, then back to /callback, where the guide redeems the code.
    await page.evaluate(() => void (globalThis as unknown as { spa: Hooks }).spa.login());
    await page.getByLabel('Username').waitFor();
    const authorize = new URL(page.url());
    expect(authorize.origin).toBe(t.config.issuer);
    await page.getByLabel('Username').fill(user.username);
    await page.getByLabel('Password').fill(user.password);
    catchUp();
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${origin}/`);
    const login = (await page.evaluate(() => (globalThis as unknown as { loginResult: Promise<unknown> }).loginResult)) as TokenOutcome;
    expect(login).toMatchObject({ ok: true, json: { token_type: 'DPoP', scope: 'read' } });
    expect(jwtClaims(login.json.access_token).cnf).toEqual({ jkt });
    // The first proof had no nonce: 400 use_dpop_nonce, then the retry with DPoP-Nonce.
    expect(takeStatuses(page)).toEqual([400, 200]);

    const called = await hook(page, 'api');
    expect(called).toEqual({ status: 200, json: { client: spa.id, boundKey: jkt } });

    // A reload loses the page's memory; the key and the refresh token are in IndexedDB.
    await page.reload();
    await page.waitForFunction('"spa" in window');
    expect(await hook(page, 'thumbprint')).toBe(jkt);
    catchUp();
    const refreshed = await hook<TokenOutcome>(page, 'refresh');
    expect(refreshed).toMatchObject({ ok: true, json: { token_type: 'DPoP' } });
    expect(jwtClaims(refreshed.json.access_token).cnf).toEqual({ jkt });
    expect(refreshed.json.refresh_token).not.toBe(login.json.refresh_token);
    expect(takeStatuses(page)).toEqual([400, 200]);

    // The refresh token copied into another browser, with its own key: refused, the owner's session untouched.
    const stolen = await hook<string>(page, 'refreshToken');
    const thiefContext = await browser.newContext();
    const thief = await openPage(thiefContext);
    await hook(thief, 'plantRefreshToken', stolen);
    expect(await hook(thief, 'thumbprint')).not.toBe(jkt);
    catchUp();
    expect(await hook(thief, 'refresh')).toEqual({ ok: false, status: 400, error: 'invalid_grant' });
    await thiefContext.close();

    const again = await hook<TokenOutcome>(page, 'refresh');
    expect(again).toMatchObject({ ok: true, json: { token_type: 'DPoP' } });
    await context.close();
  });
});
