import type { Browser, BrowserContext } from 'playwright-core';
import { createClient, createUser, login, type TestClient, type TestUser, token } from '../factories/index.js';
import { UsersService } from '../../src/users/users.service.js';
import { startAtOwnIssuer, type TestApp } from '../setup/app.js';
import { launchChromium, screenshot as shoot } from '../setup/chromium.js';
import { expectAccessible, signInToConsole } from '../setup/console-browser.js';

const sidOf = (accessToken: string) => (JSON.parse(Buffer.from(accessToken.split('.')[1], 'base64url').toString()) as { sid: string }).sid;

/**
 * The admin console as an operator meets it, in Debian's Chromium (headless): sign in
 * through the hosted login, find a user, revoke one session (its refresh token is then
 * refused at /oauth/token), revoke all, disable; a non-admin gets the 403 page; no
 * console page can be framed; every page passes axe-core.
 */
describe('the admin console in Chromium', () => {
  let t: TestApp;
  let browser: Browser;
  let phoneApp: TestClient;
  let admin: TestUser;
  let alice: TestUser;

  beforeAll(async () => {
    t = await startAtOwnIssuer({});
    phoneApp = await createClient(t, { id: 'phone-app', grantTypes: ['password', 'refresh_token'], scopes: ['read'] });
    admin = await createUser(t, { username: 'admin', admin: true });
    alice = await createUser(t, { username: 'alice' });
    await t.app.get(UsersService).update(alice.user.id, { email: 'alice@example.com', name: 'Alice Liddell' }, 'test');
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const signIn = (context: BrowserContext, user: TestUser) => signInToConsole(t, context, user);

  const phoneLogin = async () => {
    const result = await token(t, phoneApp, { grant_type: 'password', username: alice.username, password: alice.password, scope: 'read' });
    expect(result.status).toBe(200);
    return result.body as Record<string, string>;
  };

  it('an admin finds a user, revokes one session, then all, and disables the user', async () => {
    const phone = await phoneLogin();
    const tablet = await phoneLogin();
    const context = await browser.newContext({ viewport: { width: 800, height: 900 } });
    const page = await signIn(context, admin);
    await page.getByRole('heading', { name: 'Users', exact: true }).waitFor();
    await expectAccessible(page);

    await page.getByLabel('Username or email contains').fill('alice@');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('heading', { name: 'Users matching “alice@”' }).waitFor();
    await shoot(page, 'console-users.png');
    await page.getByRole('link', { name: 'alice' }).click();
    await page.getByRole('heading', { name: 'alice', exact: true }).waitFor();
    await expectAccessible(page);
    const sessions = page.locator('section[aria-labelledby="sessions-title"] li');
    expect(await sessions.count()).toBe(2);

    // Without the confirmation box the browser itself will not post (required); the server would refuse too.
    const phoneItem = page.locator(`li[data-session="${sidOf(phone.access_token)}"]`);
    await phoneItem.getByRole('checkbox').check();
    await phoneItem.getByRole('button', { name: 'Revoke this session' }).click();
    expect(await page.getByRole('status').textContent()).toBe('The session was revoked.');
    expect(await phoneItem.locator('.badge').textContent()).toBe('revoked (admin)');
    await shoot(page, 'console-user.png');
    expect((await token(t, phoneApp, { grant_type: 'refresh_token', refresh_token: phone.refresh_token })).body.error).toBe('invalid_grant');
    expect((await token(t, phoneApp, { grant_type: 'refresh_token', refresh_token: tablet.refresh_token })).status).toBe(200);
    await expectAccessible(page);

    const laptop = await login(t, phoneApp, alice, 'read');
    await page.reload();
    const everything = page.locator('form', { has: page.getByRole('button', { name: 'Revoke all sessions' }) });
    await everything.getByRole('checkbox').check();
    await everything.getByRole('button', { name: 'Revoke all sessions' }).click();
    expect(await page.getByRole('status').textContent()).toBe('Every session of the user was revoked.');
    expect(await page.locator('li .badge', { hasText: 'active' }).count()).toBe(0);
    expect((await token(t, phoneApp, { grant_type: 'refresh_token', refresh_token: laptop.refresh_token })).body.error).toBe('invalid_grant');

    const disable = page.locator('form', { has: page.getByRole('button', { name: 'Disable user' }) });
    await disable.getByRole('checkbox').check();
    await disable.getByRole('button', { name: 'Disable user' }).click();
    expect(await page.getByRole('status').textContent()).toContain('The user is disabled');
    expect(await page.locator('.facts dd').first().textContent()).toBe('disabled');
    expect((await token(t, phoneApp, { grant_type: 'password', username: alice.username, password: alice.password })).status).toBe(400);
    await expectAccessible(page);

    await page.getByRole('link', { name: 'Security events of alice' }).click();
    await page.getByRole('heading', { name: 'Security events', exact: true }).waitFor();
    expect(await page.locator('li strong', { hasText: 'user_disabled' }).count()).toBe(1);
    await expectAccessible(page);
    await shoot(page, 'console-events.png');
    await page.goBack();

    const reset = page.locator('form', { has: page.getByRole('button', { name: 'Reset password' }) });
    await reset.getByRole('checkbox').check();
    await reset.getByRole('button', { name: 'Reset password' }).click();
    expect(await page.locator('#generated-password').textContent()).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await expectAccessible(page);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.goto(`${t.url}/console/users`);
    expect(new URL(page.url()).pathname).toBe('/oauth/authorize');
    await context.close();
  });

  it('a user who is not an admin gets the 403 page', async () => {
    const bob = await createUser(t, { username: 'bob' });
    const context = await browser.newContext();
    const page = await signIn(context, bob);
    await page.getByRole('heading', { name: 'Something went wrong' }).waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('administrators only');
    expect(new URL(page.url()).pathname).toBe('/console/callback');
    await expectAccessible(page);
    await context.close();
  });

  it('a console page cannot be framed by another site', async () => {
    const context = await browser.newContext();
    const page = await signIn(context, admin);
    await page.getByRole('heading', { name: 'Users', exact: true }).waitFor();
    const response = await page.goto(`${t.url}/console/users`);
    expect(response!.headers()['x-frame-options']).toBe('DENY');
    expect(response!.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
    // Another origin's page framing it: Chromium refuses to render the console inside.
    const framer = await context.newPage();
    await framer.route('http://framer.test/', (route) =>
      route.fulfill({ contentType: 'text/html', body: `<iframe id="f" src="${t.url}/console/users" width="600" height="400"></iframe>` }),
    );
    await framer.goto('http://framer.test/');
    await framer.waitForLoadState('load');
    const frame = framer.frames().find((f) => f !== framer.mainFrame())!;
    // Refused by the browser: the frame shows Chromium's error document, not Tessera's page.
    expect(frame.url()).toMatch(/^chrome-error:/);
    expect(await frame.locator('#page-title').count()).toBe(0);
    await context.close();
  });
});
