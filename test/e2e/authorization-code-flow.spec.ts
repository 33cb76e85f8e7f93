import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import * as oauth from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { Browser, Page } from 'playwright-core';
import { SessionRevoker } from '../../src/sessions/session-revoker.service.js';
import { createClient, createUser, type TestClient, type TestUser } from '../factories/index.js';
import { startAtOwnIssuer, type TestApp } from '../setup/app.js';
import { eventually } from '../setup/faults.js';
import { launchChromium } from '../setup/chromium.js';

/** Set to a directory to keep the screenshots of the login and consent pages (the README's come from here). */
const SCREENSHOTS = process.env.TESSERA_SCREENSHOTS;

interface Login {
  readonly verifier: string;
  readonly state: string;
  readonly config: oauth.Configuration;
}

/**
 * The authorization code flow as a user meets it: Debian's Chromium (headless) drives a
 * relying party built on openid-client, on its own origin, through Tessera's hosted
 * login and consent pages. The relying party does what the library's documentation
 * says: PKCE S256, state, its own code exchange (which checks iss, RFC 9207) and refresh.
 */
describe('the authorization code flow in Chromium with an openid-client relying party', () => {
  let t: TestApp;
  let rp: Server;
  let rpOrigin: string;
  let browser: Browser;
  let shop: TestClient;
  let portal: TestClient;
  let notes: TestClient;
  let news: TestClient;
  let user: TestUser;
  /** logout tokens POSTed to the relying party's back-channel logout endpoint */
  const logoutTokens: string[] = [];
  const configs = new Map<string, oauth.Configuration>();
  const pending = new Map<string, Login>();
  /** what the relying party got at its callback, by state */
  const outcomes = new Map<string, { tokens?: oauth.TokenEndpointResponse; error?: string }>();
  /** the states the relying party's post-logout URI was called with */
  const signedOut: string[] = [];

  beforeAll(async () => {
    t = await startAtOwnIssuer({});
    rp = createServer((request, response) => {
      if (request.method === 'POST' && request.url === '/backchannel-logout') {
        let body = '';
        request.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        request.on('end', () => {
          logoutTokens.push(new URLSearchParams(body).get('logout_token') ?? '');
          response.writeHead(200, { 'cache-control': 'no-store' }).end();
        });
        return;
      }
      void relyingParty(new URL(request.url ?? '/', rpOrigin)).then(
        ({ status, location, body }) => response.writeHead(status, { 'content-type': 'text/html; charset=utf-8', ...(location ? { location } : {}) }).end(body),
        (error: unknown) => response.writeHead(500, { 'content-type': 'text/plain' }).end(String(error)),
      );
    });
    await new Promise<void>((resolve) => rp.listen(0, '127.0.0.1', resolve));
    rpOrigin = `http://127.0.0.1:${(rp.address() as AddressInfo).port}`;
    const redirectUris = [`${rpOrigin}/cb`];
    shop = await createClient(t, { id: 'photo-app', type: 'public', grantTypes: ['authorization_code', 'refresh_token'], redirectUris, scopes: ['read', 'write'] });
    portal = await createClient(t, { id: 'portal', grantTypes: ['authorization_code', 'refresh_token'], redirectUris, scopes: ['read'], firstParty: true });
    notes = await createClient(t, {
      id: 'notes',
      type: 'public',
      grantTypes: ['authorization_code', 'refresh_token'],
      redirectUris,
      postLogoutRedirectUris: [`${rpOrigin}/bye`],
      scopes: ['read'],
      firstParty: true,
    });
    news = await createClient(t, {
      id: 'news',
      grantTypes: ['authorization_code', 'refresh_token'],
      redirectUris,
      scopes: ['read'],
      firstParty: true,
      backchannelLogoutUri: `${rpOrigin}/backchannel-logout`,
    });
    user = await createUser(t, { username: 'alice' });
    // An OpenID relying party: the OIDC discovery document tells it how ID tokens are signed.
    configs.set(news.id, await oauth.discovery(new URL(t.url), news.id, news.secret, oauth.ClientSecretBasic(news.secret ?? ''), { execute: [oauth.allowInsecureRequests] }));
    for (const [client, auth] of [[shop, oauth.None()], [portal, oauth.ClientSecretBasic(portal.secret ?? '')]] as const) {
      configs.set(client.id, await oauth.discovery(new URL(t.url), client.id, client.secret, auth, { algorithm: 'oauth2', execute: [oauth.allowInsecureRequests] }));
    }
    // An OpenID Connect relying party: the library's default discovery, which finds end_session_endpoint.
    configs.set(notes.id, await oauth.discovery(new URL(t.url), notes.id, undefined, oauth.None(), { execute: [oauth.allowInsecureRequests] }));
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => rp?.close(resolve));
    await t?.close();
  });

  /**
   * /login?client=…&scope=…&prompt=… starts a login; /cb finishes it with openid-client;
   * /logout?login=<state>[&hint=no] sends the browser to Tessera's end_session_endpoint
   * (with that login's ID token as the hint, unless hint=no); /bye is the post-logout URI.
   */
  async function relyingParty(url: URL): Promise<{ status: number; location?: string; body: string }> {
    if (url.pathname === '/logout') {
      const idToken = outcomes.get(url.searchParams.get('login') ?? '')!.tokens!.id_token!;
      const parameters: Record<string, string> = { post_logout_redirect_uri: `${rpOrigin}/bye`, state: oauth.randomState() };
      if (url.searchParams.get('hint') !== 'no') parameters.id_token_hint = idToken;
      return { status: 302, location: oauth.buildEndSessionUrl(configs.get(notes.id)!, parameters).href, body: '' };
    }
    if (url.pathname === '/bye') {
      signedOut.push(url.searchParams.get('state') ?? '');
      return { status: 200, body: '<p id="bye">signed out</p>' };
    }
    if (url.pathname === '/login') {
      const config = configs.get(url.searchParams.get('client')!)!;
      const verifier = oauth.randomPKCECodeVerifier();
      const state = oauth.randomState();
      pending.set(state, { verifier, state, config });
      const parameters: Record<string, string> = {
        redirect_uri: `${rpOrigin}/cb`,
        scope: url.searchParams.get('scope') ?? 'read',
        code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
      };
      if (url.searchParams.has('prompt')) parameters.prompt = url.searchParams.get('prompt')!;
      return { status: 302, location: oauth.buildAuthorizationUrl(config, parameters).href, body: '' };
    }
    const state = url.searchParams.get('state') ?? '';
    const login = pending.get(state);
    if (!login) return { status: 400, body: 'unknown state' };
    try {
      const tokens = await oauth.authorizationCodeGrant(login.config, url, { pkceCodeVerifier: login.verifier, expectedState: state });
      outcomes.set(state, { tokens });
      return { status: 200, body: `<p id="done">signed in: ${tokens.scope}</p>` };
    } catch (error) {
      const code = (error as { error?: string }).error ?? String(error);
      outcomes.set(state, { error: code });
      return { status: 200, body: `<p id="failed">${code}</p>` };
    }
  }

  /** The state of the login the page's last navigation to the relying party finished. */
  function lastOutcome(page: Page) {
    const state = new URL(page.url()).searchParams.get('state')!;
    return outcomes.get(state)!;
  }

  async function shoot(page: Page, name: string): Promise<void> {
    if (!SCREENSHOTS) return;
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, name), fullPage: true });
  }

  it('authorize → login → consent → code exchange → refresh; a second client without password; deny; prompt=none', async () => {
    const context = await browser.newContext({ viewport: { width: 720, height: 640 } });
    const page = await context.newPage();

    await page.goto(`${rpOrigin}/login?client=${shop.id}`);
    expect(new URL(page.url()).origin).toBe(t.url);
    expect(await page.getByLabel('Username').count()).toBe(1);
    await page.getByLabel('Username').fill(user.username);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    expect(await page.getByRole('alert').textContent()).toBe('Wrong username or password.');
    await page.getByLabel('Password').fill('');
    await shoot(page, 'login-page.png');

    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('button', { name: 'Allow' }).waitFor();
    expect(await page.locator('main').textContent()).toContain(shop.id);
    await shoot(page, 'consent-page.png');

    await page.getByRole('button', { name: 'Allow' }).click();
    await page.locator('#done').waitFor();
    const first = lastOutcome(page).tokens!;
    expect(first.scope).toBe('read');
    expect(first.refresh_token).toBeDefined();
    const refreshed = await oauth.refreshTokenGrant(configs.get(shop.id)!, first.refresh_token!);
    expect(refreshed.access_token).not.toBe(first.access_token);

    // The login session spares the password; a first-party client asks no consent.
    await page.goto(`${rpOrigin}/login?client=${portal.id}`);
    await page.locator('#done').waitFor();
    expect(lastOutcome(page).tokens!.access_token).toBeDefined();

    // A wider scope asks again; Deny is access_denied at the relying party.
    await page.goto(`${rpOrigin}/login?client=${shop.id}&scope=read%20write`);
    await page.getByRole('button', { name: 'Deny' }).click();
    await page.locator('#failed').waitFor();
    expect(lastOutcome(page).error).toBe('access_denied');

    // Remembered consent: prompt=none gets a code without any page.
    await page.goto(`${rpOrigin}/login?client=${shop.id}&prompt=none`);
    await page.locator('#done').waitFor();
    await context.close();

    // A browser without a session: prompt=none is login_required.
    const stranger = await browser.newContext();
    const other = await stranger.newPage();
    await other.goto(`${rpOrigin}/login?client=${portal.id}&prompt=none`);
    await other.locator('#failed').waitFor();
    expect(lastOutcome(other).error).toBe('login_required');
    await stranger.close();
  });

  it('RP-initiated logout: the RP sends the browser to end_session_endpoint, which ends the session and its families, and comes back with state', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const signIn = async () => {
      await page.goto(`${rpOrigin}/login?client=${notes.id}&scope=openid%20read`);
      if (new URL(page.url()).origin === t.url) {
        await page.getByLabel('Username').fill(user.username);
        await page.getByLabel('Password').fill(user.password);
        await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      }
      await page.locator('#done').waitFor();
      return new URL(page.url()).searchParams.get('state')!;
    };
    const config = configs.get(notes.id)!;
    expect(config.serverMetadata().end_session_endpoint).toBe(`${t.url}/oauth/logout`);

    // With the ID token as hint, the logout needs no question: straight back to the RP.
    const login = await signIn();
    const tokens = outcomes.get(login)!.tokens!;
    expect(tokens.id_token).toBeDefined();
    await page.goto(`${rpOrigin}/logout?login=${login}`);
    await page.locator('#bye').waitFor();
    const back = new URL(page.url());
    expect(`${back.origin}${back.pathname}`).toBe(`${rpOrigin}/bye`);
    expect(back.searchParams.get('state')).toBe(signedOut.at(-1));
    expect(signedOut.at(-1)).toMatch(/.{20,}/);
    await expect(oauth.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    // The browser's Tessera session is gone too: prompt=none cannot sign in silently.
    await page.goto(`${rpOrigin}/login?client=${notes.id}&prompt=none`);
    await page.locator('#failed').waitFor();
    expect(lastOutcome(page).error).toBe('login_required');

    // Without a hint Tessera asks; the confirmation's post redirects to the RP (CSP form-action allows it).
    const again = await signIn();
    await page.goto(`${rpOrigin}/logout?login=${again}&hint=no`);
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    expect(new URL(page.url()).origin).toBe(t.url);
    const before = await oauth.refreshTokenGrant(config, outcomes.get(again)!.tokens!.refresh_token!);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.locator('#bye').waitFor();
    expect(new URL(page.url()).searchParams.get('state')).toBe(signedOut.at(-1));
    await expect(oauth.refreshTokenGrant(config, before.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    await context.close();
  });

  it('a relying party registered for back-channel logout gets one logout token for its login session, verifiable with the JWKS', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${rpOrigin}/login?client=${news.id}&scope=openid%20read`);
    await page.getByLabel('Username').fill(user.username);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.locator('#done, #failed').first().waitFor();
    expect(await page.locator('body').textContent()).toContain('signed in');
    const idToken = lastOutcome(page).tokens!.id_token!;
    // A second sign-in of the same browser: another session of the client, the same sid.
    await page.goto(`${rpOrigin}/login?client=${news.id}&scope=openid%20read&prompt=none`);
    await page.locator('#done').waitFor();
    const sidOf = (jwt: string) => (JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString()) as { sid: string }).sid;
    const sid = sidOf(idToken);
    expect(sidOf(lastOutcome(page).tokens!.id_token!)).toBe(sid);
    await context.close();

    logoutTokens.length = 0;
    await t.app.get(SessionRevoker).revokeAllOf(user.user.id, 'admin', 'admin:test');
    const [token] = await eventually('a logout token at the relying party', async () => (logoutTokens.length > 0 ? [...logoutTokens] : undefined));
    const { payload, protectedHeader } = await jwtVerify(token, createRemoteJWKSet(new URL(`${t.url}/oauth/jwks`)), {
      typ: 'logout+jwt',
      issuer: t.url,
      audience: news.id,
    });
    expect(protectedHeader.typ).toBe('logout+jwt');
    expect(payload).toMatchObject({ sub: user.user.id, sid, events: { 'http://schemas.openid.net/event/backchannel-logout': {} } });
    expect(payload).not.toHaveProperty('nonce');
    // Two sessions of one login session at one client: one token (the sender polls every second).
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(logoutTokens).toHaveLength(1);
  });

  it('the pages cannot be framed', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const authorize = oauth.buildAuthorizationUrl(configs.get(portal.id)!, {
      redirect_uri: `${rpOrigin}/cb`,
      code_challenge: await oauth.calculatePKCECodeChallenge(oauth.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    }).href;
    await page.goto(`${rpOrigin}/nothing`);
    const loaded = page.waitForEvent('framenavigated', (frame) => frame !== page.mainFrame());
    await page.setContent(`<iframe src="${authorize}"></iframe>`);
    const frame = await loaded;
    // frame-ancestors 'none': Chromium replaces the page with its own error page.
    expect(frame.url()).toMatch(/^chrome-error:/);
    expect(await frame.locator('input[name="password"]').count()).toBe(0);
    await context.close();
  });
});
