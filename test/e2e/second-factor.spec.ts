import type { Browser } from 'playwright-core';
import { authorizationParams, pkce } from '../factories/authorization.js';
import { createClient, createUser, postForm, type TestClient, type TestUser } from '../factories/index.js';
import { jwtClaims } from '../factories/resource-server.js';
import { totpCode } from '../../src/second-factor/totp.js';
import { startAtOwnIssuer, type TestApp } from '../setup/app.js';
import { type LandingPage, launchChromium, screenshot, startLandingPage } from '../setup/chromium.js';

/**
 * TOTP as a user meets it, in Debian's Chromium (headless): set it up on the account page
 * (the test plays the authenticator app with the secret the page shows), sign out, sign in
 * with the password and a code, and the client's ID token says so.
 */
describe('the TOTP second factor in Chromium', () => {
  let t: TestApp;
  let app: LandingPage;
  let appOrigin: string;
  let browser: Browser;
  let portal: TestClient;
  let user: TestUser;

  beforeAll(async () => {
    t = await startAtOwnIssuer({});
    app = await startLandingPage();
    appOrigin = app.origin;
    portal = await createClient(t, { id: 'portal', grantTypes: ['authorization_code', 'refresh_token'], redirectUris: [`${appOrigin}/cb`], scopes: ['read'], firstParty: true });
    user = await createUser(t, { username: 'bob' });
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await t?.close();
  });

  it('set up TOTP on the account page, sign out, sign in with password and code: amr has otp and mfa', async () => {
    const context = await browser.newContext({ viewport: { width: 760, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${t.url}/account`);
    await page.getByLabel('Username').fill(user.username);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { name: 'Your account' }).waitFor();

    await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
    await page.getByRole('heading', { name: 'Set up two-step verification' }).waitFor();
    expect(await page.locator('figure.qr svg').isVisible()).toBe(true);
    const secret = (await page.locator('#totp-secret').textContent())!;
    expect(await page.locator('#totp-uri').textContent()).toContain(`secret=${secret}`);
    await screenshot(page, 'totp-enrolment.png');
    await page.getByLabel('Code from the app').fill(totpCode(secret, t.clock.now()));
    await page.getByRole('button', { name: 'Turn on' }).click();
    await page.getByRole('heading', { name: 'Your recovery codes' }).waitFor();
    expect(await page.locator('#recovery-codes li').count()).toBe(10);

    await page.goto(`${t.url}/account`);
    expect(await page.locator('section[aria-labelledby="totp-title"]').textContent()).toContain('10 recovery code(s) left');
    await page.getByRole('button', { name: 'Sign out' }).click();
    expect(await page.getByRole('status').textContent()).toBe('You are signed out.');

    // The app shows the next code 30 seconds later: the one used to set up is never accepted again.
    t.clock.advance(30);
    const { verifier, challenge } = pkce();
    await page.goto(`${t.url}/oauth/authorize?${new URLSearchParams(authorizationParams(portal, challenge, { scope: 'openid read', nonce: 'n-7' })).toString()}`);
    await page.getByLabel('Username').fill(user.username);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { name: 'Two-step verification' }).waitFor();
    await page.getByLabel('Authentication code').fill('000000' === totpCode(secret, t.clock.now()) ? '111111' : '000000');
    await page.getByRole('button', { name: 'Verify' }).click();
    expect(await page.getByRole('alert').textContent()).toContain('That code is not right');
    await screenshot(page, 'totp-step.png');
    await page.getByLabel('Authentication code').fill(totpCode(secret, t.clock.now()));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.locator('#done').waitFor();

    const code = new URL(page.url()).searchParams.get('code')!;
    const exchanged = await postForm(t, '/oauth/token', { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: `${appOrigin}/cb` },
      { authorization: portal.basic });
    expect(exchanged.status).toBe(200);
    const idToken = jwtClaims(exchanged.body.id_token as string);
    expect(idToken.amr).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa']));
    expect(idToken.nonce).toBe('n-7');
    await context.close();
  });
});
