import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { authorizationParams, pkce } from '../factories/authorization.js';
import { createClient, createUser, postForm, type TestClient, type TestUser, token } from '../factories/index.js';
import { ConsentStore } from '../../src/interaction/consent.js';
import { startAtOwnIssuer, type TestApp } from '../setup/app.js';
import { type LandingPage, launchChromium, startLandingPage } from '../setup/chromium.js';

/** Set to a directory to keep the screenshot of the account page (the README's comes from here). */
const SCREENSHOTS = process.env.TESSERA_SCREENSHOTS;

const sidOf = (accessToken: string) => (JSON.parse(Buffer.from(accessToken.split('.')[1], 'base64url').toString()) as { sid: string }).sid;

/**
 * The account page as a user meets it, in Debian's Chromium (headless): sign in from
 * /account, see the sessions, end one (its refresh token is dead at /oauth/token at
 * once), change the password.
 */
describe('the account page in Chromium', () => {
  let t: TestApp;
  let app: LandingPage;
  let appOrigin: string;
  let browser: Browser;
  let portal: TestClient;
  let phoneApp: TestClient;
  let user: TestUser;

  beforeAll(async () => {
    t = await startAtOwnIssuer({});
    app = await startLandingPage();
    appOrigin = app.origin;
    portal = await createClient(t, { id: 'portal', grantTypes: ['authorization_code', 'refresh_token'], redirectUris: [`${appOrigin}/cb`], scopes: ['read'], firstParty: true });
    phoneApp = await createClient(t, { id: 'phone-app', grantTypes: ['password', 'refresh_token'], scopes: ['read'] });
    const photos = await createClient(t, { id: 'photo-app', type: 'public', grantTypes: ['authorization_code'], redirectUris: [`${appOrigin}/cb`], scopes: ['read', 'write'] });
    user = await createUser(t, { username: 'alice' });
    await t.app.get(ConsentStore).grant(user.user.id, photos.id, ['read', 'write'], new Date(t.clock.now()));
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await t?.close();
  });

  async function shoot(page: Page, name: string): Promise<void> {
    if (!SCREENSHOTS) return;
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, name), fullPage: true });
  }

  /** The portal's authorization code flow in this browser's login session; the test redeems the code. */
  async function portalLogin(page: Page): Promise<Record<string, string>> {
    const { verifier, challenge } = pkce();
    await page.goto(`${t.url}/oauth/authorize?${new URLSearchParams(authorizationParams(portal, challenge, { scope: 'read' })).toString()}`);
    await page.locator('#done').waitFor();
    const code = new URL(page.url()).searchParams.get('code')!;
    // The portal's backend redeems the code: the session records its address and user agent.
    const exchanged = await postForm(t, '/oauth/token', { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: `${appOrigin}/cb` },
      { authorization: portal.basic, 'user-agent': 'portal-backend/1.4' });
    expect(exchanged.status).toBe(200);
    return exchanged.body as Record<string, string>;
  }

  /** A password-grant login of the phone app, as the phone sends it. */
  async function phoneLogin(): Promise<Record<string, string>> {
    const result = await postForm(t, '/oauth/token', { grant_type: 'password', username: user.username, password: user.password, scope: 'read' },
      { authorization: phoneApp.basic, 'user-agent': 'PhotoPhone/3.2 (Android 15; Pixel 9)' });
    expect(result.status).toBe(200);
    return result.body as Record<string, string>;
  }

  it('sign in at /account, end the phone\'s session, change the password', async () => {
    const phone = await phoneLogin();
    const context = await browser.newContext({ viewport: { width: 760, height: 900 } });
    const page = await context.newPage();

    await page.goto(`${t.url}/account`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.getByLabel('Username').fill(user.username);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { name: 'Your account' }).waitFor();

    const mine = await portalLogin(page);
    await page.goto(`${t.url}/account`);
    const sessions = page.locator('section[aria-labelledby="sessions-title"] li');
    expect(await sessions.count()).toBe(2);
    expect(await sessions.filter({ hasText: 'this browser' }).textContent()).toContain('portal');
    expect(await page.locator('section[aria-labelledby="consents-title"]').textContent()).toContain('photo-app');
    await shoot(page, 'account-page.png');

    await page.locator(`button[name="end_session"][value="${sidOf(phone.access_token)}"]`).click();
    expect(await page.getByRole('status').textContent()).toBe('The session was ended.');
    expect(await sessions.count()).toBe(1);
    expect((await token(t, phoneApp, { grant_type: 'refresh_token', refresh_token: phone.refresh_token })).body.error).toBe('invalid_grant');

    const tablet = await phoneLogin();
    await page.getByLabel('Current password').fill(user.password);
    await page.getByLabel('New password', { exact: true }).fill('correct horse battery staple');
    await page.getByLabel('New password again').fill('correct horse battery staple');
    await page.getByRole('button', { name: 'Change password' }).click();
    expect(await page.getByRole('status').textContent()).toContain('Your password was changed.');
    expect((await token(t, phoneApp, { grant_type: 'refresh_token', refresh_token: tablet.refresh_token })).body.error).toBe('invalid_grant');
    expect((await token(t, portal, { grant_type: 'refresh_token', refresh_token: mine.refresh_token })).status).toBe(200);
    expect((await token(t, phoneApp, { grant_type: 'password', username: user.username, password: 'correct horse battery staple' })).status).toBe(200);

    await page.getByRole('button', { name: 'Sign out' }).click();
    expect(await page.getByRole('status').textContent()).toBe('You are signed out.');
    await page.goto(`${t.url}/account`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await context.close();
  });
});
