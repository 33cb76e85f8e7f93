import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createClient, createUser, type HttpResult, postForm, type TestClient, type TestUser } from '../factories/index.js';
import { isActive } from '../factories/resource-server.js';
import { startAtOwnIssuer, type TestApp } from '../setup/app.js';
import { launchChromium, screenshot } from '../setup/chromium.js';
import { expectAccessible, signInToConsole } from '../setup/console-browser.js';

/**
 * The console's clients and keys as an operator meets them, in Debian's Chromium
 * (headless): register a confidential client (its secret works at /oauth/token), narrow
 * its scopes, rotate its secret with and without a grace period, delete it (its tokens
 * die), rotate the signing key; the console's own client offers no action and refuses a
 * forged one; every page passes axe-core.
 */
describe('clients and keys in the admin console, in Chromium', () => {
  let t: TestApp;
  let browser: Browser;
  let admin: TestUser;
  let resourceServer: TestClient;

  beforeAll(async () => {
    t = await startAtOwnIssuer({});
    admin = await createUser(t, { username: 'admin', admin: true });
    resourceServer = await createClient(t, { id: 'orders-api', grantTypes: ['client_credentials'], scopes: [], introspect: true });
    await createClient(t, { id: 'web-shop', type: 'public', grantTypes: ['authorization_code', 'refresh_token'], scopes: ['openid', 'profile'], redirectUris: ['https://shop.example/callback'], firstParty: true });
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  /** client_credentials with client_secret_basic, as the client's deployment would ask. */
  const clientCredentials = (clientId: string, secret: string, scope: string): Promise<HttpResult> =>
    postForm(t, '/oauth/token', { grant_type: 'client_credentials', scope }, { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` });

  /** Ticks the confirmation box of the form with this button, clicks it, and returns the answer to the post. */
  async function confirm(page: Page, button: string) {
    const form = page.locator('form', { has: page.getByRole('button', { name: button, exact: true }) });
    await form.getByRole('checkbox', { name: /^Yes, / }).check();
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST'),
      form.getByRole('button', { name: button, exact: true }).click(),
    ]);
    await page.waitForLoadState();
    return response;
  }

  /** The secret on the page that shows it once, after checking that page is not stored. */
  async function shownSecret(page: Page, answer: { headers(): Record<string, string> }): Promise<string> {
    expect(answer.headers()['cache-control']).toBe('no-store');
    const secret = await page.locator('#client-secret').textContent();
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await expectAccessible(page);
    return secret!;
  }

  async function signIn(context: BrowserContext): Promise<Page> {
    const page = await signInToConsole(context, t.url, admin);
    await page.getByRole('heading', { name: 'Users', exact: true }).waitFor();
    return page;
  }

  it('an admin registers a client, narrows its scopes, rotates its secret and deletes it', async () => {
    const context = await browser.newContext({ viewport: { width: 800, height: 900 } });
    const page = await signIn(context);
    await page.getByRole('link', { name: 'Clients', exact: true }).click();
    await page.getByRole('heading', { name: 'Clients', exact: true }).waitFor();
    await expectAccessible(page);

    await page.getByRole('link', { name: 'Register a client' }).click();
    await page.getByRole('heading', { name: 'New client' }).waitFor();
    await expectAccessible(page);
    await page.getByLabel('Client id', { exact: true }).fill('billing-service');
    await page.getByRole('checkbox', { name: 'client_credentials' }).check();
    await page.getByLabel('Scopes (space-separated)').fill('invoices:read invoices:write');
    const created = await confirm(page, 'Register client');
    await page.getByRole('heading', { name: 'Client created' }).waitFor();
    const first = await shownSecret(page, created);

    const early = await clientCredentials('billing-service', first, 'invoices:read invoices:write');
    expect(early.status).toBe(200);
    const earlyToken = early.body.access_token as string;

    // Shown once: the client's page never shows it again.
    await page.getByRole('link', { name: 'Back to billing-service' }).click();
    await page.getByRole('heading', { name: 'billing-service', exact: true }).waitFor();
    expect(await page.content()).not.toContain(first);
    await expectAccessible(page);
    await screenshot(page, 'console-client.png');

    await page.getByLabel('Scopes (space-separated)').fill('invoices:read');
    await confirm(page, 'Save changes');
    expect(await page.getByRole('status').textContent()).toContain('The client was changed.');
    expect((await clientCredentials('billing-service', first, 'invoices:write')).body.error).toBe('invalid_scope');
    expect((await clientCredentials('billing-service', first, 'invoices:read')).status).toBe(200);

    // An hour's grace (the form's default): both secrets work.
    expect(await page.getByLabel(/^Seconds the current secret keeps working/).inputValue()).toBe('3600');
    const rotated = await confirm(page, 'Rotate secret');
    const second = await shownSecret(page, rotated);
    expect(await page.getByRole('status').textContent()).toContain('The previous one works until');
    expect((await clientCredentials('billing-service', first, 'invoices:read')).status).toBe(200);
    expect((await clientCredentials('billing-service', second, 'invoices:read')).status).toBe(200);

    // No grace (a leak): the replaced secret stops at once.
    await page.getByRole('link', { name: 'Back to billing-service' }).click();
    await page.getByLabel(/^Seconds the current secret keeps working/).fill('0');
    const leaked = await confirm(page, 'Rotate secret');
    const third = await shownSecret(page, leaked);
    expect(await page.getByRole('status').textContent()).toContain('The previous one no longer works.');
    expect((await clientCredentials('billing-service', second, 'invoices:read')).body.error).toBe('invalid_client');
    expect((await clientCredentials('billing-service', third, 'invoices:read')).status).toBe(200);

    expect(await isActive(t, resourceServer, earlyToken)).toBe(true);
    await page.getByRole('link', { name: 'Back to billing-service' }).click();
    await confirm(page, 'Delete client');
    await page.getByRole('heading', { name: 'Clients', exact: true }).waitFor();
    expect(await page.getByRole('status').textContent()).toContain('The client was deleted');
    expect(await page.locator('li[data-client="billing-service"]').count()).toBe(0);
    expect(await isActive(t, resourceServer, earlyToken)).toBe(false);
    expect((await clientCredentials('billing-service', third, 'invoices:read')).body.error).toBe('invalid_client');
    await expectAccessible(page);
    await screenshot(page, 'console-clients.png');
    await context.close();
  });

  it('the console\'s own client is shown as protected, offers no action, and a forged change is refused', async () => {
    const context = await browser.newContext();
    const page = await signIn(context);
    await page.goto(`${t.url}/console/clients`);
    const item = page.locator('li[data-client="tessera-console"]');
    expect(await item.locator('.badge', { hasText: 'protected' }).count()).toBe(1);
    await item.getByRole('link', { name: 'tessera-console' }).click();
    await page.getByRole('heading', { name: 'tessera-console', exact: true }).waitFor();
    expect(await page.getByRole('note').textContent()).toContain('Protected.');
    expect(await page.getByRole('button', { name: /Delete client|Rotate secret|Save changes/ }).count()).toBe(0);
    await expectAccessible(page);

    // The page's own CSRF token, the right Origin, the box ticked: the service still refuses.
    const csrf = await page.locator('input[name="csrf_token"]').first().inputValue();
    const forged = await page.request.post(`${t.url}/console/clients/tessera-console/delete`, { form: { csrf_token: csrf, confirm: 'yes' }, headers: { origin: t.url } });
    expect(forged.status()).toBe(400);
    expect(await forged.text()).toContain('Tessera&#39;s own console client');
    await page.reload();
    await page.getByRole('heading', { name: 'tessera-console', exact: true }).waitFor();
    await context.close();
  });

  it('a post without the page\'s CSRF token changes nothing', async () => {
    const context = await browser.newContext();
    const page = await signIn(context);
    const forged = await page.request.post(`${t.url}/console/clients`, {
      form: { client_id: 'planted', type: 'confidential', grant_client_credentials: 'yes', confirm: 'yes' },
      headers: { origin: t.url },
    });
    expect(forged.status()).toBe(403);
    expect((await page.goto(`${t.url}/console/clients/planted`))!.status()).toBe(404);
    await context.close();
  });

  it('an admin rotates the signing key: a pending key is listed and published', async () => {
    const context = await browser.newContext();
    const page = await signIn(context);
    await page.getByRole('link', { name: 'Keys', exact: true }).click();
    await page.getByRole('heading', { name: 'Signing keys' }).waitFor();
    await expectAccessible(page);
    expect(await page.locator('li .badge', { hasText: 'pending' }).count()).toBe(0);

    await confirm(page, 'Rotate signing key');
    expect(await page.getByRole('status').textContent()).toContain('A new signing key is pending');
    const pending = page.locator('li', { has: page.locator('.badge', { hasText: 'pending' }) });
    expect(await pending.count()).toBe(1);
    const kid = await pending.getAttribute('data-kid');
    expect(await page.locator('li .badge', { hasText: 'active' }).count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Rotate signing key' }).count()).toBe(0);
    await expectAccessible(page);

    const jwks = (await (await fetch(`${t.url}/oauth/jwks`)).json()) as { keys: Array<{ kid: string }> };
    expect(jwks.keys.map((key) => key.kid)).toContain(kid);
    await context.close();
  });

  it('a user who is not an admin gets the 403 page at /console/clients', async () => {
    const bob = await createUser(t, { username: 'bob' });
    const context = await browser.newContext();
    const refused = await signInToConsole(context, t.url, bob);
    await refused.getByRole('heading', { name: 'Something went wrong' }).waitFor();
    const page = await context.newPage();
    const response = await page.goto(`${t.url}/console/clients`);
    expect(response!.status()).toBe(403);
    expect(await page.getByRole('alert').textContent()).toContain('administrators only');
    expect(await page.locator('li[data-client]').count()).toBe(0);
    await expectAccessible(page);
    await context.close();
  });
});
