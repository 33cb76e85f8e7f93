import type { Browser } from 'playwright-core';
import { rows } from '../factories/admin.js';
import { authorizationParams, pkce } from '../factories/authorization.js';
import { createClient, createUser, postForm, type TestClient, type TestUser } from '../factories/index.js';
import { startAtOwnIssuer, type TestApp } from '../setup/app.js';
import { type LandingPage, launchChromium, startLandingPage } from '../setup/chromium.js';

/** No conditional UI: the virtual authenticator would answer the login page's autofill request at once, signing in without the password. */
const NO_CONDITIONAL_UI = 'PublicKeyCredential.isConditionalMediationAvailable = () => Promise.resolve(false);';

/**
 * A passkey as the second factor, in Debian's Chromium with a virtual authenticator (the
 * DevTools protocol's WebAuthn domain): register it on the account page, sign out, then
 * sign in to a client with the password and the passkey as the second step.
 */
describe('a passkey as the second factor in Chromium', () => {
  let t: TestApp;
  let app: LandingPage;
  let browser: Browser;
  let portal: TestClient;
  let user: TestUser;

  beforeAll(async () => {
    t = await startAtOwnIssuer({}, 'localhost');
    app = await startLandingPage();
    portal = await createClient(t, { id: 'portal', grantTypes: ['authorization_code'], redirectUris: [`${app.origin}/cb`], scopes: ['openid', 'read'], firstParty: true });
    user = await createUser(t, { username: 'grace' });
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await t?.close();
  });

  it('asks for the passkey after the password, and the ID token says pwd hwk mfa', async () => {
    const context = await browser.newContext();
    context.setDefaultTimeout(20_000);
    const page = await context.newPage();
    await page.addInitScript(NO_CONDITIONAL_UI);
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable', { enableUI: false });
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });
    const issuer = t.config.issuer;

    // Register a passkey on the account page, signed in with the password alone (no second factor yet).
    await page.goto(`${issuer}/account`);
    await page.getByLabel('Username').fill(user.username);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { name: 'Your account' }).waitFor();
    await page.getByLabel('Passkey name').fill('Laptop');
    await page.getByLabel('Your password, to confirm').fill(user.password);
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    expect(await page.getByRole('status').textContent()).toBe('Your passkey was added. You can sign in with it now.');
    await page.getByRole('button', { name: 'Sign out' }).click();
    expect(await page.getByRole('status').textContent()).toBe('You are signed out.');

    // The portal's code flow: the password, then the passkey as the second step.
    const { verifier, challenge } = pkce();
    await page.goto(`${issuer}/oauth/authorize?${new URLSearchParams(authorizationParams(portal, challenge, { scope: 'openid read' })).toString()}`);
    await page.getByLabel('Username').fill(user.username);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { name: 'Two-step verification' }).waitFor();
    expect(await context.cookies()).not.toContainEqual(expect.objectContaining({ name: '__Host-tessera-session' }));
    expect(await page.locator('input[name="code"]').count()).toBe(0);
    await page.getByRole('button', { name: 'Use your passkey' }).click();
    await page.locator('#done').waitFor();

    const code = new URL(page.url()).searchParams.get('code')!;
    const exchanged = await postForm(t, '/oauth/token', { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: `${app.origin}/cb` }, { authorization: portal.basic });
    expect(exchanged.status).toBe(200);
    const idToken = (exchanged.body as Record<string, string>).id_token;
    const claims = JSON.parse(Buffer.from(idToken.split('.')[1], 'base64url').toString()) as { sub: string; amr: string[] };
    expect(claims).toMatchObject({ sub: user.user.id, amr: ['pwd', 'hwk', 'mfa'] });
    const [audited] = await rows<{ details: { amr: string } }>(t, `SELECT details FROM audit_events WHERE type = 'login_succeeded' AND user_id = $1 ORDER BY id DESC LIMIT 1`, [user.user.id]);
    expect(audited.details.amr).toBe('pwd hwk mfa');
    await context.close();
  });
});
