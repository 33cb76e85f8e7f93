import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { rows } from '../factories/admin.js';
import { authorizationParams, pkce } from '../factories/authorization.js';
import { createClient, createUser, postForm, type TestClient, type TestUser } from '../factories/index.js';
import { startAtOwnIssuer, type TestApp } from '../setup/app.js';
import { type LandingPage, launchChromium, startLandingPage } from '../setup/chromium.js';

/** Set to a directory to keep the screenshot of the account page's passkeys (the README's comes from here). */
const SCREENSHOTS = process.env.TESSERA_SCREENSHOTS;
const REFUSED = 'This passkey could not sign you in. Try again, or sign in with your password.';

/**
 * A browser without conditional UI: the virtual authenticator answers an autofill request at
 * once, as if the user had picked the passkey, so a page that must wait for the button (or
 * must not retry by itself after a refusal) is loaded without it.
 */
const NO_CONDITIONAL_UI = 'PublicKeyCredential.isConditionalMediationAvailable = () => Promise.resolve(false);';

const idTokenOf = (tokens: Record<string, string>) => JSON.parse(Buffer.from(tokens.id_token.split('.')[1], 'base64url').toString()) as { sub: string; amr: string[] };

/** A credential as the DevTools protocol's WebAuthn domain gives and takes it. */
interface VirtualCredential {
  credentialId: string;
  isResidentCredential: boolean;
  rpId: string;
  privateKey: string;
  userHandle?: string;
  signCount: number;
}

interface Authenticator {
  readonly cdp: CDPSession;
  readonly id: string;
}

/**
 * Passkeys as a user meets them, in Debian's Chromium with a virtual authenticator (the
 * DevTools protocol's WebAuthn domain: CTAP2, built in, resident keys, user verification):
 * register one on the account page, sign out, sign in with it and no password through an
 * authorization code flow; a copy of it whose counter lags (a clone) and an assertion made
 * for another RP ID are refused on the page. ISSUER is http://localhost:<port>: an RP ID
 * cannot be an IP address, and localhost is a secure context.
 */
describe('passkeys in Chromium', () => {
  let t: TestApp;
  let app: LandingPage;
  let appOrigin: string;
  let browser: Browser;
  let portal: TestClient;
  let user: TestUser;

  beforeAll(async () => {
    t = await startAtOwnIssuer({}, 'localhost');
    app = await startLandingPage();
    appOrigin = app.origin;
    portal = await createClient(t, { id: 'portal', grantTypes: ['authorization_code', 'refresh_token'], redirectUris: [`${appOrigin}/cb`], scopes: ['openid', 'read'], firstParty: true });
    user = await createUser(t, { username: 'ada' });
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await t?.close();
  });

  const issuer = () => t.config.issuer;

  async function withAuthenticator(context: BrowserContext): Promise<{ page: Page; authenticator: Authenticator }> {
    context.setDefaultTimeout(20_000);
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable', { enableUI: false });
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });
    return { page, authenticator: { cdp, id: authenticatorId } };
  }

  async function credentialsOf(authenticator: Authenticator): Promise<VirtualCredential[]> {
    const { credentials } = await authenticator.cdp.send('WebAuthn.getCredentials', { authenticatorId: authenticator.id });
    return credentials as VirtualCredential[];
  }

  /** The portal's authorization request in this page; answers the login page or the portal's callback. */
  async function authorize(page: Page): Promise<string> {
    const { verifier, challenge } = pkce();
    await page.goto(`${issuer()}/oauth/authorize?${new URLSearchParams(authorizationParams(portal, challenge, { scope: 'openid read' })).toString()}`);
    return verifier;
  }

  async function redeem(page: Page, verifier: string): Promise<Record<string, string>> {
    const code = new URL(page.url()).searchParams.get('code')!;
    const exchanged = await postForm(t, '/oauth/token', { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: `${appOrigin}/cb` }, { authorization: portal.basic });
    expect(exchanged.status).toBe(200);
    return exchanged.body as Record<string, string>;
  }

  const audited = (type: string) =>
    rows<{ details: Record<string, unknown> | null; user_id: string | null }>(t, `SELECT details, user_id FROM audit_events WHERE type = $1 ORDER BY id`, [type]);

  /** The credential as the authenticator held it after the last sign-in: what the later tests copy. */
  let signedWith: VirtualCredential;

  it('registers a passkey on the account page, then signs in with it alone: by autofill, and by the button to get a client its tokens', async () => {
    // 1. Register on the account page, signed in with the password.
    const first = await browser.newContext({ viewport: { width: 760, height: 900 } });
    const { page, authenticator } = await withAuthenticator(first);
    await page.goto(`${issuer()}/account`);
    await page.getByLabel('Username').fill(user.username);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { name: 'Your account' }).waitFor();
    expect(await page.locator('section[aria-labelledby="passkeys-title"]').textContent()).toContain('No passkey yet.');
    await page.getByLabel('Passkey name').fill('Laptop');
    await page.getByLabel('Your password, to confirm').fill(user.password);
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    expect(await page.getByRole('status').textContent()).toBe('Your passkey was added. You can sign in with it now.');
    const listed = page.locator('section[aria-labelledby="passkeys-title"] li');
    expect(await listed.count()).toBe(1);
    expect(await listed.textContent()).toMatch(/Laptop\s+this device only[\s\S]*Last used\s*never/);
    if (SCREENSHOTS) {
      mkdirSync(SCREENSHOTS, { recursive: true });
      await page.locator('section[aria-labelledby="passkeys-title"]').screenshot({ path: join(SCREENSHOTS, 'account-passkeys.png') });
    }
    const [stored] = await rows<{ user_id: string; credential_id: string; sign_count: string; transports: string[]; backup_eligible: boolean }>(
      t, 'SELECT user_id, credential_id, sign_count, transports, backup_eligible FROM webauthn_credentials');
    expect(stored).toMatchObject({ user_id: user.user.id, transports: ['internal'], backup_eligible: false });
    const [held] = await credentialsOf(authenticator);
    expect(held).toMatchObject({ credentialId: expect.any(String), rpId: 'localhost', isResidentCredential: true });
    expect(Number(stored.sign_count)).toBe(held.signCount);
    expect(Buffer.from(held.credentialId, 'base64').toString('base64url')).toBe(stored.credential_id);

    // 2. Sign out: the login page's username field offers the passkey in autofill
    // (conditional UI), the virtual authenticator picks it at once, and the user is back on
    // the account page with no password.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await listed.filter({ hasNotText: 'never' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/account');
    expect((await audited('login_succeeded')).at(-1)).toMatchObject({ user_id: user.user.id, details: { method: 'passkey' } });

    // 3. In a browser without conditional UI: sign out, and sign in to the portal with the
    // "Sign in with a passkey" button of the authorization request's login page.
    await page.addInitScript(NO_CONDITIONAL_UI);
    await page.getByRole('button', { name: 'Sign out' }).click();
    expect(await page.getByRole('status').textContent()).toBe('You are signed out.');
    const verifier = await authorize(page);
    expect(await page.getByLabel('Username').getAttribute('autocomplete')).toBe('username webauthn');
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.locator('#done').waitFor();
    // A device-bound passkey with user verification: a hardware key and a second factor (RFC 8176).
    expect(idTokenOf(await redeem(page, verifier))).toMatchObject({ sub: user.user.id, amr: ['hwk', 'mfa'] });
    const [used] = await rows<{ sign_count: string; last_used_at: Date | null }>(t, 'SELECT sign_count, last_used_at FROM webauthn_credentials');
    [signedWith] = await credentialsOf(authenticator);
    expect(Number(used.sign_count)).toBe(signedWith.signCount);
    expect(Number(used.sign_count)).toBeGreaterThan(held.signCount);
    expect(used.last_used_at).not.toBeNull();
    await first.close();
  });

  it('refuses a copy of the passkey whose counter lags the stored one (a cloned authenticator)', async () => {
    // 4. A copy of the key whose counter lags the stored one (a cloned authenticator) is refused.
    const second = await browser.newContext();
    const clone = await withAuthenticator(second);
    await clone.page.addInitScript(NO_CONDITIONAL_UI);
    await clone.authenticator.cdp.send('WebAuthn.addCredential', { authenticatorId: clone.authenticator.id, credential: { ...signedWith, signCount: 0 } });
    await authorize(clone.page);
    await clone.page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    expect(await clone.page.locator('#login-message').textContent()).toBe(REFUSED);
    expect(new URL(clone.page.url()).pathname).toBe('/interaction/passkey');
    expect((await audited('login_failed')).at(-1)).toMatchObject({ user_id: user.user.id, details: { method: 'passkey', reason: 'sign_count' } });
    expect(await second.cookies()).not.toContainEqual(expect.objectContaining({ name: '__Host-tessera-session' }));
    await second.close();
  });

  it('refuses the passkey\'s assertion made for another RP ID (a phishing site relaying Tessera\'s challenge)', async () => {
    // 5. The same key made a credential of another RP ID (a phishing site relaying Tessera's
    // challenge): its assertion, made by Chromium at that site, is refused at Tessera.
    const third = await browser.newContext();
    const relay = await withAuthenticator(third);
    await relay.page.addInitScript(NO_CONDITIONAL_UI);
    await relay.authenticator.cdp.send('WebAuthn.addCredential', {
      authenticatorId: relay.authenticator.id,
      credential: { ...signedWith, rpId: 'evil.localhost', signCount: 1000 },
    });
    await authorize(relay.page);
    const challenge = await relay.page.evaluate<string>(`(async () => {
      const form = document.getElementById('passkey-form');
      const body = new URLSearchParams({ csrf_token: form.querySelector('input[name="csrf_token"]').value });
      return (await (await fetch(form.dataset.options, { method: 'POST', body })).json()).challenge;
    })()`);
    // The authenticator belongs to this tab: the phishing page is opened in it, then Tessera's
    // login page again (the same login-form cookie, so the challenge is still this browser's).
    await relay.page.goto(`http://evil.localhost:${new URL(appOrigin).port}/`);
    await relay.page.addScriptTag({ path: join(dirname(fileURLToPath(import.meta.url)), 'browser', 'relay.js') });
    const assertion = await relay.page.evaluate<string>(`relay(${JSON.stringify(challenge)}, 'evil.localhost')`);
    await authorize(relay.page);
    await relay.page.evaluate(`(() => {
      const form = document.getElementById('passkey-form');
      form.querySelector('input[name="credential"]').value = ${JSON.stringify(assertion)};
      form.submit();
    })()`);
    await relay.page.waitForURL(`${issuer()}/interaction/passkey`);
    expect(await relay.page.locator('#login-message').textContent()).toBe(REFUSED);
    expect((await audited('login_failed')).at(-1)).toMatchObject({ user_id: user.user.id, details: { method: 'passkey', reason: 'verification' } });
    expect(await third.cookies()).not.toContainEqual(expect.objectContaining({ name: '__Host-tessera-session' }));
    await third.close();
  });
});
